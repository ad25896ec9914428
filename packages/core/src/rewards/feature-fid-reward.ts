import * as tf from "@tensorflow/tfjs-core";
import { featureStatistics, frechetDistance, type FeatureStatistics } from "@adagen/metrics";
import type { Batch } from "../env.js";
import type { ViTEncoder } from "../nn/vit.js";
import type { ParamStore } from "../nn/params.js";
import { Random } from "../random.js";
import { loadViTBackbone } from "./projected-discriminator.js";
import type { RealDataSource, RewardModel } from "./reward.js";

/** Images per backbone call. */
const CHUNK = 256;

/**
 * The "FID of the batch" reward of the paper's ablation (docs/method.md §9.5), in a form that keeps the evaluation
 * independent: a Fréchet distance in the frozen discriminator backbone's features (mean over tokens of its last hidden
 * state; trained on the training images, not the FID extractor) between the rollout batch and statistics of real
 * training images. A batch value is the same for every trajectory of the batch, which gives group-relative
 * advantages nothing, so each sample gets its leave-one-out effect: r_b = FD(batch without b) − FD(batch), positive
 * when the sample brings the batch closer to the real statistics. Every value also carries the same positive offset
 * (a Fréchet distance from one sample fewer is biased upwards), which group-relative advantages remove. Fixed (no
 * `update`).
 */
export class FeatureFidReward implements RewardModel {
  private constructor(
    private readonly encoder: ViTEncoder,
    private readonly params: ParamStore,
    private readonly reference: FeatureStatistics,
  ) {}

  /** The backbone file, and `count` real images drawn with `seed` for the reference statistics. */
  static async create(backboneFile: string, real: RealDataSource, options: { count?: number; seed?: number } = {}): Promise<FeatureFidReward> {
    const { encoder, params } = await loadViTBackbone(backboneFile);
    try {
      const { samples } = await real.sample(options.count ?? 10000, new Random(options.seed ?? 0));
      const reference = featureStatistics(pooledFeatures(encoder, samples));
      return new FeatureFidReward(encoder, params, reference);
    } catch (err) {
      params.dispose();
      throw err;
    }
  }

  async score(samples: Batch, labels: Int32Array): Promise<Float32Array> {
    const B = samples.shape[0];
    if (B < 3) throw new RangeError(`the feature-FID reward needs batches of at least 3 samples (leave-one-out covariances), got ${B}`);
    if (labels.length !== B) throw new RangeError(`${labels.length} labels for ${B} samples`);
    const features = pooledFeatures(this.encoder, samples);
    const { dims } = features;
    const full = frechetDistance(featureStatistics(features), this.reference).fid;
    const out = new Float32Array(B);
    const rest = new Float32Array((B - 1) * dims);
    for (let b = 0; b < B; b++) {
      rest.set(features.data.subarray(0, b * dims), 0);
      rest.set(features.data.subarray((b + 1) * dims), b * dims);
      out[b] = frechetDistance(featureStatistics({ data: rest, rows: B - 1, dims }), this.reference).fid - full;
    }
    return out;
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** Token-mean of the backbone's last hidden state per image, `[B, dim]`. */
export function pooledFeatures(encoder: ViTEncoder, samples: Batch): { data: Float32Array; rows: number; dims: number } {
  const B = samples.shape[0];
  const size = samples.data.length / B;
  const dims = encoder.config.dim;
  const data = new Float32Array(B * dims);
  for (let start = 0; start < B; start += CHUNK) {
    const n = Math.min(CHUNK, B - start);
    const pooled = tf.tidy(() => {
      const states = encoder.hiddenStates(tf.tensor(samples.data.subarray(start * size, (start + n) * size), [n, ...samples.shape.slice(1)]));
      return tf.mean(states[states.length - 1], 1).dataSync() as Float32Array;
    });
    data.set(pooled, start * dims);
  }
  return { data, rows: B, dims };
}
