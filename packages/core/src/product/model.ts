/**
 * A generator ready for the product functions (`createSampler`, `train`, the baseline search): its validated card,
 * the paradigm adapter that runs it, and the facts of its sampler.
 */
import type { GeneratorAdapter, OpenedGenerator, PolicyInit, SamplerFacts } from "../card/adapter.js";
import { ModelCardError } from "../card/card-fields.js";
import { readModelCard, type ModelCard } from "../card/model-card.js";
import { InputError } from "./input-error.js";

export interface AdaGenModel {
  /** The card's name: policies, runs and baselines are filed under it. */
  readonly name: string;
  readonly card: ModelCard;
  readonly adapter: GeneratorAdapter;
  readonly facts: SamplerFacts;
}

/** A card (or its file) with the adapter that runs it; the card's paradigm must be the adapter's. */
export function loadModel(model: ModelCard | string, adapter: GeneratorAdapter): AdaGenModel {
  const card = typeof model === "string" ? readModelCard(model) : model;
  if (card.paradigm !== adapter.paradigm)
    throw new ModelCardError(`${card.file}: "paradigm" is "${card.paradigm}", but this adapter runs "${adapter.paradigm}" models`);
  return { name: card.name, card, adapter, facts: adapter.describe(card) };
}

/**
 * Opens the generator for `steps` model evaluations. The env's step-count checks (e.g. too many steps for the
 * 0.01 time gap) and files that do not fit the card (missing, or another contract) become input errors naming the
 * model.
 */
export async function openModel(model: AdaGenModel, steps: number, init?: PolicyInit): Promise<OpenedGenerator> {
  try {
    return await model.adapter.open(model.card, steps, init);
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (err instanceof RangeError) throw new InputError(`${model.name} at ${steps} steps: ${err.message}`);
    const message = (err as Error).message;
    if (/cannot load ONNX model|does not fit the contract|ONNX model .*: missing/.test(message)) throw new InputError(`${model.name}: ${message}`);
    throw err;
  }
}
