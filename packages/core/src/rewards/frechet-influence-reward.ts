import { featureStatistics, gemmAcc, symmetricEigen } from "@adagen/metrics";
import type { Batch } from "../env.js";
import type { NamedArray } from "../train/tensor-file.js";
import { Random } from "../random.js";
import type { FeatureSpace } from "./feature-space.js";
import type { LabeledBatch, RealDataSource, RewardModel } from "./reward.js";

export interface FrechetInfluenceOptions {
  /** Real training images behind the reference statistics (default 10,000), and their draw's seed (default 0). */
  count?: number;
  seed?: number;
  /** One distance per class (default) or one for all images. */
  classConditional?: boolean;
  /**
   * Memory of the policy's running statistics, in images per class: each new image weighs 1 and older ones decay
   * by 1 − 1/horizon (default 1,000; enough for a 64-d covariance, short enough to follow the policy).
   */
  horizon?: number;
}

/** Running, exponentially forgetting first and second moments of one class's fake features. */
interface Moments {
  weight: number;
  mean: Float64Array;
  /** Row-major d × d, biased (divided by the weight). */
  covariance: Float64Array;
}

/** What scoring a class needs, cached until its moments change. */
export interface Influence {
  mean: Float64Array;
  /** 2 (μ − μ_real). */
  meanGradient: Float64Array;
  /** I − M, with M = A (A Σ A)^(-1/2) A and A = Σ_real^(1/2). */
  curvature: Float64Array;
  /** tr((I − M) Σ): the expectation of the quadratic part under the policy, so the influence has mean 0. */
  offset: number;
}

/**
 * A reward that sees batch statistics (docs/method.md §14 item 17): each image's first-order effect on the Fréchet
 * distance between the policy's images and real training images in a frozen feature space (a ViT backbone or an
 * ONNX model's `features`, see openFeatureSpace; never the FID extractor), class by class.
 *
 * The distance of the policy's distribution P (mean μ, covariance Σ) to the reals (μ_r, Σ_r) is
 *   FD = ‖μ − μ_r‖² + tr Σ + tr Σ_r − 2 tr (A Σ A)^(1/2),   A = Σ_r^(1/2).
 * Moving a sliver ε of P onto one image x changes μ by ε(x − μ) and Σ by ε((x − μ)(x − μ)ᵀ − Σ), so to first order
 *   dFD/dε = 2 (μ − μ_r)ᵀ(x − μ) + (x − μ)ᵀ(I − M)(x − μ) − tr((I − M) Σ),   M = A (A Σ A)^(-1/2) A,
 * its influence function. The reward is minus that: an image scores high when more images like it would bring the
 * policy's statistics closer to the reals'. Unlike the per-image discriminator, this charges lost spread: when Σ is
 * narrower than Σ_r, M exceeds I and images far from μ are rewarded (a per-sample score cannot see it). Unlike the
 * leave-one-out batch distance (`FeatureFidReward`), μ and Σ come from running statistics of about `horizon`
 * images per class rather than one batch of 64, too few for a 64-d covariance.
 *
 * `update` adds the fakes it is given to the running statistics (the trainer passes each discriminator step's
 * exploring images; the reals are ignored, their statistics are fixed): a learned state without a gradient.
 */
export class FrechetInfluenceReward implements RewardModel {
  private readonly moments: Moments[];
  private readonly cache = new Map<number, Influence>();
  readonly horizon: number;

  private constructor(
    /** Owned: released by `dispose`. */
    readonly space: FeatureSpace,
    /** Per class (or one entry): the reals' mean, and A = Σ_r^(1/2). */
    private readonly reference: { mean: Float64Array; root: Float64Array }[],
    readonly classConditional: boolean,
    horizon: number,
  ) {
    if (!(horizon > 1)) throw new RangeError(`the Fréchet influence reward's horizon must be above 1 image, got ${horizon}`);
    this.horizon = horizon;
    const d = this.dims;
    this.moments = reference.map(() => ({ weight: 0, mean: new Float64Array(d), covariance: new Float64Array(d * d) }));
  }

