/**
 * Searched baselines: the best fixed schedule × guidance (constant, or a linear ramp) per model and step count, as
 * `adagen baselines` writes them (the zoo ships packages/zoo/baselines.json, which its cards name). "The baseline" of
 * a comparison and the `best` starting schedule of training come from here.
 */
import { existsSync, readFileSync } from "node:fs";
import type { ScheduleRequest } from "../card/adapter.js";
import type { AdaGenModel } from "./model.js";
import { InputError } from "./input-error.js";
import type { Scores } from "./scoring.js";

export const BASELINES_FORMAT = "adagen-baselines";

/** A searched schedule; `guidance` absent means the heuristic's own (MaskGIT's ramp). */
export type ScoredSchedule = ScheduleRequest;

export interface BaselineResult extends Scores {
  schedule: ScoredSchedule;
}

/**
 * The grid's `top` lowest-FID candidates scored again on more samples (same seed), because on the grid's 1,000
 * samples neighbours differ by less than the FID's noise: the winner is then the lowest of these.
 */
export interface BaselineRescore {
  top: number;
  samples: number;
  grid: BaselineResult[];
}

export interface BaselineSearch {
  /** The winner: lowest validation FID (of `rescored` when the search has one, with its scores there). */
  best: BaselineResult;
  /** Candidates the sampler cannot run at this step count, with the reason. */
  skipped?: { schedule: ScoredSchedule; reason: string }[];
  samples: number;
  seed: number;
  reference: string;
  grid: BaselineResult[];
  rescored?: BaselineRescore;
  /** The winner's interior time points (MaskGIT: mask ratios) tuned by `adagen baselines --refine-times` (then `best` is its result). */
  refined?: BaselineRefinement;
}

/**
 * A search's winner refined by coordinate descent over its interior time points (MaskGIT: its mask ratios; core's
 * `descendTimePoints`), then over its scalar settings (`descendKnobs`), on `samples` images of the search's seed; `grid` holds every move scored, in order.
 */
export interface BaselineRefinement {
  /** Where the descent started, scored on these samples: the grid's winner, or a `carried` result that scored lower. */
  from: BaselineResult;
  /**
   * `--refine-from`: another step count's best points carried to this one (`resamplePoints`), with the grid winner's
   * settings and (when they differ) with that best's own (`results`), and the grid's winner (`winner`), all scored on
   * these samples.
   */
  carried?: { steps: number; results: BaselineResult[]; winner: BaselineResult };
  /** Time-point moves (fractions of a gap); empty when only `knobs` were refined. */
  fractions: number[];
  /** Scalar settings refined after the points (`--refine-knobs`), each with its step. */
  knobs?: Record<string, number>;
  sweeps: number;
  /** Moves were taken only when they also won on a second seed (`--refine-confirm`; scores in `confirmed`). */
  confirm?: true;
  minGain: number;
  samples: number;
  grid: BaselineResult[];
  skipped?: { schedule: ScoredSchedule; reason: string }[];
  /** `--refine-confirm`: the samplers scored on the second seed (moves that won on the first, and the best they faced). */
  confirmed?: { seed: number; grid: BaselineResult[] };
  /** Later passes (`--refine-continue`), each from the best before it; their moves follow the first pass's in `grid`. */
  continued?: { fractions: number[]; knobs?: Record<string, number>; sweeps: number; confirm?: true }[];
}

export interface BaselinesFile {
  format: typeof BASELINES_FORMAT;
  /** model → steps → search. */
  models: Record<string, Record<string, BaselineSearch>>;
}

/**
 * `uniform, w = 1.5` / `shifted (shift 3) from 0.05, w = 2` (the start is named when the request sets one) / `karras
 * from 0.8, w = 0.5 → 1.5` (a linear guidance ramp over the model evaluations) / `logsnr from 0.7 at times 0.7, 0.3,
 * 0.01, w = 1` (explicit time points, to 4 digits; MaskGIT's mask ratios likewise, `cosine at mask ratios 0.92, …`); a request
 * without a guidance weight keeps the heuristic's (MaskGIT's ramp): `cosine, heuristic guidance`.
 */
export function describeSchedule(s: ScheduleRequest): string {
  const ramp = s.guidanceEnd === undefined ? "" : ` → ${s.guidanceEnd}`;
  const w = s.guidance === undefined ? "heuristic guidance" : `w = ${s.guidance}${ramp}`;
  const points = (label: string, values?: number[]) => (values ? ` at ${label} ${values.map((t) => Number(t.toPrecision(4))).join(", ")}` : "");
  const times = points("times", s.times) + points("mask ratios", s.maskRatios);
  return `${s.name}${s.name === "shifted" ? ` (shift ${s.shift})` : ""}${s.start === undefined ? "" : ` from ${s.start}`}${times}, ${w}${describeSearchKeys(s)}`;
}

