/**
 * `FlowEnv`: the policy-driven rectified-flow sampler of docs/method.md §5.4 as a core `GenerationEnv`.
 *
 * Time convention: x_tau = tau·x_data + (1 − tau)·noise, **tau = 0 noise, tau = 1 data, time runs UP**; the model
 * predicts v = x_data − noise (path.ts).
 *
 * With T = `steps` guided model evaluations there are T+1 policy decisions:
 * - decision 0 sees all-zero features and picks the start time (heuristic 0.01), clamped only to ≤ 0.99; its
 *   guidance output is unused except through the smoothing memory. The initial noise x ~ N(0, I) is the state at
 *   that time, without rescaling.
 * - decision k ≥ 1 belongs to the k-th guided evaluation at the current (x, tau): the conditional pass gives the
 *   features the policy sees; the policy picks this evaluation's CFG weight w (`guidanceScale`, docs/method.md §1
 *   convention v = v_c + w·(v_c − v_u), w = 0 unguided) and the next time (`nextTime`), clamped first up to
 *   tau + 0.01 and then down to 0.99 (the upper bound wins). Then the unconditional pass, guidance, and the solver
 *   advances to the next time.
 * Solvers ("dpm2S" the paper's, "rk2", "euler"): see `FlowSolverScheduler`.
 *
 * By default (`endpoint: "data"`) the last step lands on tau = 1: the last guided velocity carries the state there,
 * x_data = x + (1 − tau)·v (no extra model call), and the last decision's time is ignored. `endpoint: "last-time"`
 * stops at the last time point (≈ 0.99, still 0.99·x_data + 0.01·noise) as the paper does. `render` returns the
 * state in the model's data space ([-1, 1] for the zoo's images), shaped `[B, ...dataShape]`. A `renderTransform` (e.g. core's `statesToImages`: `[B,H,W,C]` in [0, 1]) maps it to the
 * reward's input space.
 */
import { GuidedOdeEnv, type Endpoint, type RenderTransform } from "@adagen/core";
import { FlowSolverScheduler, MAX_TIME, type FlowSolverName } from "./flow-solver-scheduler.js";
import type { VelocityPredictor } from "./predictor.js";

/** Heuristic start time (docs/method.md §4.3, SiT: 0.01). */
export const DEFAULT_START_TIME = 0.01;
/** SiT config defaults (docs/method.md §4.3, `sit.yaml`): cfg_init = 1.5, action smoothing rho = 0.8. */
export const SIT_GUIDANCE = 1.5;
export const SIT_SMOOTHING = 0.8;

export interface FlowEnvOptions {
  /** T: number of guided model evaluations (NFE); the horizon is T+1 decisions. */
  steps: number;
  /** "dpm2S" (paper, default), "rk2" or "euler". */
  solver?: FlowSolverName;
  /** The heuristic's T+1 increasing time points; default time-uniform from 0.01 to 0.99 (docs/method.md §4.3). */
  heuristicTimes?: readonly number[];
  /** Heuristic CFG weight w > 0 (docs/method.md §4.3, SiT cfg_init = 1.5): constant, or one per model evaluation. */
  guidanceInit?: number | readonly number[];
  /** Action smoothing rho in [0, 1) (docs/method.md §4.3, SiT: 0.8). */
  smoothing?: number;
  /**
   * Maps the final states `[B, ...dataShape]` to what `render` returns, e.g. `statesToImages` for an image reward
   * (`[B,H,W,C]` in [0,1]). Default: the states themselves.
   */
  renderTransform?: RenderTransform;
  /** "data" (default): the last step lands on tau = 1; "last-time": it stops at its time point (≈ 0.99). */
  endpoint?: Endpoint;
}

/** Time-uniform grid of n+1 points from `from` up to `to` (the SiT heuristic, docs/method.md §4.3: 0.01 → 0.99). */
export function uniformTimes(n: number, from = DEFAULT_START_TIME, to = MAX_TIME): number[] {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`number of steps must be a positive integer, got ${n}`);
  return Array.from({ length: n + 1 }, (_, k) => (k === n ? to : from + (k * (to - from)) / n));
}

export class FlowEnv extends GuidedOdeEnv {
  readonly solver: FlowSolverName;

  constructor(
    readonly predictor: VelocityPredictor,
    options: FlowEnvOptions,
  ) {
    const T = options.steps;
    const times = options.heuristicTimes ?? (Number.isInteger(T) && T >= 1 ? uniformTimes(T) : []);
    super(predictor, new FlowSolverScheduler(options.solver ?? "dpm2S"), {
      steps: T,
      heuristicTimes: times,
      guidanceInit: options.guidanceInit ?? SIT_GUIDANCE,
      smoothing: options.smoothing ?? SIT_SMOOTHING,
      renderTransform: options.renderTransform,
      endpoint: options.endpoint,
    });
    this.solver = options.solver ?? "dpm2S";
  }
}
