/**
 * ODE steps for the flow dx/dtau = v(x, tau), as pure per-sample functions (scheduler-style: they never call a
 * model; the caller evaluates the guided velocity between calls).
 *
 * Every function takes a batch `x` of B samples flattened row-major (`x.length = B·dim`) and **per-sample times**
 * (`ArrayLike<number>` of length B). Time runs UP (tau = 0 noise, tau = 1 data, see path.ts), so a step goes from s
 * to t ≥ s; t = s returns x unchanged.
 *
 * - Euler (first order, 1 evaluation): x_t = x + (t − s)·v_s.
 * - Two-stage second-order Runge-Kutta with the stage at s1 in (s, t] (2 evaluations): stage state
 *   x_s1 = x + (s1 − s)·v_s (an Euler step), v_s1 = v(x_s1, s1), then with h = t − s and r = (s1 − s)/h
 *   x_t = x + h·[(1 − 1/(2r))·v_s + (1/(2r))·v_s1].
 *   r = 1 is Heun's method (trapezoid corrector), r = 1/2 the explicit midpoint method.
 * - DPM-Solver++ (docs/method.md §5.4): core's data-prediction solver with alpha = tau, sigma = 1 − tau
 *   (see `flowDpmSolverFirstOrder`, `flowDpmSolver2S`). Its first-order step equals Euler exactly on this path:
 *   x_t = ((1 − t)·x + (t − s)·x_data)/(1 − s) = x + (t − s)·v.
 */
import { batchDim, checkSameLength, dpmSolver2S, dpmSolverFirstOrder, type FloatArray } from "@adagen/core";
import { FlowNoiseSchedule, toDiffusionTime } from "./path.js";

const FLOW_SCHEDULE = new FlowNoiseSchedule();

/**
 * Smallest flow time the DPM-Solver++ wrappers pass on. At tau = 0 (pure noise, reachable only through a start
 * time whose sigmoid underflowed in float32) lambda is −∞ and the 2S ratio h/h1 would be ∞/∞ = NaN. Flooring tau
 * at 1e-12 keeps every step finite; the first-order step is unchanged (it is the Euler step either way) and the 2S
 * correction weight h/(2·h1) stays a few percent above its tau → 0 limit of 1/2.
 */
const DPM_MIN_TIME = 1e-12;

/** Diffusion times u = 1 − max(tau, 1e-12) for the DPM-Solver++ functions. */
function dpmTimes(tau: ArrayLike<number>): Float64Array {
  return toDiffusionTime(Float64Array.from({ length: tau.length }, (_, b) => Math.max(tau[b], DPM_MIN_TIME)));
}

function like<T extends FloatArray>(x: T): T {
  return new (x.constructor as new (n: number) => T)(x.length);
}

export interface EulerArgs<T extends FloatArray = FloatArray> {
  /** States at the start times s, [B·dim]. */
  x: T;
  /** (Guided) velocity at (x, s). */
  v: FloatArray;
  /** Per-sample start times. */
  s: ArrayLike<number>;
  /** Per-sample end times (t ≥ s). */
  t: ArrayLike<number>;
}

/** Euler step x_t = x + (t − s)·v from s to t, per sample. */
export function eulerStep<T extends FloatArray>(args: EulerArgs<T>, out?: T): T {
  const { x, v, s, t } = args;
  checkSameLength(x, v, "x", "v");
  const dim = batchDim(x, s, "eulerStep");
  if (t.length !== s.length) throw new RangeError(`eulerStep: ${t.length} end times for ${s.length} start times`);
  const res = out ?? like(x);
  for (let b = 0; b < s.length; b++) {
    const h = t[b] - s[b];
    for (let i = b * dim; i < (b + 1) * dim; i++) res[i] = x[i] + h * v[i];
  }
  return res;
}

export interface RK2Args<T extends FloatArray = FloatArray> {
  /** States at s. */
  x: T;
  /** Velocity at (x, s). */
  v: FloatArray;
  /** Velocity at the stage (eulerStep from (x, s) to s1, s1). */
  vStage: FloatArray;
  s: ArrayLike<number>;
  /** Stage times, s < s1 ≤ t (or s1 = s = t). */
  s1: ArrayLike<number>;
  t: ArrayLike<number>;
}

