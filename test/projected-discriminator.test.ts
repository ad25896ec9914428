/**
 * The zoo's pretrained ViT body (tooling/zoo/vit_backbone.py, PyTorch) inside core's ProjectedDiscriminator:
 * core's ViTEncoder must reproduce the PyTorch hidden states, and the heads must learn real vs fake on top of the
 * frozen body without changing it.
 */
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { AdversarialReward, ProjectedDiscriminator, Random, initTensorflow } from "@adagen/core";
import { loadFashionMnist, zooPath } from "@adagen/zoo";

beforeAll(async () => {
  await initTensorflow();
});

const BACKBONE = zooPath("models/fmnist-vit.adagen");

function images(indices: number[], split: "train" | "test" = "test"): Float32Array {
  const data = loadFashionMnist(split).images;
  const out = new Float32Array(indices.length * 784);
  indices.forEach((i, b) => {
    for (let p = 0; p < 784; p++) out[b * 784 + p] = data[i * 784 + p] / 255;
  });
  return out;
}

describe("ProjectedDiscriminator on the zoo's ViT backbone", () => {
  it("reproduces PyTorch's hidden states (fixture) to 1e-4", async () => {
    const fixture = JSON.parse(readFileSync(zooPath("fixtures/fmnist-vit.fixture.json"), "utf8")) as { images: number[]; hooks: number[][] };
    const d = await ProjectedDiscriminator.load(BACKBONE, { numClasses: 10 });
    const states = tf.tidy(() =>
      d.backbone.hiddenStates(tf.tensor4d(images(fixture.images), [fixture.images.length, 28, 28, 1])).map((h) => h.slice([0, 0, 0], [-1, -1, 8]).dataSync()),
    );
    expect(states.length).toBe(fixture.hooks.length);
    let worst = 0;
    states.forEach((s, i) => s.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - fixture.hooks[i][j])))));
    expect(worst).toBeLessThan(1e-4);
    d.dispose();
  });

  it("trains only its heads: separates real images from blurred ones, the backbone unchanged", async () => {
    const d = await ProjectedDiscriminator.load(BACKBONE, { numClasses: 10, seed: 1 });
    const reward = new AdversarialReward(d, { learningRate: 1e-3 });
    const backboneBefore = tf.tidy(() => d.backbone.hiddenStates(tf.tensor4d(images([0]), [1, 28, 28, 1])).at(-1)!.dataSync());
    const train = loadFashionMnist("train");
    const rng = new Random(3);
    // Fakes: real images box-blurred (3×3), the kind of loss of detail a short sampler shows.
    const blur = (x: Float32Array) =>
      x.map((_, p) => {
        const [b, r, c] = [Math.floor(p / 784), Math.floor((p % 784) / 28), p % 28];
        let s = 0;
        let n = 0;
        for (let dr = -1; dr <= 1; dr++)
          for (let dc = -1; dc <= 1; dc++)
            if (r + dr >= 0 && r + dr < 28 && c + dc >= 0 && c + dc < 28) (s += x[b * 784 + (r + dr) * 28 + c + dc]), n++;
        return s / n;
      });
    const draw = (n: number) => {
      const idx = Array.from({ length: n }, () => rng.int(60000));
      return { x: images(idx, "train"), labels: Int32Array.from(idx, (i) => train.labels[i]) };
    };
    for (let step = 0; step < 40; step++) {
      const real = draw(32);
      const fake = draw(32);
      await reward.update(
        { samples: { data: real.x, shape: [32, 28, 28, 1] }, labels: real.labels },
        { samples: { data: blur(fake.x), shape: [32, 28, 28, 1] }, labels: fake.labels },
      );
    }
    const probe = draw(64);
    const onReal = await reward.score({ data: probe.x, shape: [64, 28, 28, 1] }, probe.labels);
    const onFake = await reward.score({ data: blur(probe.x), shape: [64, 28, 28, 1] }, probe.labels);
    const mean = (a: Float32Array) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(onReal)).toBeGreaterThan(mean(onFake) + 0.1); // seen: 0.576 vs 0.408 after 40 steps
    const backboneAfter = tf.tidy(() => d.backbone.hiddenStates(tf.tensor4d(images([0]), [1, 28, 28, 1])).at(-1)!.dataSync());
    expect(Array.from(backboneAfter)).toEqual(Array.from(backboneBefore));
    // Only the heads are trainable state: (depth + 1) heads × 6 tensors + the class embedding.
    expect(d.params.names.length).toBe((d.backbone.config.depth + 1) * 6 + 1);
    d.dispose();
  });

  it("with minibatch statistics, tells a batch without diversity from real images; without them it cannot", async () => {
    // Fakes are real training images, but each batch holds only 4 distinct ones (repeated): no single image is
    // fake, only the batch lacks diversity. Strided groups of 4 then hold copies of one image.
    const train = loadFashionMnist("train");
    const gap = async (minibatchGroup: number) => {
      const d = await ProjectedDiscriminator.load(BACKBONE, { numClasses: 10, seed: 1, minibatchGroup });
      const reward = new AdversarialReward(d, { learningRate: 1e-3 });
      const rng = new Random(4);
      const draw = (n: number, distinct: number) => {
        const pick = Array.from({ length: distinct }, () => rng.int(60000));
        const idx = Array.from({ length: n }, (_, b) => pick[b % distinct]);
        return { samples: { data: images(idx, "train"), shape: [n, 28, 28, 1] }, labels: Int32Array.from(idx, (i) => train.labels[i]) };
      };
      for (let step = 0; step < 30; step++) await reward.update(draw(32, 32), draw(32, 4));
      const real = draw(64, 64);
      const collapsed = draw(64, 4);
      const mean = (a: Float32Array) => a.reduce((x, y) => x + y, 0) / a.length;
      const out = mean(await reward.score(real.samples, real.labels)) - mean(await reward.score(collapsed.samples, collapsed.labels));
      d.dispose();
      reward.optimizer.dispose();
      return out;
    };
    const withStats = await gap(4);
    const plain = await gap(0);
    expect(withStats).toBeGreaterThan(0.1);
    expect(Math.abs(plain)).toBeLessThan(0.05);
  }, 300_000); // two discriminators' training: ~75 s on an idle 2-core machine

  it("names a file that is not a backbone", async () => {
    await expect(ProjectedDiscriminator.load(zooPath("manifest.json"), { numClasses: 10 })).rejects.toThrow(/manifest\.json/);
  });
});

