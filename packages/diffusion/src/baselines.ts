/**
 * Standard hand-designed sampling schedules (no policy) and a runner that executes one through `DiffusionEnv`,
 * so baselines and the policy-driven sampler share every line of solver code.
 *
 * Every grid has nfe+1 decreasing time points from tauStart to tauEnd (tau = 0 is data): the start time plus one
 * point per guided model evaluation, the same layout as the env's decisions (docs/method.md §5.3). With the data
 * endpoint (the default) the grid's last point is where the paper's sampler stops; ours lands on tau = 0 instead,
 * so only the start and the interior points are used.
 */
import type { Batch, ExecutedActions } from "@adagen/core";
import { DiffusionEnv, MIN_TIME, uniformTimes, type SolverName } from "./env.js";
import type { Endpoint } from "./guided-ode-env.js";
import type { NoisePredictor } from "./predictor.js";
import type { NoiseSchedule } from "./schedules.js";

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

export interface ScheduledSamplingOptions {
  /** nfe+1 decreasing time points, e.g. from one of the grids above. */
  times: readonly number[];
  /** Constant CFG weight w (docs/method.md convention, 0 = unguided), or one per model evaluation (nfe values). */
  guidance: number | readonly number[];
  /** Per-sample class labels (numClasses = unconditional). */
  conditions: Int32Array;
  /** Seed of the initial noise (same seed as `DiffusionEnv.reset` gives the same noise). */
  seed: number;
  solver?: SolverName;
  schedule?: NoiseSchedule;
  guidedChannels?: readonly number[];
  /** "data" (default): the last step lands on tau = 0; "last-time": it stops at the grid's last point. */
  endpoint?: Endpoint;
}

/** Runs the sampler on a fixed schedule (no policy) and returns the final states `[B, ...dataShape]`. */
export async function sampleWithSchedule(predictor: NoisePredictor, options: ScheduledSamplingOptions): Promise<Batch> {
  const nfe = options.times.length - 1;
  const g = options.guidance;
  if (typeof g !== "number" && g.length !== nfe)
    throw new RangeError(`guidance has ${g.length} values, expected one per model evaluation (${nfe})`);
  // guidance[k−1] belongs to decision k; decision 0's weight is unused by the env.
  const weightAt = (k: number) => (typeof g === "number" ? g : g[Math.max(k - 1, 0)]);
  const env = new DiffusionEnv(predictor, {
    steps: nfe,
    heuristicTimes: options.times,
    // The heuristic table is unused here (actions are given directly); any positive weight satisfies its check.
    guidanceInit: 1,
    smoothing: 0,
    solver: options.solver,
    schedule: options.schedule,
    guidedChannels: options.guidedChannels,
    endpoint: options.endpoint,
  });
  const B = options.conditions.length;
  await env.reset(options.conditions, options.seed);
  for (let k = 0; k <= nfe; k++) {
    const actions: ExecutedActions = {
      nextTime: new Float32Array(B).fill(options.times[k]),
      guidanceScale: new Float32Array(B).fill(weightAt(k)),
    };
    await env.step(actions);
  }
  return env.render();
}