  /**
   * The reward in a feature space (core's openFeatureSpace; the reward owns it from here), with real images for the
   * reference statistics (per class when `classConditional`).
   */
  static async create(space: FeatureSpace, real: RealDataSource, classes: number, options: FrechetInfluenceOptions = {}): Promise<FrechetInfluenceReward> {
    const conditional = options.classConditional ?? true;
    try {
      const { samples, labels } = await real.sample(options.count ?? 10000, new Random(options.seed ?? 0));
      const features = await space.features(samples);
      const groups = conditional ? classes : 1;
      const reference = Array.from({ length: groups }, (_, c) => {
        const rows = classFeatures(features, labels, conditional ? c : undefined);
        if (rows.rows <= features.dims)
          throw new RangeError(`${rows.rows} real images of class ${c} for ${features.dims}-d statistics; draw more real images (count)`);
        const stats = featureStatistics(rows);
        return { mean: Float64Array.from(stats.mu), root: symmetricRoot(stats.sigma, features.dims, 0.5) };
      });
      return new FrechetInfluenceReward(space, reference, conditional, options.horizon ?? 1000);
    } catch (err) {
      await space.dispose();
      throw err;
    }
  }

  private get dims(): number {
    return this.space.dims;
  }

  async score(samples: Batch, labels: Int32Array): Promise<Float32Array> {
    const B = samples.shape[0];
    if (labels.length !== B) throw new RangeError(`${labels.length} labels for ${B} samples`);
    const features = await this.space.features(samples);
    const d = features.dims;
    const out = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      out[b] = -influenceAt(this.influence(this.group(labels[b])), features.data.subarray(b * d, (b + 1) * d));
    }
    return out;
  }

  /** Adds the fakes to the running statistics of their classes; the reals are not needed. */
  async update(_real: LabeledBatch, fake: LabeledBatch): Promise<Record<string, number>> {
    const features = await this.space.features(fake.samples);
    const d = features.dims;
    const decay = 1 - 1 / this.horizon;
    const delta = new Float64Array(d);
    for (let b = 0; b < fake.labels.length; b++) {
      const g = this.group(fake.labels[b]);
      const m = this.moments[g];
      // Exponentially weighted moments: the new image has weight 1, the old total decays.
      const weight = decay * m.weight + 1;
      const w = 1 / weight;
      const x = features.data.subarray(b * d, (b + 1) * d);
      for (let i = 0; i < d; i++) delta[i] = x[i] - m.mean[i];
      for (let i = 0; i < d; i++) m.mean[i] += w * delta[i];
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) m.covariance[i * d + j] = (1 - w) * (m.covariance[i * d + j] + w * delta[i] * delta[j]);
      m.weight = weight;
      this.cache.delete(g);
    }
    return { statisticsImages: Math.min(...this.moments.map((m) => m.weight)) };
  }

  async exportState(): Promise<Record<string, NamedArray>> {
    const d = this.dims;
    const out: Record<string, NamedArray> = {};
    this.moments.forEach((m, g) => {
      out[`influence/${g}/weight`] = { shape: [1], data: Float32Array.of(m.weight) };
      out[`influence/${g}/mean`] = { shape: [d], data: Float32Array.from(m.mean) };
      out[`influence/${g}/covariance`] = { shape: [d, d], data: Float32Array.from(m.covariance) };
    });
    return out;
  }

  async importState(tensors: Record<string, NamedArray>): Promise<void> {
    const d = this.dims;
    this.moments.forEach((m, g) => {
      const [weight, mean, covariance] = ["weight", "mean", "covariance"].map((k) => tensors[`influence/${g}/${k}`]);
      if (!weight || !mean || !covariance) throw new Error(`the checkpoint has no running statistics for group ${g} (influence/${g}/…)`);
      if (mean.data.length !== d || covariance.data.length !== d * d) throw new Error(`the checkpoint's statistics for group ${g} are not ${d}-d`);
      m.weight = weight.data[0];
      m.mean.set(mean.data);
      m.covariance.set(covariance.data);
    });
    this.cache.clear();
  }

  async dispose(): Promise<void> {
    await this.space.dispose();
  }

  private group(label: number): number {
    if (!this.classConditional) return 0;
    if (!Number.isInteger(label) || label < 0 || label >= this.moments.length) throw new RangeError(`label ${label} is outside 0..${this.moments.length - 1}`);
    return label;
  }

  private influence(g: number): Influence {
    const cached = this.cache.get(g);
    if (cached) return cached;
    const m = this.moments[g];
    const d = this.dims;
    if (m.weight <= d)
      throw new Error(
        `the Fréchet influence reward has seen ${m.weight.toFixed(0)} fake images${this.classConditional ? ` of class ${g}` : ""}, too few for ${d}-d statistics: give it the policy's images through update() first (adagen train fills it from the starting policy)`,
      );
    const inf = influenceTerms(m.mean, m.covariance, this.reference[g].mean, this.reference[g].root, d);
    this.cache.set(g, inf);
    return inf;
  }
}

