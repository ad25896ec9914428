/**
 * Analytic testbed: a class-conditional isotropic Gaussian mixture whose VP noise prediction is exact, so a
 * sampler's only error is its discretisation (and guidance) error, and exact samples of the data are free.
 */
import { Random } from "@adagen/core";
import type { NoisePredictor } from "../predictor.js";
import { VPLinearSchedule, type NoiseSchedule } from "../schedules.js";

export interface GaussianMixtureOptions {
  /** Data dimension d. */
  dim: number;
  /** Number of classes (default 4). */
  numClasses?: number;
  /** Components per class (default 2: 8 components in all). */
  componentsPerClass?: number;
  /** Per-coordinate std of the class centres around 0 (default 0.6). */
  classSpread?: number;
  /** Per-coordinate std of a component mean around its class centre (default 0.5). */
  componentSpread?: number;
  /** Base std of each isotropic component; each one gets base·U(0.6, 1.4) (default 0.1). */
  componentStd?: number;
  /** Seed of the construction (means, stds, weights). */
  seed: number;
}

/** Exact posterior-mean (data) predictions at one (x, tau): conditional on the given labels and unconditional. */
export interface MixtureDenoised {
  x0Cond: Float64Array;
  x0Uncond: Float64Array;
}

/**
 * Class-conditional Gaussian mixture in dimension d. Component k has mean m_k, isotropic std s_k, class
 * `classOf[k]` and weight `weight[k]` within its class; classes are equally likely.
 */
export class GaussianMixture {
  readonly dim: number;
  readonly numClasses: number;
  readonly numComponents: number;
  /** Component means `[K, d]`. */
  readonly means: Float64Array;
  /** Component stds `[K]`. */
  readonly stds: Float64Array;
  readonly classOf: Int32Array;
  /** Mixture weight of each component within its class (sums to 1 per class). */
  readonly weight: Float64Array;

  constructor(options: GaussianMixtureOptions) {
    const d = options.dim;
    const C = options.numClasses ?? 4;
    const per = options.componentsPerClass ?? 2;
    if (!(Number.isInteger(d) && d >= 1)) throw new RangeError(`dim must be a positive integer, got ${d}`);
    if (!(Number.isInteger(C) && C >= 1)) throw new RangeError(`numClasses must be a positive integer, got ${C}`);
    if (!(Number.isInteger(per) && per >= 1)) throw new RangeError(`componentsPerClass must be a positive integer, got ${per}`);
    const classSpread = options.classSpread ?? 0.6;
    const componentSpread = options.componentSpread ?? 0.5;
    const componentStd = options.componentStd ?? 0.1;
    const rng = new Random(options.seed);
    this.dim = d;
    this.numClasses = C;
    this.numComponents = C * per;
    const K = this.numComponents;
    this.means = new Float64Array(K * d);
    this.stds = new Float64Array(K);
    this.classOf = new Int32Array(K);
    this.weight = new Float64Array(K);
    const centre = new Float64Array(d);
    for (let c = 0; c < C; c++) {
      rng.fillNormal(centre, 0, classSpread);
      let wsum = 0;
      for (let i = 0; i < per; i++) {
        const k = c * per + i;
        this.classOf[k] = c;
        for (let j = 0; j < d; j++) this.means[k * d + j] = centre[j] + componentSpread * rng.normal();
        this.stds[k] = componentStd * (0.6 + 0.8 * rng.uniform());
        this.weight[k] = 0.5 + rng.uniform();
        wsum += this.weight[k];
      }
      for (let i = 0; i < per; i++) this.weight[c * per + i] /= wsum;
    }
  }

  /** Exact samples `[B, d]`, one per label (0..numClasses−1), drawn with `rng`. */
  sample(labels: Int32Array, rng: Random): Float32Array {
    const d = this.dim;
    const out = new Float32Array(labels.length * d);
    labels.forEach((c, b) => {
      if (!(c >= 0 && c < this.numClasses)) throw new RangeError(`label ${c} is out of range 0..${this.numClasses - 1}`);
      let u = rng.uniform();
      let k = -1;
      for (let i = 0; i < this.numComponents; i++) {
        if (this.classOf[i] !== c) continue;
        k = i;
        u -= this.weight[i];
        if (u < 0) break;
      }
      for (let j = 0; j < d; j++) out[b * d + j] = this.means[k * d + j] + this.stds[k] * rng.normal();
    });
    return out;
  }

