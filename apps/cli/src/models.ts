/**
 * The generators the CLI runs: a model card (packages/zoo/cards/ for the zoo's models, or any card file a user
 * writes for their own ONNX generator), opened by its paradigm's adapter (`@adagen/diffusion`'s
 * `diffusionAdapter`, `@adagen/flow`'s `flowAdapter`, `@adagen/maskgit`'s and `@adagen/var`'s) as the policy-driven env with its heuristic (docs/method.md
 * §4.3) plus its fixed baseline schedules. Every env renders images `[B,H,W,C]` in [0,1], what the discriminators and
 * the feature extractor read.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  InputError,
  loadModel,
  openModel as openCoreModel,
  readModelCard,
  type AdaGenModel,
  type GeneratorAdapter,
  type ModelCard,
  type OpenedGenerator,
  type PolicyInit,
  type ScheduleRequest,
} from "@adagen/core";
import { diffusionAdapter } from "@adagen/diffusion";
import { DEFAULT_SHIFT, flowAdapter } from "@adagen/flow";
import { maskgitAdapter } from "@adagen/maskgit";
import { varAdapter } from "@adagen/var";
import { ZOO_CARDS, cardPath, type ZooCardName } from "@adagen/zoo";

export { DEFAULT_SHIFT };
export type { PolicyInit, ScheduleRequest };
export type OpenedModel = OpenedGenerator;

/** A bad flag or file: one line on stderr, exit code 2 (core's input errors are reported the same way). */
export class UsageError extends InputError {}

/** The adapters by the card's `paradigm`. */
export const ADAPTERS: Readonly<Record<string, GeneratorAdapter>> = {
  diffusion: diffusionAdapter,
  flow: flowAdapter,
  maskgit: maskgitAdapter,
  var: varAdapter,
};

export interface ModelEntry extends AdaGenModel {
  description: string;
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
  const card: ModelCard = readModelCard(zoo ? cardPath(name as ZooCardName) : resolve(name));
  const adapter = ADAPTERS[card.paradigm];
  if (!adapter)
    throw new UsageError(`${card.file}: "paradigm" must be one of ${Object.keys(ADAPTERS).map((p) => `"${p}"`).join(", ")}, got "${card.paradigm}"`);
  const model = loadModel(card, adapter);
  const { facts } = model;
  return {
    ...model,
    description: `${card.description}; ${facts.summary}`,
    guidance: facts.guidance,
    schedules: facts.schedules,
    start: facts.start,
    searchStarts: facts.searchStarts,
    open: (steps, init) => adapter.open(card, steps, init),
  };
}

/** Time-point samplers (diffusion, flow) take a start time and a shift; token samplers (MaskGIT, VAR) do not. */
export function hasTimePoints(entry: ModelEntry): boolean {
  return entry.card.paradigm === "diffusion" || entry.card.paradigm === "flow";
}

/** Samplers whose fixed schedules take a guidance ramp (--guidance-end, --guidance-ends): diffusion, flow, MaskGIT, VAR. */
export function hasGuidanceRamps(entry: ModelEntry): boolean {
  return entry.facts.guidanceRamps === true;
}

/**
 * The step counts of a command: --steps as given, or, for a model whose step count is fixed (VAR: one decision per
 * scale), that count by default and a usage error for any other.
 */
export function stepListOf(entry: ModelEntry, given: number[] | undefined, command: string): number[] {
  const fixed = entry.facts.fixedSteps;
  if (fixed === undefined) {
    if (given === undefined) throw new UsageError(`${command} needs --steps; see adagen ${command} --help`);
    return given;
  }
  const other = given?.find((s) => s !== fixed);
  if (other !== undefined) throw new UsageError(`${entry.name} takes one decision per scale: --steps must be ${fixed} (or left out), got ${other}`);
  return [fixed];
}

/** Opens a model (core's `openModel`: step-count and file problems become input errors naming the model). */
export function openModel(entry: ModelEntry, steps: number, init?: PolicyInit): Promise<OpenedModel> {
  return openCoreModel(entry, steps, init);
}

export function checkSchedule(entry: ModelEntry, name: string): string {
  if (!entry.schedules.includes(name))
    throw new UsageError(`--schedule ${name} does not apply to ${entry.name} (choose ${entry.schedules.join(", ")})`);
  return name;
}