/** Second half of a two-stage second-order Runge-Kutta step from s to t with its stage at s1 (see file header). */
export function rk2Step<T extends FloatArray>(args: RK2Args<T>, out?: T): T {
  const { x, v, vStage, s, s1, t } = args;
  checkSameLength(x, v, "x", "v");
  checkSameLength(x, vStage, "x", "vStage");
  const dim = batchDim(x, s, "rk2Step");
  if (t.length !== s.length || s1.length !== s.length)
    throw new RangeError(`rk2Step: expected ${s.length} stage and end times, got ${s1.length} and ${t.length}`);
  const res = out ?? like(x);
  for (let b = 0; b < s.length; b++) {
    const h = t[b] - s[b];
    const hs = s1[b] - s[b];
    if (h === 0) {
      for (let i = b * dim; i < (b + 1) * dim; i++) res[i] = x[i];
      continue;
    }
    if (!(hs > 0 && hs <= h))
      throw new RangeError(`rk2Step: sample ${b} needs s < s1 ≤ t, got s=${s[b]}, s1=${s1[b]}, t=${t[b]}`);
    const cStage = h * (h / (2 * hs)); // h/(2r)
    const cStart = h - cStage;
    for (let i = b * dim; i < (b + 1) * dim; i++) res[i] = x[i] + cStart * v[i] + cStage * vStage[i];
  }
  return res;
}

export interface HeunArgs<T extends FloatArray = FloatArray> {
  x: T;
  /** Velocity at (x, s). */
  v: FloatArray;
  /** Velocity at the Euler prediction (eulerStep from (x, s) to t, t). */
  vEnd: FloatArray;
  s: ArrayLike<number>;
  t: ArrayLike<number>;
}

/** Heun's corrector x_t = x + (t − s)/2·(v_s + v_end): `rk2Step` with the stage at the end (r = 1). */
export function heunStep<T extends FloatArray>(args: HeunArgs<T>, out?: T): T {
  return rk2Step({ x: args.x, v: args.v, vStage: args.vEnd, s: args.s, s1: args.t, t: args.t }, out);
}

export interface FlowDpmFirstOrderArgs<T extends FloatArray = FloatArray> {
  /** States at s. */
  x: T;
  /** Data prediction x + (1 − s)·v at (x, s). */
  xData: FloatArray;
  /** Per-sample flow start times (tau, up). */
  s: ArrayLike<number>;
  /** Per-sample flow end times, t ≥ s. */
  t: ArrayLike<number>;
}

/** First-order DPM-Solver++ step on the flow path (alpha = tau, sigma = 1 − tau), s → t upwards. */
export function flowDpmSolverFirstOrder<T extends FloatArray>(args: FlowDpmFirstOrderArgs<T>, out?: T): T {
  return dpmSolverFirstOrder(
    FLOW_SCHEDULE,
    { x: args.x, x0: args.xData, s: dpmTimes(args.s), t: dpmTimes(args.t) },
    out,
  );
}

export interface FlowDpm2SArgs<T extends FloatArray = FloatArray> {
  /** States at s. */
  x: T;
  /** Data prediction at (x, s). */
  xData: FloatArray;
  /** Data prediction at (x_s1, s1), x_s1 the first-order step from (x, s) to s1. */
  xDataMid: FloatArray;
  s: ArrayLike<number>;
  /** Intermediate flow times s ≤ s1 ≤ t. */
  s1: ArrayLike<number>;
  t: ArrayLike<number>;
}

/**
 * Second half of DPM-Solver++(2S) on the flow path (docs/method.md §5.3 step 3.6 with §5.4's alpha, sigma, lambda):
 * x_t = (sigma_t/sigma_s)·x + alpha_t(1 − e^−h)·[x_data,s + h/(2·max(h1, 0.01))·(x_data,s1 − x_data,s)],
 * h = lambda(t) − lambda(s), h1 = lambda(s1) − lambda(s), lambda = log(tau/(1 − tau)).
 */
export function flowDpmSolver2S<T extends FloatArray>(args: FlowDpm2SArgs<T>, out?: T): T {
  return dpmSolver2S(
    FLOW_SCHEDULE,
    {
      x: args.x,
      x0: args.xData,
      x0Mid: args.xDataMid,
      s: dpmTimes(args.s),
      s1: dpmTimes(args.s1),
      t: dpmTimes(args.t),
    },
    out,
  );
}
