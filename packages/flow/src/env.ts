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
 * Solvers:
 * - "dpm2S" (paper, default): DPM-Solver++(2S) with alpha = tau, sigma = 1 − tau in pairs of evaluations, exactly the
 *   §5.3 procedure with time running up (odd decisions pick an intermediate point, even ones the end of the pair);
 * - "rk2": the same pairs with a two-stage second-order Runge-Kutta step on v, its stage at the intermediate point
 *   (`rk2Step`). On the time-uniform heuristic that is the explicit midpoint method. Heun's method is the member
 *   with the stage at the end point, which the pair layout cannot express (the end must lie ≥ 0.01 past the stage);
 *   `heunStep` is there for callers that drive the model themselves;
 * - "euler": every decision is the next point of an Euler step.
 * With an odd T the pair solvers end with one first-order (Euler) step.
 *
 * By default (`endpoint: "data"`) the last step lands on tau = 1: the last guided velocity carries the state there,
 * x_data = x + (1 − tau)·v (no extra model call), and the last decision's time is ignored. `endpoint: "last-time"`
 * stops at the last time point (≈ 0.99, still 0.99·x_data + 0.01·noise) as the paper does. `render` returns the
 * state in the model's data space ([-1, 1] for the zoo's images), shaped `[B, ...dataShape]`. A `renderTransform` (e.g. `@adagen/diffusion`'s `statesToImages`: `[B,H,W,C]` in [0, 1]) maps it to the
 * reward's input space.
 */
import type { Batch } from "@adagen/core";
import { GuidedOdeEnv, classifierFreeGuidance, type Endpoint } from "@adagen/diffusion";
import { dataFromVelocity } from "./path.js";
import type { VelocityPredictor } from "./predictor.js";
import { eulerStep, flowDpmSolver2S, flowDpmSolverFirstOrder, rk2Step } from "./solvers.js";

/** Ceiling of every time point (docs/method.md §5.4: clamp to ≤ 0.99). */
export const MAX_TIME = 0.99;
/** Minimum increase of the time per decision (docs/method.md §5.4: tau_next ≥ tau + 0.01). */
export const MIN_TIME_GAP = 0.01;
/** Heuristic start time (docs/method.md §4.3, SiT: 0.01). */
export const DEFAULT_START_TIME = 0.01;
/** SiT config defaults (docs/method.md §4.3, `sit.yaml`): cfg_init = 1.5, action smoothing rho = 0.8. */
export const SIT_GUIDANCE = 1.5;
export const SIT_SMOOTHING = 0.8;

export type FlowSolverName = "dpm2S" | "rk2" | "euler";
const SOLVERS: readonly FlowSolverName[] = ["dpm2S", "rk2", "euler"];

export interface FlowEnvOptions {
  /** T: number of guided model evaluations (NFE); the horizon is T+1 decisions. */
  steps: number;
  /** "dpm2S" (paper, default), "rk2" or "euler". */
  solver?: FlowSolverName;
  /** The heuristic's T+1 increasing time points; default time-uniform from 0.01 to 0.99 (docs/method.md §4.3). */
  heuristicTimes?: readonly number[];
  /** Constant heuristic CFG weight w > 0 (docs/method.md §4.3, SiT cfg_init = 1.5). */
  guidanceInit?: number;
  /** Action smoothing rho in [0, 1) (docs/method.md §4.3, SiT: 0.8). */
  smoothing?: number;
  /**
   * Maps the final states `[B, ...dataShape]` to what `render` returns, e.g. `statesToImages` for an image reward
   * (`[B,H,W,C]` in [0,1]). Default: the states themselves.
   */
  renderTransform?: (states: Batch) => Batch;
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
  protected readonly dataEnd = 1;
  /** Pair memory of the second-order solvers: start state, its time, and its v (rk2) or x_data (dpm2S). */
  private pairX: Float32Array = new Float32Array(0);
  private pairS: Float64Array = new Float64Array(0);
  private pairPred: Float32Array = new Float32Array(0);

  constructor(
    readonly predictor: VelocityPredictor,
    options: FlowEnvOptions,
  ) {
    const T = options.steps;
    const times = options.heuristicTimes ?? (Number.isInteger(T) && T >= 1 ? uniformTimes(T) : []);
    super(predictor, {
      steps: T,
      heuristicTimes: times,
      guidanceInit: options.guidanceInit ?? SIT_GUIDANCE,
      smoothing: options.smoothing ?? SIT_SMOOTHING,
      renderTransform: options.renderTransform,
      endpoint: options.endpoint,
    });
    this.solver = options.solver ?? "dpm2S";
    if (!SOLVERS.includes(this.solver))
      throw new RangeError(`solver must be one of ${SOLVERS.map((s) => `"${s}"`).join(", ")}, got "${String(this.solver)}"`);
    checkHeuristicTimes(times, T);
  }

  /** Start time: only the ceiling applies (docs/method.md §5.4). */
  protected startTime(proposed: number): number {
    return Math.min(proposed, MAX_TIME);
  }

  /** Up by at least the gap, then the ceiling: the upper bound wins (docs/method.md §5.4). */
  protected nextTime(proposed: number, tau: number): number {
    return Math.min(Math.max(proposed, tau + MIN_TIME_GAP), MAX_TIME);
  }

  protected async evaluate(labels: Int32Array) {
    const { v, features } = await this.predictor.predict(this.x, Float32Array.from(this.tau), labels, this.B);
    return { output: v, features };
  }

  protected guide(vCond: Float32Array, vUncond: Float32Array, w: Float32Array): Float32Array {
    return classifierFreeGuidance(vCond, vUncond, w);
  }

  protected predictData(v: Float32Array): Float32Array {
    return dataFromVelocity(this.x, v, this.tau);
  }

  /** Moves x from the current times to `next` with the guided velocity `v` of evaluation k−1 (0-based). */
  protected advance(v: Float32Array, next: Float64Array): void {
    const i = this.k - 1;
    const s = this.tau;
    if (this.solver === "euler") {
      this.x = eulerStep({ x: this.x, v, s, t: next });
    } else if (i % 2 === 0 && i + 1 < this.steps) {
      // Pair, first half: remember the start and take the first-order step to the intermediate point s1.
      this.pairX = this.x;
      this.pairS = Float64Array.from(s);
      if (this.solver === "dpm2S") {
        this.pairPred = dataFromVelocity(this.x, v, s);
        this.x = flowDpmSolverFirstOrder({ x: this.x, xData: this.pairPred, s, t: next });
      } else {
        this.pairPred = v;
        this.x = eulerStep({ x: this.x, v, s, t: next });
      }
    } else if (i % 2 === 1) {
      // Pair, second half: the current point is s1 with its prediction; step from the pair start to `next`.
      this.x =
        this.solver === "dpm2S"
          ? flowDpmSolver2S({
              x: this.pairX,
              xData: this.pairPred,
              xDataMid: dataFromVelocity(this.x, v, s),
              s: this.pairS,
              s1: s,
              t: next,
            })
          : rk2Step({ x: this.pairX, v: this.pairPred, vStage: v, s: this.pairS, s1: s, t: next });
    } else {
      // Odd number of evaluations: the last one is a first-order step.
      this.x =
        this.solver === "dpm2S"
          ? flowDpmSolverFirstOrder({ x: this.x, xData: dataFromVelocity(this.x, v, s), s, t: next })
          : eulerStep({ x: this.x, v, s, t: next });
    }
  }
}

/** The heuristic must survive the env's clamps, or the untrained policy would not reproduce it. */
export function checkHeuristicTimes(times: readonly number[], T: number): void {
  if (times.length !== T + 1) throw new RangeError(`heuristic needs ${T + 1} time points (steps + 1), got ${times.length}`);
  times.forEach((t, k) => {
    if (!(t > 0 && t <= MAX_TIME)) throw new RangeError(`heuristic time ${k} is ${t}; it must be in (0, ${MAX_TIME}]`);
    // The ceiling wins over the gap, so a last point of exactly 0.99 may follow one above 0.98.
    if (k > 0 && !(t >= times[k - 1] + MIN_TIME_GAP - 1e-12 || (t === MAX_TIME && t > times[k - 1])))
      throw new RangeError(`heuristic time ${k} is ${t}; it must be at least the previous ${times[k - 1]} plus ${MIN_TIME_GAP}`);
  });
}
