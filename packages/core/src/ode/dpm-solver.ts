/**
 * DPM-Solver++ in data-prediction form (Lu et al. 2022; docs/method.md §5.3), as pure per-sample functions.
 *
 * Every function takes a batch `x` of B samples flattened row-major (`x.length = B·dim`), the model's data
 * predictions x0 at the relevant points, and **per-sample times** (`ArrayLike<number>` of length B, one time per
 * sample, so each trajectory may follow its own schedule). They return the state at the end time `t` and never
 * call a model: the caller evaluates the (guided) model between calls, scheduler-style.
 *
 * Time runs downwards (`t < s`, tau = 0 is data). With h = lambda(t) − lambda(s) ≥ 0 the updates are
 * - first order (DDIM): x_t = (sigma_t/sigma_s)·x_s + alpha_t·(1 − e^−h)·x0_s;
 * - 2S (single-step, intermediate s1 between s and t): the first-order step to s1, a model call there, then
 *   x_t = (sigma_t/sigma_s)·x_s + alpha_t·(1 − e^−h)·[x0_s + h/(2·max(h1, 0.01))·(x0_s1 − x0_s)], h1 = lambda(s1) −
 *   lambda(s). That is DPM-Solver++(2S) with r = h1/h; the clamp of h1 at 0.01 is the paper code's (docs/method.md §5.3);
 * - 2M (multistep): the same correction with the previous step's x0 and h_prev = lambda(s) − lambda(t_prev)
 *   in place of the intermediate point, h_prev clamped at 0.01 likewise (our choice, mirroring 2S, so a repeated
 *   time point at the clamp floor cannot divide by zero).
 * When t = s (h = 0) every update returns x unchanged.
 */
import type { FloatArray } from "../guidance.js";
import { batchDim, checkSameLength } from "./batch.js";
import type { NoiseSchedule } from "./noise-schedule.js";

/** Lower bound on the step-size ratio denominators h1 (2S) and h_prev (2M), from the paper's 2S code. */
export const MIN_RATIO_STEP = 0.01;

/** Data prediction from a noise prediction: x0 = (x − sigma(tau)·eps) / alpha(tau), no thresholding. */
export function dataPrediction<T extends FloatArray>(
  schedule: NoiseSchedule,
  x: T,
  eps: FloatArray,
  tau: ArrayLike<number>,
  out?: T,
): T {
  checkSameLength(x, eps, "x", "eps");
  const dim = batchDim(x, tau, "dataPrediction");
  const res = out ?? (new (x.constructor as new (n: number) => T)(x.length));
  for (let b = 0; b < tau.length; b++) {
    const a = schedule.alpha(tau[b]);
    const sg = schedule.sigma(tau[b]);
    for (let i = b * dim; i < (b + 1) * dim; i++) res[i] = (x[i] - sg * eps[i]) / a;
  }
  return res;
}

export interface FirstOrderArgs<T extends FloatArray = FloatArray> {
  /** State at the start times s, [B·dim]. */
  x: T;
  /** Data prediction at (x, s). */
  x0: FloatArray;
  /** Per-sample start times. */
  s: ArrayLike<number>;
  /** Per-sample end times (t ≤ s). */
  t: ArrayLike<number>;
}

/** First-order DPM-Solver++ step (DDIM) from s to t. */
export function dpmSolverFirstOrder<T extends FloatArray>(schedule: NoiseSchedule, args: FirstOrderArgs<T>, out?: T): T {
  const { x, x0, s, t } = args;
  checkSameLength(x, x0, "x", "x0");
  const dim = batchDim(x, s, "dpmSolverFirstOrder");
  const res = out ?? (new (x.constructor as new (n: number) => T)(x.length));
  for (let b = 0; b < s.length; b++) {
    const h = schedule.lambda(t[b]) - schedule.lambda(s[b]);
    const cx = schedule.sigma(t[b]) / schedule.sigma(s[b]);
    const c0 = -schedule.alpha(t[b]) * Math.expm1(-h);
    for (let i = b * dim; i < (b + 1) * dim; i++) res[i] = cx * x[i] + c0 * x0[i];
  }
  return res;
}

