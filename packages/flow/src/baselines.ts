/**
 * Hand-designed flow sampling schedules (no policy) and a runner that executes one through `FlowEnv`, so baselines
 * and the policy-driven sampler share every line of solver code.
 *
 * Every grid has nfe+1 **increasing** time points from tauStart (near noise, default 0.01) to tauEnd (near data,
 * default 0.99): the start time plus one point per guided model evaluation, the layout of the env's decisions
 * (docs/method.md §5.4).
 */
import type { Batch, ExecutedActions } from "@adagen/core";
import type { Endpoint } from "@adagen/diffusion";
import { DEFAULT_START_TIME, FlowEnv, MAX_TIME, uniformTimes, type FlowSolverName } from "./env.js";
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

export interface ScheduledSamplingOptions {
  /** nfe+1 increasing time points, e.g. from one of the grids above. */
  times: readonly number[];
  /** Constant CFG weight w (docs/method.md convention, 0 = unguided), or one per model evaluation (nfe values). */
  guidance: number | readonly number[];
  /** Per-sample class labels (numClasses = unconditional). */
  conditions: Int32Array;
  /** Seed of the initial noise (same seed as `FlowEnv.reset` gives the same noise). */
  seed: number;
  /** "dpm2S" (default), "rk2" or "euler"; see `FlowEnv`. */
  solver?: FlowSolverName;
  /** Applied to the final states, as `FlowEnv`'s option of the same name (e.g. `statesToImages`). */
  renderTransform?: (states: Batch) => Batch;
  /** "data" (default): the last step lands on tau = 1; "last-time": it stops at the grid's last point. */
  endpoint?: Endpoint;
}

/** Runs the flow sampler on a fixed schedule (no policy) and returns the final states `[B, ...dataShape]` (transformed). */
export async function sampleWithSchedule(predictor: VelocityPredictor, options: ScheduledSamplingOptions): Promise<Batch> {
  const nfe = options.times.length - 1;
  const g = options.guidance;
  if (typeof g === "number") {
    if (!(g >= 0)) throw new RangeError(`guidance weight must be ≥ 0, got ${g}`);
  } else {
    if (g.length !== nfe) throw new RangeError(`guidance has ${g.length} values, expected one per model evaluation (${nfe})`);
    g.forEach((w, i) => {
      if (!(w >= 0)) throw new RangeError(`guidance[${i}] must be ≥ 0, got ${w}`);
    });
  }
  // guidance[k−1] belongs to decision k; decision 0's weight is unused by the env.
  const weightAt = (k: number) => (typeof g === "number" ? g : g[Math.max(k - 1, 0)]);
  const env = new FlowEnv(predictor, {
    steps: nfe,
    heuristicTimes: options.times,
    // The heuristic table is unused here (actions are given directly); any positive weight satisfies its check.
    guidanceInit: 1,
    smoothing: 0,
    solver: options.solver,
    renderTransform: options.renderTransform,
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
