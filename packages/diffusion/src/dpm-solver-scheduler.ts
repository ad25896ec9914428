/**
 * `DpmSolverScheduler`: DPM-Solver++ as an `OdeSolver` (docs/method.md §5.3). Time runs down (tau = 0 is data).
 *
 * Clamps: the start time only to [0.01, tauMax]; each next time to [0.01, tau − 0.01], the lower bound winning.
 * Sequencing of the model evaluations (0-based i):
 * - "2S" (the paper's): pairs; evaluation 2j steps first-order to an intermediate point s1 and remembers
 *   (x_s, s, x0_s); evaluation 2j+1 (at s1) completes the second-order step from the pair start. With an odd count
 *   the last evaluation is a first-order step.
 * - "2M": multistep, each evaluation steps to the next point with the previous data prediction as memory (the first
 *   step is first order).
 * - "1": first order throughout (DDIM).
 * The formulas are core's (`dpmSolverFirstOrder`, `dpmSolver2S`, `dpmSolver2M`); this object only sequences them.
 */
import { dataPrediction, dpmSolver2M, dpmSolver2S, dpmSolverFirstOrder, type OdeSolver } from "@adagen/core";
import type { NoiseSchedule } from "./schedules.js";

/** Floor of every time point and minimum decrease per decision (docs/method.md §5.3, clamp of step 3). */
export const MIN_TIME = 0.01;
export const MIN_TIME_GAP = 0.01;

export type SolverName = "2S" | "2M" | "1";
export const SOLVER_NAMES: readonly SolverName[] = ["2S", "2M", "1"];

export class DpmSolverScheduler implements OdeSolver {
  readonly dataEnd = 0;
  private steps = 0;
  /** Evaluations stepped since `begin`. */
  private i = 0;
  /** 2S pair start (x_s, s, x0_s); 2M previous data prediction and its time. */
  private pairX: Float32Array = new Float32Array(0);
  private pairS: Float64Array = new Float64Array(0);
  private pairX0: Float32Array = new Float32Array(0);
  private prevX0: Float32Array = new Float32Array(0);
  private prevT: Float64Array = new Float64Array(0);

  constructor(
    readonly schedule: NoiseSchedule,
    readonly solver: SolverName = "2S",
  ) {
    if (!SOLVER_NAMES.includes(solver))
      throw new RangeError(`solver must be ${SOLVER_NAMES.map((n) => `"${n}"`).join(", ")}, got "${String(solver)}"`);
  }

  startTime(proposed: number): number {
    return Math.min(Math.max(proposed, MIN_TIME), this.schedule.tauMax);
  }

  /** Down by at least the gap, then the floor: the lower bound wins (docs/method.md §5.3, step 3). */
  nextTime(proposed: number, tau: number): number {
    return Math.max(Math.min(proposed, tau - MIN_TIME_GAP), MIN_TIME);
  }

  checkTimes(times: readonly number[], steps: number, what = "heuristic"): void {
    if (times.length !== steps + 1) throw new RangeError(`${what} needs ${steps + 1} time points (steps + 1), got ${times.length}`);
    if (!(times[0] <= this.schedule.tauMax && times[0] < 1))
      throw new RangeError(`${what} start time ${times[0]} exceeds the schedule's maximum ${this.schedule.tauMax} (and must be < 1)`);
    times.forEach((t, k) => {
      if (!(t >= MIN_TIME)) throw new RangeError(`${what} time ${k} is ${t}, below the floor ${MIN_TIME}`);
      if (k > 0 && !(t <= times[k - 1] - MIN_TIME_GAP + 1e-12))
        throw new RangeError(`${what} time ${k} is ${t}; it must be at most the previous ${times[k - 1]} minus ${MIN_TIME_GAP}`);
    });
  }

  begin(steps: number): void {
    this.steps = steps;
    this.i = 0;
  }

  predictData(eps: Float32Array, x: Float32Array, s: Float64Array): Float32Array {
    return dataPrediction(this.schedule, x, eps, s);
  }

  step(eps: Float32Array, x: Float32Array, s: Float64Array, t: Float64Array): Float32Array {
    const i = this.i++;
    const x0 = dataPrediction(this.schedule, x, eps, s);
    if (this.solver === "1") return dpmSolverFirstOrder(this.schedule, { x, x0, s, t });
    if (this.solver === "2M") {
      const next =
        i === 0
          ? dpmSolverFirstOrder(this.schedule, { x, x0, s, t })
          : dpmSolver2M(this.schedule, { x, x0, x0Prev: this.prevX0, tPrev: this.prevT, s, t });
      this.prevX0 = x0;
      this.prevT = Float64Array.from(s);
      return next;
    }
    if (i % 2 === 0 && i + 1 < this.steps) {
      // 2S, first half: remember (x_s, s, x0_s) and take the first-order step to the intermediate point s1.
      this.pairX = x;
      this.pairS = Float64Array.from(s);
      this.pairX0 = x0;
      return dpmSolverFirstOrder(this.schedule, { x, x0, s, t });
    }
    if (i % 2 === 1)
      // 2S, second half: the current point is s1, x0 its prediction; step from the pair start to t.
      return dpmSolver2S(this.schedule, { x: this.pairX, x0: this.pairX0, x0Mid: x0, s: this.pairS, s1: s, t });
    // 2S with an odd number of evaluations: the last one is a first-order step.
    return dpmSolverFirstOrder(this.schedule, { x, x0, s, t });
  }
}