interface SecondOrderArgs<T extends FloatArray> {
  /** State at s. */
  x: T;
  /** Data prediction at (x, s). */
  x0: FloatArray;
  /** Data prediction at the other point: the intermediate s1 (2S) or the previous time t_prev (2M). */
  x0Other: FloatArray;
  s: ArrayLike<number>;
  /** Intermediate time s1 in [t, s] (2S) or previous time t_prev ≥ s (2M). */
  other: ArrayLike<number>;
  t: ArrayLike<number>;
}

/**
 * Shared second-order update: x_t = (sigma_t/sigma_s)·x + alpha_t(1 − e^−h)·[x0 + h/(2·max(hr, 0.01))·sgn·(x0Other − x0)]
 * where hr = |lambda(other) − lambda(s)|; for 2S the correction points toward the intermediate x0 (sgn = +1),
 * for 2M it extrapolates away from the previous one (sgn = −1).
 */
function secondOrder<T extends FloatArray>(schedule: NoiseSchedule, args: SecondOrderArgs<T>, sign: 1 | -1, out?: T): T {
  const { x, x0, x0Other, s, other, t } = args;
  checkSameLength(x, x0, "x", "x0");
  checkSameLength(x, x0Other, "x", "x0Other");
  const dim = batchDim(x, s, sign > 0 ? "dpmSolver2S" : "dpmSolver2M");
  const res = out ?? (new (x.constructor as new (n: number) => T)(x.length));
  for (let b = 0; b < s.length; b++) {
    const lamS = schedule.lambda(s[b]);
    const h = schedule.lambda(t[b]) - lamS;
    const hr = sign * (schedule.lambda(other[b]) - lamS);
    const cx = schedule.sigma(t[b]) / schedule.sigma(s[b]);
    const c0 = -schedule.alpha(t[b]) * Math.expm1(-h);
    const corr = (sign * h) / (2 * Math.max(hr, MIN_RATIO_STEP));
    for (let i = b * dim; i < (b + 1) * dim; i++) res[i] = cx * x[i] + c0 * (x0[i] + corr * (x0Other[i] - x0[i]));
  }
  return res;
}

export interface SingleStepArgs<T extends FloatArray = FloatArray> {
  /** State at s. */
  x: T;
  /** Data prediction at (x, s). */
  x0: FloatArray;
  /** Data prediction at (x_s1, s1), where x_s1 is the first-order step from (x, s) to s1. */
  x0Mid: FloatArray;
  s: ArrayLike<number>;
  /** Intermediate times, t ≤ s1 ≤ s. */
  s1: ArrayLike<number>;
  t: ArrayLike<number>;
}

/** The second half of a DPM-Solver++(2S) step: from s to t given the data predictions at s and s1. */
export function dpmSolver2S<T extends FloatArray>(schedule: NoiseSchedule, args: SingleStepArgs<T>, out?: T): T {
  return secondOrder(schedule, { x: args.x, x0: args.x0, x0Other: args.x0Mid, s: args.s, other: args.s1, t: args.t }, 1, out);
}

export interface MultiStepArgs<T extends FloatArray = FloatArray> {
  /** State at s. */
  x: T;
  /** Data prediction at (x, s). */
  x0: FloatArray;
  /** Data prediction of the previous step, at t_prev. */
  x0Prev: FloatArray;
  /** Previous times, t_prev ≥ s. */
  tPrev: ArrayLike<number>;
  s: ArrayLike<number>;
  t: ArrayLike<number>;
}

/** DPM-Solver++(2M) step from s to t reusing the previous data prediction (the first step must be first order). */
export function dpmSolver2M<T extends FloatArray>(schedule: NoiseSchedule, args: MultiStepArgs<T>, out?: T): T {
  return secondOrder(schedule, { x: args.x, x0: args.x0, x0Other: args.x0Prev, s: args.s, other: args.tPrev, t: args.t }, -1, out);
}
