/**
 * A Gaussian target with a closed-form flow, for solver tests: data x_data ~ N(mu_c, std²·I) for class c, noise
 * N(0, I), linear interpolant x_tau = tau·x_data + (1 − tau)·noise (tau = 0 noise, 1 data).
 *
 * Then x_tau ~ N(tau·mu, var(tau)·I) with var(tau) = tau²·std² + (1 − tau)², the exact velocity is
 *   v(x, tau) = E[x_data − noise | x_tau = x] = mu + (tau·std² − (1 − tau))/var(tau) · (x − tau·mu),
 * and the ODE dx/dtau = v carries x(s) to x(t) = t·mu + sqrt(var(t)/var(s))·(x(s) − s·mu).
 *
 * The null class (label = numClasses) uses mean 0: a Gaussian stand-in for the unconditional model so guidance has
 * something to push against (the true unconditional marginal would be a mixture).
 */
import { Random } from "@adagen/core";
import type { VelocityPredictor } from "../predictor.js";

export interface GaussianFlowOptions {
  /** Dimension of one sample. */
  dim: number;
  /** Number of classes (class means drawn from N(0, meanScale²)). */
  numClasses?: number;
  /** Per-dimension std of every class. */
  std?: number;
  meanScale?: number;
  seed?: number;
}

export class GaussianFlowTarget {
  readonly dim: number;
  readonly numClasses: number;
  readonly std: number;
  /** Class means, [numClasses + 1][dim]; the last row (null class) is zero. */
  readonly means: Float64Array[];

  constructor(options: GaussianFlowOptions) {
    const { dim } = options;
    if (!(Number.isInteger(dim) && dim >= 1)) throw new RangeError(`dim must be a positive integer, got ${dim}`);
    this.dim = dim;
    this.numClasses = options.numClasses ?? 3;
    if (!(Number.isInteger(this.numClasses) && this.numClasses >= 1))
      throw new RangeError(`numClasses must be a positive integer, got ${this.numClasses}`);
    this.std = options.std ?? 0.5;
    if (!(this.std > 0)) throw new RangeError(`std must be positive, got ${this.std}`);
    const rng = new Random(options.seed ?? 0);
    const scale = options.meanScale ?? 1;
    this.means = Array.from({ length: this.numClasses + 1 }, (_, c) =>
      c === this.numClasses ? new Float64Array(dim) : (rng.fillNormal(new Float64Array(dim), 0, scale) as Float64Array),
    );
  }

  variance(tau: number): number {
    return tau * tau * this.std * this.std + (1 - tau) * (1 - tau);
  }

  private mean(label: number): Float64Array {
    if (!(Number.isInteger(label) && label >= 0 && label <= this.numClasses))
      throw new RangeError(`label ${label} is outside 0..${this.numClasses} (${this.numClasses} = null class)`);
    return this.means[label];
  }

  /** Exact velocity for a batch, per-sample times and labels. */
  velocity<T extends Float32Array | Float64Array>(x: T, tau: ArrayLike<number>, labels: ArrayLike<number>): T {
    const d = this.dim;
    if (x.length !== tau.length * d) throw new RangeError(`x has ${x.length} values, expected ${tau.length}·${d}`);
    const out = new (x.constructor as new (n: number) => T)(x.length);
    for (let b = 0; b < tau.length; b++) {
      const t = tau[b];
      const mu = this.mean(labels[b]);
      const c = (t * this.std * this.std - (1 - t)) / this.variance(t);
      for (let j = 0; j < d; j++) out[b * d + j] = mu[j] + c * (x[b * d + j] - t * mu[j]);
    }
    return out;
  }

  /** The exact ODE solution at times t from states x at times s (per sample). */
  transport(x: Float64Array, s: ArrayLike<number>, t: ArrayLike<number>, labels: ArrayLike<number>): Float64Array {
    const d = this.dim;
    const out = new Float64Array(x.length);
    for (let b = 0; b < s.length; b++) {
      const mu = this.mean(labels[b]);
      const r = Math.sqrt(this.variance(t[b]) / this.variance(s[b]));
      for (let j = 0; j < d; j++) out[b * d + j] = t[b] * mu[j] + r * (x[b * d + j] - s[b] * mu[j]);
    }
    return out;
  }
}

/**
 * The target's exact velocity behind the `VelocityPredictor` seam. Features are [2, dim]: the state and a row
 * filled with tau, so a policy (or a test) can see both.
 */
export class GaussianVelocityPredictor implements VelocityPredictor {
  readonly dataShape: readonly number[];
  readonly featureShape: readonly [number, number];
  readonly numClasses: number;

  constructor(readonly target: GaussianFlowTarget) {
    this.dataShape = [target.dim];
    this.featureShape = [2, target.dim];
    this.numClasses = target.numClasses;
  }

  async predict(x: Float32Array, tau: Float32Array, labels: Int32Array, batch: number): Promise<{ output: Float32Array; features: Float32Array }> {
    const d = this.target.dim;
    if (x.length !== batch * d || tau.length !== batch || labels.length !== batch)
      throw new RangeError(`expected x [${batch},${d}], ${batch} times and ${batch} labels, got ${x.length}, ${tau.length}, ${labels.length}`);
    const v = this.target.velocity(x, tau, labels);
    const features = new Float32Array(batch * 2 * d);
    for (let b = 0; b < batch; b++) {
      features.set(x.subarray(b * d, (b + 1) * d), b * 2 * d);
      features.fill(tau[b], b * 2 * d + d, (b + 1) * 2 * d);
    }
    return { output: v, features };
  }
}
