/**
 * `OdeSolver`: one guided-ODE solver as a small scheduler object (diffusers' shape): the time points come from
 * outside (a fixed grid, or the policy one decision at a time), the solver owns the clamps that keep them valid,
 * the stepping formulas and the memory a second-order method carries between model evaluations. The decision loop
 * (`GuidedOdeEnv`) and the fixed-schedule runner (`sampleWithSchedule`) both drive it, so each solver's stepping
 * exists once.
 *
 * Times are per sample (Float64Array, one per batch row); states and model outputs are float32 rows `[B, dim]`.
 */
export interface OdeSolver {
  /** The data end of the time axis: 0 when time runs down to data (diffusion), 1 when it runs up (flow). */
  readonly dataEnd: 0 | 1;
  /** Clamp of the start time the first decision proposes. */
  startTime(proposed: number): number;
  /** Clamp of the next time proposed at current time `tau` (moves toward data by at least the solver's gap). */
  nextTime(proposed: number, tau: number): number;
  /**
   * Throws a RangeError naming the point when `steps + 1` time points would not survive the clamps unchanged; `what`
   * names the points in the message (default "heuristic").
   */
  checkTimes(times: readonly number[], steps: number, what?: string): void;
  /** Starts a trajectory of `steps` model evaluations: clears the memory of the previous one. */
  begin(steps: number): void;
  /**
   * Moves `x` at times `s` to times `t` with the guided output of the next model evaluation (evaluations are
   * counted from `begin`), and returns the new state. Pair and multistep solvers remember what they need.
   */
  step(output: Float32Array, x: Float32Array, s: Float64Array, t: Float64Array): Float32Array;
  /** The data prediction of the guided output at (x, s): where a step all the way to the data end lands. */
  predictData(output: Float32Array, x: Float32Array, s: Float64Array): Float32Array;
}

/** "data": the last step returns the last evaluation's data prediction; "last-time": it stops at its time point. */
export type Endpoint = "data" | "last-time";
export const ENDPOINTS: readonly Endpoint[] = ["data", "last-time"];
