/**
 * Guidance per model evaluation for the time-point samplers' fixed schedules: a constant weight, or a linear ramp
 * from the first evaluation's weight to the last's (the linear CFG ramps of docs/method.md §5; the learned policies
 * often raise guidance along the trajectory, so the searched baselines search ramps too).
 */
import type { ScheduleRequest } from "../card/adapter.js";
import { linearRamp } from "../card/linear-ramp.js";

/** `nfe` weights: `from` at the first model evaluation, `to` at the last, linear between; `from` throughout without `to`. */
export function guidancePerEvaluation(nfe: number, from: number, to?: number): number[] {
  if (!(Number.isInteger(nfe) && nfe >= 1)) throw new RangeError(`model evaluations must be a positive integer, got ${nfe}`);
  return linearRamp(nfe, from, to);
}

/**
 * Guidance as an action table's column, one weight per decision (nfe + 1): decision k ≥ 1 executes model evaluation
 * k's weight; the start decision's is unused by the env and repeats the first evaluation's.
 */
export function guidancePerDecision(guidance: number | readonly number[], nfe: number): number[] {
  const perEvaluation = typeof guidance === "number" ? new Array<number>(nfe).fill(guidance) : [...guidance];
  if (perEvaluation.length !== nfe) throw new RangeError(`guidance has ${perEvaluation.length} values, expected one per model evaluation (${nfe})`);
  return [perEvaluation[0], ...perEvaluation];
}

/**
 * A fixed schedule request's guidance for `nfe` model evaluations: its constant weight (the heuristic's `fallback`
 * when it names none), or its ramp to `guidanceEnd`, one weight per evaluation.
 */
export function scheduleGuidance(request: Pick<ScheduleRequest, "guidance" | "guidanceEnd">, nfe: number, fallback: number): number | number[] {
  const from = request.guidance ?? fallback;
  return request.guidanceEnd === undefined ? from : guidancePerEvaluation(nfe, from, request.guidanceEnd);
}
