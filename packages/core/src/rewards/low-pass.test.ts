import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { setupTensorflow } from "../testing/setup.js";
import { AdversarialReward } from "./adversarial.js";
import { LowPassDiscriminator, blockLowPass } from "./low-pass.js";
import { ViTDiscriminator } from "./vit-discriminator.js";

beforeAll(setupTensorflow);

describe("blockLowPass", () => {
  it("replaces every factor × factor block by its mean, per image and channel", () => {
    // One 4×4 image, 2 channels: channel 0 = 0..15 row-major, channel 1 = its negative.
    const values = Array.from({ length: 16 }, (_, i) => [i, -i]).flat();
    const out = tf.tidy(() => blockLowPass(tf.tensor4d(values, [1, 4, 4, 2]), 2).arraySync()[0]);
    // Block means of 0..15 in 2×2 blocks: top-left (0+1+4+5)/4 = 2.5, top-right 4.5, bottom-left 10.5, bottom-right 12.5.
    const expected = [
      [2.5, 2.5, 4.5, 4.5],
      [2.5, 2.5, 4.5, 4.5],
      [10.5, 10.5, 12.5, 12.5],
      [10.5, 10.5, 12.5, 12.5],
    ];
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) {
        expect(out[y][x][0]).toBeCloseTo(expected[y][x], 5);
        expect(out[y][x][1]).toBeCloseTo(-expected[y][x], 5);
      }
  });

  it("refuses a factor that does not divide the sides, naming both", () => {
    expect(() => tf.tidy(() => blockLowPass(tf.zeros([1, 6, 6, 1]) as tf.Tensor4D, 4))).toThrow(/factor 4 must divide the image sides 6×6/);
  });
});

describe("LowPassDiscriminator", () => {
  it("scores images that differ only in fine detail alike, and still learns coarse differences", async () => {
    const inner = new ViTDiscriminator({ height: 8, width: 8, channels: 1, numClasses: 2, patch: 4, dim: 16, depth: 1, heads: 2, seed: 1 });
    const lowPass = new LowPassDiscriminator(inner, 2);
    const reward = new AdversarialReward(lowPass, { learningRate: 3e-3 });
    const rng = new Random(4);
    // Two images with the same 2×2 block means: flat 0.5, and a checkerboard of 0.25 / 0.75.
    const flat = new Float32Array(64).fill(0.5);
    const checker = Float32Array.from({ length: 64 }, (_, i) => ((Math.floor(i / 8) + (i % 8)) % 2 ? 0.75 : 0.25));
    const [a, b] = await Promise.all([
      reward.score({ data: flat, shape: [1, 8, 8, 1] }, Int32Array.from([0])),
      reward.score({ data: checker, shape: [1, 8, 8, 1] }, Int32Array.from([0])),
    ]);
    expect(a[0]).toBeCloseTo(b[0], 6);
    // Coarse difference: bright top half real, bright bottom half fake. It must still learn that.
    const batch = (real: boolean, n: number) => {
      const data = new Float32Array(n * 64);
      for (let k = 0; k < n; k++)
        for (let i = 0; i < 64; i++) data[k * 64 + i] = (i < 32) === real ? 0.8 + 0.1 * rng.normal() : 0.2 + 0.1 * rng.normal();
      return { samples: { data, shape: [n, 8, 8, 1] }, labels: Int32Array.from({ length: n }, () => rng.int(2)) };
    };
    for (let s = 0; s < 40; s++) await reward.update(batch(true, 32), batch(false, 32));
    const real = batch(true, 64);
    const fake = batch(false, 64);
    const mean = (x: Float32Array) => x.reduce((p, v) => p + v, 0) / x.length;
    expect(mean(await reward.score(real.samples, real.labels))).toBeGreaterThan(mean(await reward.score(fake.samples, fake.labels)) + 0.3);
    reward.dispose();
    lowPass.dispose();
  });

  it("refuses a factor that does not divide the discriminator's image", () => {
    const inner = new ViTDiscriminator({ height: 8, width: 8, channels: 1, numClasses: 2, patch: 4, dim: 16, depth: 1, heads: 2, seed: 1 });
    expect(() => new LowPassDiscriminator(inner, 3)).toThrow(/positive integer dividing 8×8, got 3/);
    inner.params.dispose();
  });
});