/** The request's token-sampler settings it sets (`SEARCH_KEYS`), e.g. `, mask temperature 15, sampling temperature 0.9`; "" for none. */
export function describeSearchKeys(s: ScheduleRequest): string {
  const extra = (value: number | string | undefined, label: string) => (value === undefined ? "" : `, ${label} ${value}`);
  const temperature = s.sampleTemperature === undefined || s.sampleTemperatureEnd === undefined ? s.sampleTemperature : `${s.sampleTemperature} → ${s.sampleTemperatureEnd}`;
  return extra(s.maskTemperature, "mask temperature") + extra(s.topK, "top-k") + extra(s.topP, "top-p") + extra(temperature, "sampling temperature");
}

/** The key that identifies a candidate across runs of a search (its schedule, fields in a fixed order). */
export function scheduleKey(schedule: ScoredSchedule): string {
  return JSON.stringify(schedule, Object.keys(schedule).sort());
}

/** The `top` lowest-FID rows of a grid, lowest first (ties keep grid order). */
export function topCandidates(grid: readonly BaselineResult[], top: number): BaselineResult[] {
  return [...grid].sort((a, b) => a.fid - b.fid).slice(0, top);
}

/** The lowest-FID row (the first of equals). */
export function lowestFid<T extends { fid: number }>(rows: readonly T[]): T {
  if (rows.length === 0) throw new RangeError("no scored rows to choose from");
  return rows.reduce((a, b) => (b.fid < a.fid ? b : a));
}

/** A baselines file, or an empty one when `file` does not exist. */
export function readBaselines(file: string): BaselinesFile {
  if (!existsSync(file)) return { format: BASELINES_FORMAT, models: {} };
  let parsed: BaselinesFile;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8")) as BaselinesFile;
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (parsed.format !== BASELINES_FORMAT) throw new InputError(`${file}: not a baselines file (format ${String(parsed.format)})`);
  return parsed;
}

/** The searched best sampler for a model and step count, from the card's baselines file (or `file`). */
export function bestBaseline(model: AdaGenModel, steps: number, file = model.card.baselines): BaselineSearch | undefined {
  return file === undefined ? undefined : readBaselines(file).models[model.name]?.[String(steps)];
}

/**
 * The best constant-guidance candidate of a search (the paper's kind of fixed sampler), when the search also tried
 * guidance ramps (the rescored one when the rescore kept a constant); the search's winner otherwise.
 */
export function bestConstantGuidance(search: BaselineSearch): BaselineResult {
  const constant = (rows: readonly BaselineResult[]) => rows.filter((r) => r.schedule.guidanceEnd === undefined);
  const rescored = constant(search.rescored?.grid ?? []);
  if (rescored.length) return lowestFid(rescored);
  const gridConstant = constant(search.grid);
  return gridConstant.length === 0 ? search.best : lowestFid(gridConstant);
}

/** "The baseline": the searched best, or the model's heuristic when none was searched. */
export function baselineFor(model: AdaGenModel, steps: number, file?: string): { schedule: ScheduleRequest; sampler: string } {
  const searched = bestBaseline(model, steps, file);
  if (searched) {
    const points = model.card.paradigm === "maskgit" ? "mask ratios" : "time points";
    const passes = searched.refined ? [searched.refined, ...(searched.refined.continued ?? [])] : [];
    const moved = [...(passes.some((p) => p.fractions.length) ? [points] : []), ...new Set(passes.flatMap((p) => Object.keys(p.knobs ?? {})))];
    const carried = searched.refined?.carried;
    const carriedText = carried && carried.results.some((r) => r.fid < carried.winner.fid) ? `, its ${points} carried from the ${carried.steps}-step best` : "";
    const refined = carriedText + (searched.refined && moved.length ? `, its ${moved.join(", ")} refined over ${searched.refined.grid.length} moves` : "");
    return { schedule: searched.best.schedule, sampler: `${describeSchedule(searched.best.schedule)} (best of ${searched.grid.length} searched${refined})` };
  }
  const schedule = heuristicSchedule(model);
  return { schedule, sampler: `${describeSchedule(schedule)} (heuristic; no searched baseline)` };
}

/** The model's heuristic as a fixed schedule request (its own, or its first schedule at the constant guidance). */
export function heuristicSchedule(model: AdaGenModel): ScheduleRequest {
  return model.facts.heuristicSchedule ?? { name: model.facts.schedules[0], guidance: model.facts.guidance };
}
