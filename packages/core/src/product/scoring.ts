/**
 * FID and class accuracy of generated uint8 images through the card's feature extractor (`evaluation.extractor`):
 * its features against a statistics file, and the share of samples whose logits' argmax is their conditioning label
 * (when the card names a logits output with one logit per class). Comparisons score against the test statistics;
 * policy selection and the baseline search against the training ones.
 */
import { existsSync } from "node:fs";
import { FeatureExtractor, MetricsInputError, featureStatistics, frechetDistance, readExtractorSpec, readStatistics, type FeatureStatistics } from "@adagen/metrics";
import type { ModelCard } from "../card/model-card.js";
import type { GeneratedImages } from "./generate.js";
import { InputError } from "./input-error.js";

/** Images per extractor call. */
const SCORE_CHUNK = 64;

export type StatsSplit = "train" | "test";

export interface Scores {
  fid: number;
  /** Null when the card's extractor gives no class logits. */
  classAccuracy: number | null;
}

export class Scorer {
  private constructor(
    private readonly extractor: FeatureExtractor,
    private readonly reference: FeatureStatistics,
    /** The statistics file scored against. */
    readonly statsFile: string,
    private readonly classes: number,
  ) {}

  /** The card's extractor against its `split` statistics; a card without them cannot be scored. */
  static async create(card: ModelCard, split: StatsSplit): Promise<Scorer> {
    const e = card.evaluation;
    const statsFile = split === "train" ? e?.trainStats : e?.testStats;
    if (!e || !statsFile)
      throw new InputError(`${card.file}: scoring needs "evaluation.extractor" and "evaluation.${split}Stats" (a feature extractor and reference statistics)`);
    for (const f of [e.extractor, statsFile]) if (!existsSync(f)) throw new InputError(`${card.file}: ${f} (named in "evaluation") does not exist`);
    const [H, W, C] = card.image.shape;
    let extractor: FeatureExtractor | undefined;
    try {
      const reference = readStatistics(statsFile);
      const spec = readExtractorSpec(e.extractor) ?? { inputSize: [H, W] as [number, number], channels: C as 1 | 3 };
      extractor = await FeatureExtractor.create(e.extractor, { ...spec, featuresOutput: e.featuresOutput, logitsOutput: e.logitsOutput });
      // One blank image, before any sampling: the extractor takes the card's images, and its features have the
      // statistics' dimension (otherwise FID fails only after all the images are generated).
      const probe = await extractor.extract({ data: new Uint8Array(H * W * C), count: 1, height: H, width: W, channels: C });
      if (probe.featureDims !== reference.mu.length)
        throw new InputError(
          `${card.file}: the extractor ${e.extractor} gives ${probe.featureDims}-d features (output "${e.featuresOutput}"), but ${statsFile} holds ${reference.mu.length}-d statistics`,
        );
      return new Scorer(extractor, reference, statsFile, card.classes.count);
    } catch (err) {
      await extractor?.dispose();
      // The metrics package's input errors (an unreadable statistics file or extractor) are the card's problem here.
      if (err instanceof MetricsInputError) throw new InputError(`${card.file}: ${err.message}`);
      throw err;
    }
  }

  async score(images: GeneratedImages): Promise<Scores> {
    const { features, classAccuracy } = await this.extract(images);
    return { fid: this.fid(features), classAccuracy };
  }

  /** FID of extracted features (`extract`) against the statistics file. */
  fid(features: { data: Float32Array; rows: number; dims: number }): number {
    return frechetDistance(featureStatistics(features), this.reference).fid;
  }

  /**
   * The extractor's features of the images (`rows` × `dims`, e.g. for precision and recall) and the share the
   * extractor classifies as their label (null without class logits).
   */
  async extract(images: GeneratedImages): Promise<{ features: { data: Float32Array; rows: number; dims: number }; classAccuracy: number | null }> {
    const [n, h, w, c] = images.shape;
    let features = new Float32Array(0);
    let dims = 0;
    let correct = 0;
    let classified = true;
    for (let start = 0; start < n; start += SCORE_CHUNK) {
      const count = Math.min(SCORE_CHUNK, n - start);
      const out = await this.extractor.extract({ data: images.images.subarray(start * h * w * c, (start + count) * h * w * c), count, height: h, width: w, channels: c });
      if (start === 0) {
        dims = out.featureDims;
        features = new Float32Array(n * dims);
      }
      features.set(out.features, start * dims);
      const logits = out.logits;
      const k = out.logitDims ?? 0;
      if (!logits || k !== this.classes) {
        classified = false;
        continue;
      }
      for (let i = 0; i < count; i++) {
        let best = 0;
        for (let j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + best]) best = j;
        if (best === images.labels[start + i]) correct++;
      }
    }
    return { features: { data: features, rows: n, dims }, classAccuracy: classified ? correct / n : null };
  }

  dispose(): Promise<void> {
    return this.extractor.dispose();
  }
}
