/**
 * What a paradigm package gives the tools (the `adagen` CLI, your own code) for a model card: the facts of its
 * heuristic and baseline search, and the generator opened at a step count as an environment plus fixed-schedule
 * sampling. Each paradigm package exports one (`diffusionAdapter`, `flowAdapter`, `maskgitAdapter`, `varAdapter`).
 */
import type { Batch, GenerationEnv } from "../env.js";
import type { ModelCard } from "./model-card.js";

/** A fixed (policy-free) schedule by name, with a constant guidance weight or (time-point samplers) a linear ramp. */
export interface ScheduleRequest {
  /** One of the adapter's `schedules` (e.g. "uniform"). */
  name: string;
  /** Constant CFG weight w (0 = unguided); the heuristic's when omitted. With `guidanceEnd`, the first model evaluation's. */
  guidance?: number;
  /**
   * Adapters with `guidanceRamps` (time-point samplers, MaskGIT, VAR): guidance ramps linearly from `guidance` at the
   * first model evaluation (MaskGIT: step; VAR: the multiplier, scale) to this at the last.
   */
  guidanceEnd?: number;
  /** Time shift of a "shifted" schedule. */
  shift?: number;
  /** Start time; the heuristic's when omitted. */
  start?: number;
  /**
   * Time-point samplers: the T+1 time points themselves, from the start towards the data end, in place of the named
   * schedule's grid and `start` (which then only say where they came from). The sampler checks them as it checks a
   * policy's starting schedule (steps + 1 points, each at least its gap past the previous).
   */
  times?: number[];
  /**
   * MaskGIT: the T mask ratios themselves (the share of tokens still masked after each step), in place of the named
   * schedule's (which then only says where they came from); each in (0, 1), falling step to step.
   */
  maskRatios?: number[];
  /** MaskGIT: the masking (Gumbel) temperature's starting value (it falls to 0); the heuristic's when omitted. */
  maskTemperature?: number;
  /** MaskGIT, VAR: the constant sampling temperature; the heuristic's when omitted. With `sampleTemperatureEnd`, the first step's. */
  sampleTemperature?: number;
  /** MaskGIT, VAR: the sampling temperature ramps linearly from `sampleTemperature` at the first step (scale) to this at the last. */
  sampleTemperatureEnd?: number;
  /** VAR: the constant top-k count; the heuristic's when omitted. */
  topK?: number;
  /** VAR: the constant top-p mass; the heuristic's when omitted. */
  topP?: number;
}

/** The request fields a baseline search can vary besides schedule, start and guidance. */
export const SEARCH_KEYS = ["maskTemperature", "sampleTemperature", "topK", "topP"] as const;
export type SearchKey = (typeof SEARCH_KEYS)[number];

/**
 * The time-point schedule an untrained policy reproduces (the residual its outputs are added to, docs/method.md
 * §4.4): by default the heuristic, or e.g. the searched best baseline.
 */
export interface PolicyInit {
  /** What it is, e.g. "heuristic" or "best: logsnr, w = 2". */
  name: string;
  /** Time-point samplers (diffusion, flow): the T+1 time points and the guidance weight (constant, or one per model evaluation). */
  times: number[];
  guidance: number | number[];
  /** Other samplers (MaskGIT): the whole action table, one row per decision in the action spec's key order. */
  heuristic?: number[][];
}

/** A generator opened for T model evaluations. */
export interface OpenedGenerator {
  /** The policy-driven sampler; `render` gives images `[B,H,W,C]` in [0,1]. */
  env: GenerationEnv;
  /** Images `[B,H,W,C]` in [0,1] from a fixed schedule (constant guidance, or a time-point sampler's ramp), no policy. */
  sampleSchedule(schedule: ScheduleRequest, labels: Int32Array, seed: number): Promise<Batch>;
  /**
   * The schedule's position per decision, for plots and the starting schedule of training: the T+1 time points of
   * a time-point sampler, the T mask ratios of MaskGIT.
   */
  scheduleTimes(schedule: ScheduleRequest): Float64Array;
  /** The schedule's whole action table, one row per decision (an untrained policy reproduces it). */
  scheduleActions?(schedule: ScheduleRequest): number[][];
  dispose(): Promise<void>;
}

/** The heuristic and the baseline search space of a card, as its adapter reads the card's `sampler` section. */
export interface SamplerFacts {
  /** The heuristic's constant guidance weight. */
  guidance: number;
  /** The heuristic's start time. */
  start: number;
  /** Fixed schedules the adapter knows (the first is the heuristic's). */
  schedules: readonly string[];
  /** Start times a baseline search tries. */
  searchStarts: readonly number[];
  /** One line about the sampler, e.g. "DPM-Solver++(2S), heuristic time-uniform 0.9 → 0.01, w = 1". */
  summary: string;
  /**
   * The heuristic as a fixed schedule request, when its guidance is not a constant (MaskGIT's ramp: no `guidance`).
   * Absent: the first schedule with the constant `guidance`.
   */
  heuristicSchedule?: ScheduleRequest;
  /**
   * Further dimensions of the baseline search besides schedule, start and guidance, as request fields and the values
   * to try (MaskGIT: maskTemperature, sampleTemperature; VAR: topK, topP, sampleTemperature). With `heuristicSchedule` set, the search also tries the
   * heuristic's own guidance (no `guidance` in the request).
   */
  searchSpace?: Partial<Record<SearchKey, readonly number[]>>;
  /** Samplers whose step count is fixed by the model (VAR: one decision per scale); absent: any step count. */
  fixedSteps?: number;
  /** Fixed schedules take a linear guidance ramp (`ScheduleRequest.guidanceEnd`): diffusion, flow, MaskGIT, VAR. */
  guidanceRamps?: boolean;
}

export interface GeneratorAdapter {
  readonly paradigm: string;
  /** Validates the card's `sampler` section (errors name the field) and returns its facts. */
  describe(card: ModelCard): SamplerFacts;
  /** Opens the card's generator for `steps` model evaluations; `init` replaces the heuristic schedule. */
  open(card: ModelCard, steps: number, init?: PolicyInit): Promise<OpenedGenerator>;
}
