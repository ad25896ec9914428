import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { setupTensorflow } from "../testing/setup.js";
import { AdversarialReward, discriminatorLoss } from "./adversarial.js";
import { MLPDiscriminator } from "./mlp-discriminator.js";
import { FunctionReward } from "./reward.js";
import { ViTDiscriminator } from "./vit-discriminator.js";

beforeAll(setupTensorflow);

/** Real: class c sits at +2 on axis c; fake: everything at the origin. Separable, class-dependent. */
function vectorBatch(n: number, real: boolean, rng: Random) {
  const d = 4;
  const data = new Float32Array(n * d);
  const labels = Int32Array.from({ length: n }, () => rng.int(2));
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) data[i * d + j] = 0.3 * rng.normal() + (real && j === labels[i] ? 2 : 0);
  return { samples: { data, shape: [n, d] }, labels };
}

describe("AdversarialReward", () => {
  it("learns to separate real from generated vectors, and its reward follows", async () => {
    const reward = new AdversarialReward(new MLPDiscriminator({ inputDim: 4, numClasses: 2, hidden: [32, 32], seed: 3 }), { learningRate: 3e-3 });
    const rng = new Random(5);
    let last: Record<string, number> = {};
    for (let s = 0; s < 60; s++) last = await reward.update(vectorBatch(64, true, rng), vectorBatch(64, false, rng));
    const real = vectorBatch(200, true, rng);
    const fake = vectorBatch(200, false, rng);
    const rReal = await reward.score(real.samples, real.labels);
    const rFake = await reward.score(fake.samples, fake.labels);
    const accuracy = ([...rReal].filter((r) => r > 0.5).length + [...rFake].filter((r) => r < 0.5).length) / 400;
    expect(accuracy).toBeGreaterThan(0.95);
    expect(last.realLogit).toBeGreaterThan(last.fakeLogit);
    // Class conditioning: a real-looking sample with the wrong label scores lower than with its own label.
    const swapped = Int32Array.from(real.labels, (c) => 1 - c);
    const rSwapped = await reward.score(real.samples, swapped);
    expect(mean(rSwapped)).toBeLessThan(mean(rReal));
  });

  it("computes the logistic and hinge losses of given logits", () => {
    const lr = tf.tensor1d([2, 0.5, -1]);
    const lf = tf.tensor1d([-2, 0.5]);
    const softplus = (x: number) => Math.log1p(Math.exp(x));
    const logistic = (softplus(-2) + softplus(-0.5) + softplus(1)) / 3 + (softplus(-2) + softplus(0.5)) / 2;
    // relu(1 − l_real) = 0, 0.5, 2; relu(1 + l_fake) = 0, 1.5.
    const hinge = (0 + 0.5 + 2) / 3 + (0 + 1.5) / 2;
    expect(discriminatorLoss("logistic", lr, lf).dataSync()[0]).toBeCloseTo(logistic, 5);
    expect(discriminatorLoss("hinge", lr, lf).dataSync()[0]).toBeCloseTo(hinge, 5);
    tf.dispose([lr, lf]);
    expect(() => new AdversarialReward(new MLPDiscriminator({ inputDim: 4, numClasses: 2, hidden: [4], seed: 3 }), { loss: "wasserstein" as never })).toThrow(
      /discriminator loss "wasserstein" is not one of logistic, hinge/,
    );
  });

  it("with the hinge loss, learns to separate real from generated vectors and stops at the margin", async () => {
    const reward = new AdversarialReward(new MLPDiscriminator({ inputDim: 4, numClasses: 2, hidden: [32, 32], seed: 3 }), { learningRate: 3e-3, loss: "hinge" });
    const rng = new Random(5);
    let first: Record<string, number> = {};
    let last: Record<string, number> = {};
    for (let s = 0; s < 80; s++) {
      last = await reward.update(vectorBatch(64, true, rng), vectorBatch(64, false, rng));
      if (s === 0) first = last;
    }
    // The hinge loss reaches about 0 once the classes sit beyond the ±1 margin.
    expect(last.discriminatorLoss).toBeLessThan(Math.min(0.1, first.discriminatorLoss / 5));
    expect(last.realLogit).toBeGreaterThan(1);
    expect(last.fakeLogit).toBeLessThan(-1);
    const real = vectorBatch(200, true, rng);
    const fake = vectorBatch(200, false, rng);
    const rReal = await reward.score(real.samples, real.labels);
    const rFake = await reward.score(fake.samples, fake.labels);
    expect(Math.min(...rReal)).toBeGreaterThan(Math.max(...rFake));
    // The loss an update reports is the hinge loss of the logits before its step, not the logistic one.
    const batchReal = vectorBatch(8, true, rng);
    const batchFake = vectorBatch(8, false, rng);
    batchFake.samples.data.fill(1.2); // inside the margin, so the two losses differ clearly
    const [hinge, logistic] = tf.tidy(() => {
      const lr = reward.discriminator.apply(tf.tensor(batchReal.samples.data, batchReal.samples.shape), batchReal.labels);
      const lf = reward.discriminator.apply(tf.tensor(batchFake.samples.data, batchFake.samples.shape), batchFake.labels);
      return [discriminatorLoss("hinge", lr, lf).dataSync()[0], discriminatorLoss("logistic", lr, lf).dataSync()[0]];
    });
    const reported = (await reward.update(batchReal, batchFake)).discriminatorLoss;
    expect(reported).toBeCloseTo(hinge, 5);
    expect(Math.abs(reported - logistic)).toBeGreaterThan(0.05);
  });

  it("ViT discriminator trains on images and leaves no tensors behind", async () => {
    const disc = new ViTDiscriminator({ height: 8, width: 8, channels: 1, numClasses: 2, patch: 4, dim: 16, depth: 1, heads: 2, seed: 1 });
    const reward = new AdversarialReward(disc, { learningRate: 3e-3 });
    const rng = new Random(9);
    // Real images: a bright left half; fakes: uniform noise.
    const images = (n: number, real: boolean) => {
      const data = new Float32Array(n * 64);
      for (let i = 0; i < data.length; i++) data[i] = real ? ((i % 8) < 4 ? 0.9 : 0.1) + 0.05 * rng.normal() : rng.uniform();
      return { samples: { data, shape: [n, 8, 8, 1] }, labels: Int32Array.from({ length: n }, () => rng.int(2)) };
    };
    const first = await reward.update(images(16, true), images(16, false));
    const tensors = tf.memory().numTensors;
    let last = first;
    for (let s = 0; s < 40; s++) last = await reward.update(images(16, true), images(16, false));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(last.discriminatorLoss).toBeLessThan(first.discriminatorLoss * 0.5);
    const r = await reward.score(images(8, true).samples, new Int32Array(8));
    expect(r.length).toBe(8);
    await expect(reward.score({ data: new Float32Array(49), shape: [1, 7, 7, 1] }, new Int32Array(1))).rejects.toThrow(/expects samples \[B,8,8,1\], got \[1,7,7,1\]/);
  });

  it("a fixed function plugs into the same interface", async () => {
    const reward = new FunctionReward((x, c) => x[0] + c);
    const r = await reward.score({ data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] }, Int32Array.from([0, 10]));
    expect([...r]).toEqual([1, 13]);
  });
});

function mean(x: Float32Array): number {
  return x.reduce((a, b) => a + b, 0) / x.length;
}
