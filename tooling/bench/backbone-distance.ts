/**
 * A set of images' Fréchet distance to the training images in a feature space the reward may use (core's
 * openFeatureSpace: a ViT backbone .adagen, or an ONNX model's "features"): over all classes and class by class.
 * The benches that ask whether such a distance ranks samplers as FID does share it.
 */
import { Random, classFeatures, loadRealImages, openFeatureSpace, type ModelCard } from "@adagen/core";
import { featureStatistics, frechetDistance } from "@adagen/metrics";

export interface BackboneDistance {
  distance(
    samples: { data: Float32Array; shape: [number, number, number, number] },
    labels: Int32Array,
  ): Promise<{ fid: number; meanTerm: number; covarianceTerm: number; conditional: number }>;
  dispose(): void | Promise<void>;
}

/** Opens the space of `file`; its reference is 10,000 training images (Random(0)), overall and per class. */
export async function backboneDistance(file: string, card: ModelCard, classes: number): Promise<BackboneDistance> {
  const space = await openFeatureSpace(file, card.image.shape);
  const statsOf = (f: { data: Float32Array; dims: number }, labels: ArrayLike<number>) => {
    const all = featureStatistics({ data: f.data, rows: labels.length, dims: f.dims });
    const perClass = Array.from({ length: classes }, (_, c) => featureStatistics(classFeatures(f, labels, c)));
    return { all, perClass };
  };
  const real = await loadRealImages(card).sample(10000, new Random(0));
  const reference = statsOf(await space.features(real.samples), real.labels);
  return {
    async distance(samples, labels) {
      const mine = statsOf(await space.features(samples), labels);
      const d = frechetDistance(mine.all, reference.all);
      const conditional = mine.perClass.reduce((a, s, c) => a + frechetDistance(s, reference.perClass[c]).fid, 0) / classes;
      return { fid: d.fid, meanTerm: d.meanTerm, covarianceTerm: d.covarianceTerm, conditional };
    },
    dispose: () => space.dispose(),
  };
}