  /**
   * Exact E[x0 | x_tau] under the VP noising x_tau = alpha·x0 + sigma·eps, conditional on each sample's label
   * (label numClasses = unconditional) and unconditional. Noised component k is N(alpha·m_k, v_k·I) with
   * v_k = alpha²s_k² + sigma²; its posterior mean is m_k + (alpha·s_k²/v_k)(x − alpha·m_k), weighted by the
   * component's posterior responsibility.
   */
  denoise(x: ArrayLike<number>, tau: ArrayLike<number>, labels: Int32Array, schedule: NoiseSchedule): MixtureDenoised {
    const d = this.dim;
    const K = this.numComponents;
    const B = labels.length;
    if (x.length !== B * d) throw new RangeError(`x has ${x.length} values, expected ${B}·${d}`);
    const x0Cond = new Float64Array(B * d);
    const x0Uncond = new Float64Array(B * d);
    const logp = new Float64Array(K);
    const gain = new Float64Array(K);
    for (let b = 0; b < B; b++) {
      const a = schedule.alpha(tau[b]);
      const s = schedule.sigma(tau[b]);
      for (let k = 0; k < K; k++) {
        const v = a * a * this.stds[k] ** 2 + s * s;
        gain[k] = (a * this.stds[k] ** 2) / v;
        let r2 = 0;
        for (let j = 0; j < d; j++) r2 += (x[b * d + j] - a * this.means[k * d + j]) ** 2;
        // Class prior 1/C is common to all components and cancels.
        logp[k] = Math.log(this.weight[k]) - (0.5 * r2) / v - 0.5 * d * Math.log(v);
      }
      const label = labels[b];
      this.mix(x, b, a, logp, gain, label === this.numClasses ? -1 : label, x0Cond);
      this.mix(x, b, a, logp, gain, -1, x0Uncond);
    }
    return { x0Cond, x0Uncond };
  }

  /** Writes sample b's posterior mean over the components of class `cls` (−1: all) into `out`. */
  private mix(
    x: ArrayLike<number>,
    b: number,
    a: number,
    logp: Float64Array,
    gain: Float64Array,
    cls: number,
    out: Float64Array,
  ): void {
    const d = this.dim;
    let max = -Infinity;
    for (let k = 0; k < this.numComponents; k++) if (cls < 0 || this.classOf[k] === cls) max = Math.max(max, logp[k]);
    let z = 0;
    for (let k = 0; k < this.numComponents; k++) {
      if (cls >= 0 && this.classOf[k] !== cls) continue;
      const r = Math.exp(logp[k] - max);
      z += r;
      for (let j = 0; j < d; j++) {
        const m = this.means[k * d + j];
        out[b * d + j] += r * (m + gain[k] * (x[b * d + j] - a * m));
      }
    }
    for (let j = 0; j < d; j++) out[b * d + j] /= z;
  }
}

/**
 * The mixture's exact noise prediction as a `NoisePredictor`: eps = (x − alpha·E[x0|x])/sigma.
 *
 * Features `[B, 3, d+1]`, three tokens of d+1 channels: token 0 = x_tau, token 1 = E[x0 | x, label] (the
 * conditional data prediction), token 2 = E[x0 | x] (unconditional); channel d of every token is the current tau.
 * These are the cheap state summaries a policy needs: where the sample is, where the model would send it with and
 * without the class, and how noisy it still is.
 */
export class GmmNoisePredictor implements NoisePredictor {
  readonly dataShape: readonly number[];
  readonly featureShape: readonly [number, number];
  readonly numClasses: number;
  /** Number of `predict` calls made, for NFE accounting in tests and benchmarks. */
  calls = 0;

  constructor(
    readonly mixture: GaussianMixture,
    readonly schedule: NoiseSchedule = new VPLinearSchedule(),
  ) {
    this.dataShape = [mixture.dim];
    this.featureShape = [3, mixture.dim + 1];
    this.numClasses = mixture.numClasses;
  }

  async predict(
    x: Float32Array,
    tau: Float32Array,
    labels: Int32Array,
    batch: number,
  ): Promise<{ output: Float32Array; features: Float32Array }> {
    const d = this.mixture.dim;
    if (labels.length !== batch || tau.length !== batch || x.length !== batch * d)
      throw new RangeError(
        `predict expected x [${batch},${d}], tau [${batch}], labels [${batch}]; got ${x.length}, ${tau.length}, ${labels.length} values`,
      );
    this.calls++;
    const { x0Cond, x0Uncond } = this.mixture.denoise(x, tau, labels, this.schedule);
    const eps = new Float32Array(batch * d);
    const D = d + 1;
    const features = new Float32Array(batch * 3 * D);
    for (let b = 0; b < batch; b++) {
      const a = this.schedule.alpha(tau[b]);
      const s = this.schedule.sigma(tau[b]);
      const f = b * 3 * D;
      for (let j = 0; j < d; j++) {
        const i = b * d + j;
        eps[i] = (x[i] - a * x0Cond[i]) / s;
        features[f + j] = x[i];
        features[f + D + j] = x0Cond[i];
        features[f + 2 * D + j] = x0Uncond[i];
      }
      features[f + d] = features[f + D + d] = features[f + 2 * D + d] = tau[b];
    }
    return { output: eps, features };
  }
}
