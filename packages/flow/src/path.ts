/**
 * The linear interpolant of rectified flow / SiT (docs/method.md §5.4), the one time convention of this package:
 *
 *   x_tau = tau·x_data + (1 − tau)·noise,   tau in [0, 1],   **tau = 0 is noise, tau = 1 is data; time runs UP**.
 *
 * The model predicts the velocity v = dx/dtau = x_data − noise. From (x, tau, v):
 *   data prediction  x_data = x + (1 − tau)·v,
 *   noise            eps    = x − tau·v.
 *
 * For the DPM-Solver++ path (docs/method.md §5.4) the interpolant is a noise schedule with alpha(tau) = tau,
 * sigma(tau) = 1 − tau, lambda(tau) = log(tau / (1 − tau)) (increasing in tau). core's DPM-Solver++
 * functions run time *downwards* (diffusion time, 0 = data), so `FlowNoiseSchedule` is the same interpolant in the
 * diffusion time u = 1 − tau: alpha(u) = 1 − u, sigma(u) = u. `toDiffusionTime` converts per-sample times.
 */
import { batchDim, checkSameLength, type FloatArray, type NoiseSchedule } from "@adagen/core";

function like<T extends FloatArray>(x: T, n: number): T {
  return new (x.constructor as new (n: number) => T)(n);
}

/** Data prediction from a velocity: x_data = x + (1 − tau)·v, per sample. */
export function dataFromVelocity<T extends FloatArray>(x: T, v: FloatArray, tau: ArrayLike<number>, out?: T): T {
  checkSameLength(x, v, "x", "v");
  const dim = batchDim(x, tau, "dataFromVelocity");
  const res = out ?? like(x, x.length);
  for (let b = 0; b < tau.length; b++) {
    const c = 1 - tau[b];
    for (let i = b * dim; i < (b + 1) * dim; i++) res[i] = x[i] + c * v[i];
  }
  return res;
}

/** Noise from a velocity: eps = x − tau·v, per sample. */
export function noiseFromVelocity<T extends FloatArray>(x: T, v: FloatArray, tau: ArrayLike<number>, out?: T): T {
  checkSameLength(x, v, "x", "v");
  const dim = batchDim(x, tau, "noiseFromVelocity");
  const res = out ?? like(x, x.length);
  for (let b = 0; b < tau.length; b++) {
    const t = tau[b];
    for (let i = b * dim; i < (b + 1) * dim; i++) res[i] = x[i] - t * v[i];
  }
  return res;
}

/** Flow times tau (up, 1 = data) → diffusion times u = 1 − tau (down, 0 = data), as float64. */
export function toDiffusionTime(tau: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: tau.length }, (_, b) => 1 - tau[b]);
}

/**
 * The linear interpolant as a core `NoiseSchedule` in diffusion time u = 1 − tau (u = 0 data):
 * alpha(u) = 1 − u, sigma(u) = u, lambda(u) = log((1 − u)/u), so lambda(1 − tau) = log(tau/(1 − tau)) of docs/method.md §5.4.
 * Not variance preserving (alpha + sigma = 1); DPM-Solver++ only needs alpha, sigma and lambda.
 */
export class FlowNoiseSchedule implements NoiseSchedule {
  readonly name = "flow-linear";
  /** lambda is finite on (0, 1); the flow samplers stay within u ∈ [0.01, 1) (tau ≤ 0.99). */
  readonly tauMax = 1;

  logAlpha(u: number): number {
    this.check(u);
    return Math.log1p(-u);
  }

  alpha(u: number): number {
    this.check(u);
    return 1 - u;
  }

  sigma(u: number): number {
    this.check(u);
    return u;
  }

  lambda(u: number): number {
    this.check(u);
    return Math.log1p(-u) - Math.log(u);
  }

  inverseLambda(lambda: number): number {
    if (Number.isNaN(lambda)) throw new RangeError(`inverseLambda needs a number, got ${lambda}`);
    // lambda = log((1 − u)/u)  ⇔  u = 1/(1 + e^lambda) = sigmoid(−lambda).
    return lambda >= 0 ? Math.exp(-lambda) / (1 + Math.exp(-lambda)) : 1 / (1 + Math.exp(lambda));
  }

  private check(u: number): void {
    if (!(u >= 0 && u <= 1)) throw new RangeError(`flow schedule: diffusion time u = 1 − tau must be in [0, 1], got ${u}`);
  }
}
