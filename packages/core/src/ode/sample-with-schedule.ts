/**
 * Runs a guided ODE sampler on a fixed schedule (no policy): the hand-designed baselines. It feeds the schedule to
 * `GuidedOdeEnv` as the actions of every decision, so a baseline and a policy that outputs the same schedule go
 * through the same clamps, the same float32 rounding of actions and the same solver steps, and give the same
 * samples bit for bit.
 */
import type { Batch, ExecutedActions } from "../env.js";
import { GuidedOdeEnv, type RenderTransform } from "./guided-ode-env.js";
import type { OdeModel } from "./model.js";
import type { Endpoint, OdeSolver } from "./solver.js";

export interface ScheduledSamplingOptions {
  /** nfe+1 time points toward the data end (the start, then one per guided model evaluation). */
  times: readonly number[];
  /** Constant CFG weight w ≥ 0 (docs/method.md §1 convention, 0 = unguided), or one per model evaluation (nfe values). */
  guidance: number | readonly number[];
  /** Per-sample class labels (numClasses = unconditional). */
  conditions: Int32Array;
  /** Seed of the initial noise (the env's `reset` with this seed draws the same noise). */
  seed: number;
  /** "data" (default): the last step lands on the data end; "last-time": it stops at the grid's last point. */
  endpoint?: Endpoint;
  /** Elements that receive guidance (`channelMask`); all by default. */
  guidedElements?: Uint8Array;
  /** Applied to the final states, e.g. `statesToImages`. */
  renderTransform?: RenderTransform;
}

/** Samples `conditions.length` states `[B, ...dataShape]` (or their `renderTransform`) on the given schedule. */
export async function sampleWithSchedule(model: OdeModel, solver: OdeSolver, options: ScheduledSamplingOptions): Promise<Batch> {
  const nfe = options.times.length - 1;
  const g = options.guidance;
  const weights = typeof g === "number" ? new Array<number>(Math.max(nfe, 1)).fill(g) : g;
  if (weights.length !== nfe && typeof g !== "number")
    throw new RangeError(`guidance has ${weights.length} values, expected one per model evaluation (${nfe})`);
  weights.forEach((w, i) => {
    if (!(w >= 0)) throw new RangeError(`guidance${typeof g === "number" ? "" : `[${i}]`} must be ≥ 0, got ${w}`);
  });
  const env = new GuidedOdeEnv(model, solver, {
    steps: nfe,
    heuristicTimes: options.times,
    // The heuristic table is unused here (actions are given directly); any positive weight satisfies its check.
    guidanceInit: 1,
    smoothing: 0,
    endpoint: options.endpoint,
    guidedElements: options.guidedElements,
    renderTransform: options.renderTransform,
  });
  const B = options.conditions.length;
  await env.reset(options.conditions, options.seed);
  for (let k = 0; k <= nfe; k++) {
    // weights[k − 1] belongs to decision k; decision 0's weight is unused by the env.
    const actions: ExecutedActions = {
      nextTime: new Float32Array(B).fill(options.times[k]),
      guidanceScale: new Float32Array(B).fill(weights[Math.max(k - 1, 0)]),
    };
    await env.step(actions);
  }
  return env.render();
}
