/**
 * Standard hand-designed sampling schedules (no policy) and `sampleDiffusionSchedule`, which runs one through core's
 * `sampleWithSchedule` with the same `DpmSolverScheduler` the policy-driven `DiffusionEnv` uses.
 *
 * Every grid has nfe+1 decreasing time points from tauStart to tauEnd (tau = 0 is data): the start time plus one
 * point per guided model evaluation, the same layout as the env's decisions (docs/method.md §5.3). With the data
 * endpoint (the default) the grid's last point is where the paper's sampler stops; ours lands on tau = 0 instead,
 * so only the start and the interior points are used.
 */
import { channelMask, sampleWithSchedule, type Batch, type ScheduledSamplingOptions } from "@adagen/core";
import { DpmSolverScheduler, MIN_TIME, type SolverName } from "./dpm-solver-scheduler.js";
import { uniformTimes } from "./env.js";
import type { NoisePredictor } from "./predictor.js";
import { VPLinearSchedule, type NoiseSchedule } from "./schedules.js";

function checkGrid(nfe: number, tauStart: number, tauEnd: number): void {
  if (!(Number.isInteger(nfe) && nfe >= 1)) throw new RangeError(`nfe must be a positive integer, got ${nfe}`);
  if (!(tauStart > tauEnd && tauEnd > 0)) throw new RangeError(`need tauStart > tauEnd > 0, got ${tauStart} and ${tauEnd}`);
}

/** Uniform in tau (the DiT heuristic, docs/method.md §4.3). */
export function timeUniformGrid(nfe: number, tauStart = 0.9, tauEnd = MIN_TIME): number[] {
  checkGrid(nfe, tauStart, tauEnd);
  return uniformTimes(nfe, tauStart, tauEnd);
}

/** Uniform in half log-SNR lambda (DPM-Solver's recommended grid for guided sampling). */
export function logSnrUniformGrid(schedule: NoiseSchedule, nfe: number, tauStart = 0.9, tauEnd = MIN_TIME): number[] {
  checkGrid(nfe, tauStart, tauEnd);
  const [l0, l1] = [schedule.lambda(tauStart), schedule.lambda(tauEnd)];
  return Array.from({ length: nfe + 1 }, (_, i) =>
    i === 0 ? tauStart : i === nfe ? tauEnd : schedule.inverseLambda(l0 + ((l1 - l0) * i) / nfe),
  );
}

/**
 * Karras et al. (EDM) grid: uniform in sigma_EDM^(1/rho) with sigma_EDM = sigma/alpha = e^−lambda, rho = 7 by
 * default (EDM §3), mapped back to tau.
 */
export function karrasGrid(schedule: NoiseSchedule, nfe: number, tauStart = 0.9, tauEnd = MIN_TIME, rho = 7): number[] {
  checkGrid(nfe, tauStart, tauEnd);
  if (!(rho > 0)) throw new RangeError(`Karras rho must be positive, got ${rho}`);
  const hi = Math.exp(-schedule.lambda(tauStart) / rho);
  const lo = Math.exp(-schedule.lambda(tauEnd) / rho);
  return Array.from({ length: nfe + 1 }, (_, i) => {
    if (i === 0) return tauStart;
    if (i === nfe) return tauEnd;
    const sigmaEdm = (hi + ((lo - hi) * i) / nfe) ** rho;
    return schedule.inverseLambda(-Math.log(sigmaEdm));
  });
}

export interface DiffusionScheduleOptions extends Omit<ScheduledSamplingOptions, "guidedElements"> {
  /** nfe+1 decreasing time points, e.g. from one of the grids above. */
  times: readonly number[];
  /** "2S" (default), "2M" or "1"; see `DpmSolverScheduler`. */
  solver?: SolverName;
  /** Noise schedule; VP-linear by default. */
  schedule?: NoiseSchedule;
  /** Channels (axis 0 of dataShape) that receive guidance; all by default. */
  guidedChannels?: readonly number[];
}

/** Runs DPM-Solver++ on a fixed schedule (no policy) and returns the final states `[B, ...dataShape]`. */
export function sampleDiffusionSchedule(predictor: NoisePredictor, options: DiffusionScheduleOptions): Promise<Batch> {
  const { solver, schedule, guidedChannels, ...rest } = options;
  return sampleWithSchedule(predictor, new DpmSolverScheduler(schedule ?? new VPLinearSchedule(), solver ?? "2S"), {
    ...rest,
    guidedElements: guidedChannels ? channelMask(predictor.dataShape, guidedChannels) : undefined,
  });
}
