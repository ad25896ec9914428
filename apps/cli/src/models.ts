/**
 * The generators the CLI runs: a model card (packages/zoo/cards/ for the zoo's models, or any card file a user
 * writes for their own ONNX generator), opened by its paradigm's adapter (`@adagen/diffusion`'s
 * `diffusionAdapter`, `@adagen/flow`'s `flowAdapter`) as the policy-driven env with its heuristic (docs/method.md
 * §4.3) plus its fixed baseline schedules. Every env renders images `[B,H,W,C]` in [0,1], what the discriminators and
 * the feature extractor read.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  ModelCardError,
  readModelCard,
  type GeneratorAdapter,
  type ModelCard,
  type OpenedGenerator,
  type PolicyInit,
  type ScheduleRequest,
} from "@adagen/core";
import { diffusionAdapter } from "@adagen/diffusion";
import { DEFAULT_SHIFT, flowAdapter } from "@adagen/flow";
import { ZOO_CARDS, cardPath, type ZooCardName } from "@adagen/zoo";

export { DEFAULT_SHIFT };
export type { PolicyInit, ScheduleRequest };
export type OpenedModel = OpenedGenerator;

export class UsageError extends Error {}

/** The adapters by the card's `paradigm`. */
export const ADAPTERS: Readonly<Record<string, GeneratorAdapter>> = { diffusion: diffusionAdapter, flow: flowAdapter };

export interface ModelEntry {
  name: string;
  description: string;
  card: ModelCard;
  /** The heuristic's constant guidance weight (docs/method.md §4.3). */
  guidance: number;
  /** Fixed schedules the model knows; the first is the heuristic's grid. */
  schedules: readonly string[];
  /** The heuristic's start time (docs/method.md §4.3). */
  start: number;
  /** Start times `adagen baselines` tries besides the heuristic's (the policy picks its own). */
  searchStarts: readonly number[];
  open(steps: number, init?: PolicyInit): Promise<OpenedModel>;
}

/** `--model` help: the zoo's names or a card file. */
export const MODEL_CHOICES = `${ZOO_CARDS.join(", ")}, or a model card file (docs/model-cards.md)`;

/** A zoo model by name, or the model card at a path (anything ending in .json or naming an existing file). */
export function getModel(name: string): ModelEntry {
  const zoo = (ZOO_CARDS as readonly string[]).includes(name);
  if (!zoo && !name.endsWith(".json") && !existsSync(name))
    throw new UsageError(`unknown model "${name}" (the zoo has ${ZOO_CARDS.join(", ")}; or pass a model card file, e.g. ./my-model.json)`);
  let card: ModelCard;
  try {
    card = readModelCard(zoo ? cardPath(name as ZooCardName) : resolve(name));
  } catch (err) {
    if (err instanceof ModelCardError) throw new UsageError(err.message);
    throw err;
  }
  const adapter = ADAPTERS[card.paradigm];
  if (!adapter)
    throw new UsageError(`${card.file}: "paradigm" must be one of ${Object.keys(ADAPTERS).map((p) => `"${p}"`).join(", ")}, got "${card.paradigm}"`);
  let facts;
  try {
    facts = adapter.describe(card);
  } catch (err) {
    if (err instanceof ModelCardError) throw new UsageError(err.message);
    throw err;
  }
  return {
    name: card.name,
    description: `${card.description}; ${facts.summary}`,
    card,
    guidance: facts.guidance,
    schedules: facts.schedules,
    start: facts.start,
    searchStarts: facts.searchStarts,
    open: (steps, init) => adapter.open(card, steps, init),
  };
}

/**
 * Opens a model. The env's step-count checks (e.g. too many steps for the 0.01 time gap) and files that do not
 * fit the card (missing, or another contract) become usage errors naming the model.
 */
export async function openModel(entry: ModelEntry, steps: number, init?: PolicyInit): Promise<OpenedModel> {
  try {
    return await entry.open(steps, init);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`${entry.name} at ${steps} steps: ${err.message}`);
    const message = (err as Error).message;
    if (/cannot load ONNX model|does not fit the contract|ONNX model .*: missing/.test(message)) throw new UsageError(`${entry.name}: ${message}`);
    throw err;
  }
}

export function checkSchedule(entry: ModelEntry, name: string): string {
  if (!entry.schedules.includes(name))
    throw new UsageError(`--schedule ${name} does not apply to ${entry.name} (choose ${entry.schedules.join(", ")})`);
  return name;
}