/**
 * The terms of the Fréchet distance's influence function at a distribution with mean μ and covariance Σ, against
 * reals with mean μ_r and A = Σ_r^(1/2) (all d-dimensional, matrices row-major).
 */
export function influenceTerms(mean: ArrayLike<number>, covariance: ArrayLike<number>, realMean: ArrayLike<number>, realRoot: Float64Array, d: number): Influence {
  const sigma = Float64Array.from(covariance);
  const inner = symmetricRoot(product(product(realRoot, sigma, d), realRoot, d), d, -0.5);
  const M = product(product(realRoot, inner, d), realRoot, d);
  const curvature = new Float64Array(d * d);
  let offset = 0;
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      curvature[i * d + j] = (i === j ? 1 : 0) - 0.5 * (M[i * d + j] + M[j * d + i]);
      offset += curvature[i * d + j] * sigma[j * d + i];
    }
  return { mean: Float64Array.from(mean), meanGradient: Float64Array.from(mean, (v, i) => 2 * (v - realMean[i])), curvature, offset };
}

/** dFD/dε of moving a sliver ε of the distribution onto the point x: 2(μ − μ_r)ᵀ(x − μ) + (x − μ)ᵀ(I − M)(x − μ) − tr((I − M)Σ). */
export function influenceAt(inf: Influence, x: ArrayLike<number>): number {
  const d = inf.mean.length;
  const centred = Float64Array.from({ length: d }, (_, i) => x[i] - inf.mean[i]);
  let value = -inf.offset;
  for (let i = 0; i < d; i++) {
    let row = 0;
    for (let j = 0; j < d; j++) row += inf.curvature[i * d + j] * centred[j];
    value += centred[i] * (inf.meanGradient[i] + row);
  }
  return value;
}

/** S^p of a symmetric positive semi-definite matrix (p = ½ or −½), eigenvalues floored at 1e-10 of the largest. */
export function symmetricRoot(S: ArrayLike<number>, d: number, p: 0.5 | -0.5): Float64Array {
  const sym = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) sym[i * d + j] = 0.5 * (S[i * d + j] + S[j * d + i]);
  const { values, vectors } = symmetricEigen(sym, d);
  const floor = 1e-10 * Math.max(values[d - 1], 0) || 1e-300;
  const scale = Float64Array.from(values, (v) => Math.max(v, floor) ** p);
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += vectors[i * d + k] * scale[k] * vectors[j * d + k];
      out[i * d + j] = s;
    }
  return out;
}

function product(X: Float64Array, Y: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  gemmAcc(out, d, X, d, Y, d, d, d, d);
  return out;
}

/** The feature rows whose label is `c` (all rows when `c` is undefined), in order. */
export function classFeatures(
  features: { data: Float32Array; dims: number },
  labels: ArrayLike<number>,
  c?: number,
): { data: Float32Array; rows: number; dims: number } {
  const d = features.dims;
  const rows: number[] = [];
  for (let i = 0; i < labels.length; i++) if (c === undefined || labels[i] === c) rows.push(i);
  const data = new Float32Array(rows.length * d);
  rows.forEach((r, k) => data.set(features.data.subarray(r * d, (r + 1) * d), k * d));
  return { data, rows: rows.length, dims: d };
}