describe("the self-supervised ViT body (tooling/zoo/vit_ssl_backbone.py)", () => {
  it("loads into core's encoder and its features group images by class, though it never saw a label", async () => {
    const d = await ProjectedDiscriminator.load(zooPath("models/fmnist-vit-ssl.adagen"), { numClasses: 10 });
    const features = (split: "train" | "test", count: number) =>
      tf.tidy(() => {
        const idx = Array.from({ length: count }, (_, i) => i);
        const last = d.backbone.hiddenStates(tf.tensor4d(images(idx, split), [count, 28, 28, 1])).at(-1)!;
        const mean = tf.mean(last, 1) as tf.Tensor2D;
        return tf.div(mean, tf.norm(mean, 2, 1, true)) as tf.Tensor2D;
      });
    const [ref, query] = [features("train", 1000), features("test", 200)];
    const nearest = tf.tidy(() => tf.argMax(tf.matMul(query, ref, false, true), 1).dataSync());
    // Its training views flip images left-right, so an image and its mirror must share features (cosine, 200 test
    // images: 0.995 for this file), far more than two different images do (0.30).
    const [flipCos, otherCos] = tf.tidy(() => {
      const x = tf.tensor4d(images(Array.from({ length: 200 }, (_, i) => i)), [200, 28, 28, 1]);
      const f = (im: tf.Tensor4D) => {
        const m = tf.mean(d.backbone.hiddenStates(im).at(-1)!, 1) as tf.Tensor2D;
        return tf.div(m, tf.norm(m, 2, 1, true)) as tf.Tensor2D;
      };
      const a = f(x);
      const mirrored = f(tf.reverse(x, 2) as tf.Tensor4D);
      const shifted = tf.concat([a.slice([1, 0]), a.slice([0, 0], [1, -1])]);
      return [tf.mean(tf.sum(tf.mul(a, mirrored), 1)).dataSync()[0], tf.mean(tf.sum(tf.mul(a, shifted), 1)).dataSync()[0]];
    });
    expect(flipCos).toBeGreaterThan(0.98);
    expect(otherCos).toBeLessThan(0.6);
    ref.dispose();
    query.dispose();
    const [trainLabels, testLabels] = [loadFashionMnist("train").labels, loadFashionMnist("test").labels];
    let hits = 0;
    nearest.forEach((j, i) => (hits += Number(trainLabels[j] === testLabels[i])));
    // Chance is 0.1; the file's own 20-NN figure on 2,000 test images against all 60,000 is 0.77.
    expect(hits / 200).toBeGreaterThan(0.55);
    d.dispose();
  });
});
