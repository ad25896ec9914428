/**
 * The benches' Fréchet distance in a reward's feature space (tooling/bench/backbone-distance.ts), in a real space:
 * one of the zoo's extractor twins (the influence reward's backbones).
 */
import { initTensorflow, readModelCard } from "@adagen/core";
import { cardPath, loadFashionMnist, zooPath } from "@adagen/zoo";
import { beforeAll, describe, expect, it } from "vitest";
import { backboneDistance } from "../tooling/bench/backbone-distance.js";

const card = readModelCard(cardPath("sit-tiny"));
const test = loadFashionMnist("test");
/** Test images [0, n) as floats with their labels, the top `erase` rows blanked. */
function images(n: number, erase = 0) {
  const data = Float32Array.from(test.images.subarray(0, n * 784), (v, i) => (i % 784 < erase * 28 ? 0 : v / 255));
  return { samples: { data, shape: [n, 28, 28, 1] as [number, number, number, number] }, labels: Int32Array.from(test.labels.subarray(0, n)) };
}

beforeAll(async () => {
  await initTensorflow();
});

describe("backboneDistance", () => {
  it("puts held-out real images near the training images and defective ones far, overall and class by class", async () => {
    const distance = await backboneDistance(zooPath("models/fmnist-twin-s1.onnx"), card, 10);
    try {
      const real = images(2000);
      const erased = images(2000, 10);
      const near = await distance.distance(real.samples, real.labels);
      const far = await distance.distance(erased.samples, erased.labels);
      // The split is FID's: its two terms add up to the distance.
      expect(near.meanTerm + near.covarianceTerm).toBeCloseTo(near.fid, 6);
      expect(far.fid).toBeGreaterThan(4 * near.fid);
      expect(far.conditional).toBeGreaterThan(2 * near.conditional);
      // Class by class, each class has about a tenth of the images, so the finite-sample part of the distance is larger.
      expect(near.conditional).toBeGreaterThan(near.fid);
    } finally {
      await distance.dispose();
    }
  });
});
