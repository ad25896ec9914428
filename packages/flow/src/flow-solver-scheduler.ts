/**
 * `FlowSolverScheduler`: the rectified-flow solvers as an `OdeSolver` (docs/method.md §5.4). Time runs up
 * (x_tau = tau·x_data + (1 − tau)·noise, tau = 1 is data); the model's output is the velocity v = x_data − noise.
 *
 * Clamps: the start time only to ≤ 0.99; each next time up by at least 0.01, then down to 0.99 (the ceiling wins).
 * Sequencing of the model evaluations (0-based i):
 * - "dpm2S" (the paper's): DPM-Solver++(2S) with alpha = tau, sigma = 1 − tau in pairs of evaluations: evaluation 2j
 *   steps first-order to an intermediate point s1, evaluation 2j+1 (at s1) completes the step from the pair start;
 * - "rk2": the same pairs with a two-stage second-order Runge-Kutta step on v, its stage at the intermediate point
 *   (`rk2Step`; on the time-uniform heuristic, the explicit midpoint method). Heun's method is the member with the
 *   stage at the end point, which the pair layout cannot express (the end must lie ≥ 0.01 past the stage);
 *   `heunStep` is there for callers that drive the model themselves;
 * - "euler": every evaluation is an Euler step.
 * With an odd count the pair solvers end with one first-order (Euler) step. The formulas are in solvers.ts and
 * path.ts; this object only sequences them.
 */
import type { OdeSolver } from "@adagen/core";
import { dataFromVelocity } from "./path.js";
import { eulerStep, flowDpmSolver2S, flowDpmSolverFirstOrder, rk2Step } from "./solvers.js";

/** Ceiling of every time point (docs/method.md §5.4: clamp to ≤ 0.99). */
export const MAX_TIME = 0.99;
/** Minimum increase of the time per decision (docs/method.md §5.4: tau_next ≥ tau + 0.01). */
export const MIN_TIME_GAP = 0.01;

export type FlowSolverName = "dpm2S" | "rk2" | "euler";
export const FLOW_SOLVER_NAMES: readonly FlowSolverName[] = ["dpm2S", "rk2", "euler"];

export class FlowSolverScheduler implements OdeSolver {
  readonly dataEnd = 1;
  private steps = 0;
  /** Evaluations stepped since `begin`. */
  private i = 0;
  /** Pair memory of the second-order solvers: start state, its time, and its v (rk2) or x_data (dpm2S). */
  private pairX: Float32Array = new Float32Array(0);
  private pairS: Float64Array = new Float64Array(0);
  private pairPred: Float32Array = new Float32Array(0);

  constructor(readonly solver: FlowSolverName = "dpm2S") {
    if (!FLOW_SOLVER_NAMES.includes(solver))
      throw new RangeError(`solver must be one of ${FLOW_SOLVER_NAMES.map((s) => `"${s}"`).join(", ")}, got "${String(solver)}"`);
  }

  /** Start time: only the ceiling applies (docs/method.md §5.4). */
  startTime(proposed: number): number {
    return Math.min(proposed, MAX_TIME);
  }

  /** Up by at least the gap, then the ceiling: the upper bound wins (docs/method.md §5.4). */
  nextTime(proposed: number, tau: number): number {
    return Math.min(Math.max(proposed, tau + MIN_TIME_GAP), MAX_TIME);
  }

  checkTimes(times: readonly number[], steps: number, what = "heuristic"): void {
    if (times.length !== steps + 1) throw new RangeError(`${what} needs ${steps + 1} time points (steps + 1), got ${times.length}`);
    times.forEach((t, k) => {
      if (!(t > 0 && t <= MAX_TIME)) throw new RangeError(`${what} time ${k} is ${t}; it must be in (0, ${MAX_TIME}]`);
      // The ceiling wins over the gap, so a last point of exactly 0.99 may follow one above 0.98.
      if (k > 0 && !(t >= times[k - 1] + MIN_TIME_GAP - 1e-12 || (t === MAX_TIME && t > times[k - 1])))
        throw new RangeError(`${what} time ${k} is ${t}; it must be at least the previous ${times[k - 1]} plus ${MIN_TIME_GAP}`);
    });
  }

  begin(steps: number): void {
    this.steps = steps;
    this.i = 0;
  }

  predictData(v: Float32Array, x: Float32Array, s: Float64Array): Float32Array {
    return dataFromVelocity(x, v, s);
  }

  step(v: Float32Array, x: Float32Array, s: Float64Array, t: Float64Array): Float32Array {
    const i = this.i++;
    if (this.solver === "euler") return eulerStep({ x, v, s, t });
    if (i % 2 === 0 && i + 1 < this.steps) {
      // Pair, first half: remember the start and take the first-order step to the intermediate point s1.
      this.pairX = x;
      this.pairS = Float64Array.from(s);
      if (this.solver === "dpm2S") {
        this.pairPred = dataFromVelocity(x, v, s);
        return flowDpmSolverFirstOrder({ x, xData: this.pairPred, s, t });
      }
      this.pairPred = v;
      return eulerStep({ x, v, s, t });
    }
    if (i % 2 === 1)
      // Pair, second half: the current point is s1 with its prediction; step from the pair start to t.
      return this.solver === "dpm2S"
        ? flowDpmSolver2S({ x: this.pairX, xData: this.pairPred, xDataMid: dataFromVelocity(x, v, s), s: this.pairS, s1: s, t })
        : rk2Step({ x: this.pairX, v: this.pairPred, vStage: v, s: this.pairS, s1: s, t });
    // Odd number of evaluations: the last one is a first-order step.
    return this.solver === "dpm2S"
      ? flowDpmSolverFirstOrder({ x, xData: dataFromVelocity(x, v, s), s, t })
      : eulerStep({ x, v, s, t });
  }
}
