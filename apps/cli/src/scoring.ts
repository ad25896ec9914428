/**
 * FID and class accuracy of generated uint8 images through the zoo's fmnist-features: its 128-d `features` against
 * a Fashion-MNIST statistics file, and the share of samples whose logits' argmax is their conditioning label.
 * `compare` scores against the test statistics; `train`'s validation (policy selection) against the training ones.
 */
import { FeatureExtractor, featureStatistics, frechetDistance, readStatistics, type FeatureStatistics } from "@adagen/metrics";
import { modelPath, zooPath } from "@adagen/zoo";
import { CHUNK, type GeneratedImages } from "./generate.js";

export const TEST_STATS = "stats/fmnist-test-stats.npz";
export const TRAIN_STATS = "stats/fmnist-train-stats.npz";

export interface Scores {
  fid: number;
  classAccuracy: number;
}

export class Scorer {
  private constructor(
    private readonly extractor: FeatureExtractor,
    private readonly reference: FeatureStatistics,
    /** The statistics file, relative to the zoo package. */
    readonly statsFile: string,
  ) {}

  static async create(statsFile: string): Promise<Scorer> {
    const reference = readStatistics(zooPath(statsFile));
    return new Scorer(await FeatureExtractor.create(modelPath("fmnist-features")), reference, statsFile);
  }

  async score(images: GeneratedImages): Promise<Scores> {
    const [n, h, w, c] = images.shape;
    const features = new Float32Array(n * 128);
    let dims = 0;
    let correct = 0;
    for (let start = 0; start < n; start += CHUNK) {
      const count = Math.min(CHUNK, n - start);
      const out = await this.extractor.extract({ data: images.images.subarray(start * h * w * c, (start + count) * h * w * c), count, height: h, width: w, channels: c });
      dims = out.featureDims;
      if (dims !== 128) throw new Error(`fmnist-features gave ${dims}-d features, expected 128`);
      features.set(out.features, start * dims);
      const logits = out.logits as Float32Array;
      const k = out.logitDims as number;
      for (let i = 0; i < count; i++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + best]) best = j;
        if (best === images.labels[start + i]) correct++;
      }
    }
    const fid = frechetDistance(featureStatistics({ data: features, rows: n, dims }), this.reference).fid;
    return { fid, classAccuracy: correct / n };
  }

  dispose(): Promise<void> {
    return this.extractor.dispose();
  }
}
