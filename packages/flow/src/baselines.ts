/**
 * Hand-designed flow sampling schedules (no policy) and `sampleFlowSchedule`, which runs one through core's
 * `sampleWithSchedule` with the same `FlowSolverScheduler` the policy-driven `FlowEnv` uses.
 *
 * Every grid has nfe+1 **increasing** time points from tauStart (near noise, default 0.01) to tauEnd (near data,
 * default 0.99): the start time plus one point per guided model evaluation, the layout of the env's decisions
 * (docs/method.md §5.4).
 */
import { sampleWithSchedule, type Batch, type ScheduledSamplingOptions } from "@adagen/core";
import { DEFAULT_START_TIME, uniformTimes } from "./env.js";
import { FlowSolverScheduler, MAX_TIME, type FlowSolverName } from "./flow-solver-scheduler.js";
import type { VelocityPredictor } from "./predictor.js";

function checkGrid(nfe: number, tauStart: number, tauEnd: number): void {
  if (!(Number.isInteger(nfe) && nfe >= 1)) throw new RangeError(`nfe must be a positive integer, got ${nfe}`);
  if (!(tauStart > 0 && tauEnd > tauStart && tauEnd <= MAX_TIME))
    throw new RangeError(`need 0 < tauStart < tauEnd ≤ ${MAX_TIME}, got tauStart=${tauStart}, tauEnd=${tauEnd}`);
}

/** Uniform in tau from tauStart up to tauEnd (the SiT heuristic, docs/method.md §4.3). */
export function timeUniformGrid(nfe: number, tauStart = DEFAULT_START_TIME, tauEnd = MAX_TIME): number[] {
  checkGrid(nfe, tauStart, tauEnd);
  return uniformTimes(nfe, tauStart, tauEnd);
}

/**
 * The SD3-style time shift, written in this package's time (tau = 1 data): f(u) = s·u / (1 + (s − 1)·u) on
 * u in [0, 1], applied to the uniform fraction u = k/nfe of the way from tauStart to tauEnd:
 * tau_k = tauStart + (tauEnd − tauStart)·f(k/nfe). Endpoints stay fixed.
 *
 * Direction: s > 1 moves every interior point toward data (tau = 1), making steps coarse near noise and fine near
 * data; s < 1 moves them toward noise; s = 1 is the uniform grid. SD3 applies the same formula to its noise level
 * sigma = 1 − tau, where shift 3 pushes points toward noise; that is s = 1/3 here (f_s(u) = 1 − f_{1/s}(1 − u)).
 */
export function shiftedGrid(nfe: number, shift: number, tauStart = DEFAULT_START_TIME, tauEnd = MAX_TIME): number[] {
  checkGrid(nfe, tauStart, tauEnd);
  if (!(shift > 0 && Number.isFinite(shift))) throw new RangeError(`time shift must be a positive number, got ${shift}`);
  return Array.from({ length: nfe + 1 }, (_, k) => {
    if (k === 0) return tauStart;
    if (k === nfe) return tauEnd;
    const u = k / nfe;
    return tauStart + (tauEnd - tauStart) * ((shift * u) / (1 + (shift - 1) * u));
  });
}

export interface FlowScheduleOptions extends Omit<ScheduledSamplingOptions, "guidedElements"> {
  /** nfe+1 increasing time points, e.g. from one of the grids above. */
  times: readonly number[];
  /** "dpm2S" (default), "rk2" or "euler"; see `FlowSolverScheduler`. */
  solver?: FlowSolverName;
}

/** Runs the flow sampler on a fixed schedule (no policy) and returns the final states `[B, ...dataShape]` (transformed). */
export function sampleFlowSchedule(predictor: VelocityPredictor, options: FlowScheduleOptions): Promise<Batch> {
  const { solver, ...rest } = options;
  return sampleWithSchedule(predictor, new FlowSolverScheduler(solver ?? "dpm2S"), rest);
}
