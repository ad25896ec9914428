/**
 * The paper's MaskGIT heuristic (docs/method.md §4.3) and the fixed schedules the baselines search. With
 * r_k = (k + 1 − 0.001)/T for steps k = 0..T−1:
 *   mask ratio          cos(π/2 · r_k)   (cosine; the share of tokens still masked after step k)
 *   masking temperature tempInit · (1 − r_k)
 *   sampling temperature samplingTemperature (constant, 1)
 *   guidance weight     cfgInit · (k + 0.001)/T (a linear ramp from about 0)
 * The 0.001 offsets keep every value strictly inside its activation's range. A fixed schedule may replace the
 * guidance by a constant w₀ or a ramp w₀ + (w₁ − w₀)·k/(T − 1) (`FixedGuidance`), and ramp the sampling temperature
 * the same way (`samplingTemperatureEnd`).
 */
import { linearRamp } from "@adagen/core";

/** The action keys of the MaskGIT sampler, in the order of the heuristic table's columns. */
export const MASKGIT_KEYS = ["maskRatio", "maskTemperature", "sampleTemperature", "guidanceScale"] as const;

export interface MaskGitHeuristicOptions {
  /** docs/method.md §4.3: 1. */
  tempInit?: number;
  /** docs/method.md §4.3: 1. */
  cfgInit?: number;
  /** docs/method.md §4.3: 1. */
  samplingTemperature?: number;
  /** A fixed schedule's: the sampling temperature ramps linearly from `samplingTemperature` at step 0 to this at the last. */
  samplingTemperatureEnd?: number;
}

/** Mask-ratio schedules by name: the share still masked after step k, from r = (k + 1 − 0.001)/T. */
export const MASK_SCHEDULES = {
  cosine: (r: number) => Math.cos((Math.PI / 2) * r),
  linear: (r: number) => 1 - r,
  // MaskGIT's power family: square masks more for longer, sqrt reveals more early.
  square: (r: number) => 1 - r * r,
  cubic: (r: number) => 1 - r * r * r,
  sqrt: (r: number) => 1 - Math.sqrt(r),
} as const;
export type MaskScheduleName = keyof typeof MASK_SCHEDULES;

/** A fixed schedule's own guidance instead of the heuristic's ramp from about 0 to cfgInit. */
export interface FixedGuidance {
  /** The weight at step 0 (> 0, softplus range); every step's without `guidanceEnd`. */
  constantGuidance?: number;
  /** The weight at the last step: guidance then ramps linearly from `constantGuidance` (the searched ramps, as the time-point samplers'). */
  guidanceEnd?: number;
}

/** A fixed schedule's own mask ratios instead of a named schedule's (a baseline refined point by point). */
export interface FixedMaskRatios {
  /** The T mask ratios, each in (0, 1) and below the one before; the named `maskSchedule` is then ignored. */
  maskRatios?: readonly number[];
}

/** T rows [maskRatio, maskTemperature, sampleTemperature, guidanceScale] of a fixed schedule (the heuristic by default). */
export function maskGitSchedule(
  T: number,
  options: MaskGitHeuristicOptions & FixedGuidance & FixedMaskRatios & { maskSchedule?: MaskScheduleName } = {},
): number[][] {
  if (!(Number.isInteger(T) && T >= 1)) throw new RangeError(`steps must be a positive integer, got ${T}`);
  const tempInit = options.tempInit ?? 1;
  const cfgInit = options.cfgInit ?? 1;
  const samp = options.samplingTemperature ?? 1;
  const sampEnd = options.samplingTemperatureEnd;
  for (const [name, v] of [["tempInit", tempInit], ["cfgInit", cfgInit], ["samplingTemperature", samp], ["samplingTemperatureEnd", sampEnd ?? 1]] as const)
    if (!(v > 0 && Number.isFinite(v))) throw new RangeError(`${name} must be > 0 (softplus range), got ${v}`);
  const ratio = MASK_SCHEDULES[options.maskSchedule ?? "cosine"];
  if (!ratio) throw new RangeError(`mask schedule must be one of ${Object.keys(MASK_SCHEDULES).join(", ")}, got "${String(options.maskSchedule)}"`);
  const ratios = options.maskRatios;
  if (ratios !== undefined) {
    if (ratios.length !== T) throw new RangeError(`${T} steps take ${T} mask ratios, got ${ratios.length}`);
    ratios.forEach((m, k) => {
      if (!(m > 0 && m < 1)) throw new RangeError(`mask ratio ${k} must be in (0, 1) (sigmoid range), got ${m}`);
      if (k > 0 && !(m < ratios[k - 1])) throw new RangeError(`mask ratio ${k} (${m}) must be below the one before (${ratios[k - 1]}): each step reveals tokens`);
    });
  }
  const w = options.constantGuidance;
  if (w !== undefined && !(w > 0)) throw new RangeError(`constant guidance must be > 0 (softplus range), got ${w}`);
  const end = options.guidanceEnd;
  if (end !== undefined) {
    if (w === undefined) throw new RangeError(`a guidance ramp to ${end} needs its first weight (guidance)`);
    if (!(end > 0)) throw new RangeError(`guidance ramp end must be > 0 (softplus range), got ${end}`);
  }
  const fixed = w === undefined ? undefined : linearRamp(T, w, end);
  const sampling = linearRamp(T, samp, sampEnd);
  return Array.from({ length: T }, (_, k) => {
    const r = (k + 1 - 0.001) / T;
    return [ratios ? ratios[k] : ratio(r), tempInit * (1 - r), sampling[k], fixed ? fixed[k] : (cfgInit * (k + 0.001)) / T];
  });
}

/** Positions left masked after a step with mask ratio m: min(floor(N·m), N − 1) (no lower limit, docs/method.md §5.1). */
export function maskedCount(ratio: number, tokens: number): number {
  return Math.min(Math.floor(tokens * ratio), tokens - 1);
}
