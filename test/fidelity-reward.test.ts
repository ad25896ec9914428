/**
 * The ablation rewards: the pretrained per-sample reward (core's ClassifierReward on the zoo's fmnist-fidelity.onnx,
 * named by the cards' "fidelity" section), the batch Fréchet distance in the discriminator backbone's features
 * (FeatureFidReward), and `train({ reward })` with each, which trains no discriminator.
 */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassifierReward, FeatureFidReward, initTensorflow, loadRealImages, readModelCard, readTensorFile } from "@adagen/core";
import { train } from "@adagen/diffusion";
import { cardPath, loadFashionMnist } from "@adagen/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const card = readModelCard(cardPath("dit-tiny"));
let reward: ClassifierReward;
beforeAll(async () => {
  reward = await ClassifierReward.load(card.fidelity!.model, { imageShape: card.image.shape, numClasses: 10 });
});
afterAll(async () => {
  await reward?.dispose();
});

describe("ClassifierReward on the zoo's fidelity classifier", () => {
  it("scores real test images high for their own class and low for another one", async () => {
    const test = loadFashionMnist("test");
    const n = 300;
    const data = Float32Array.from(test.images.subarray(0, n * 784), (v) => v / 255);
    const samples = { data, shape: [n, 28, 28, 1] };
    const own = Int32Array.from(test.labels.subarray(0, n));
    const other = own.map((l) => (l + 5) % 10);
    const mean = (x: Float32Array) => x.reduce((a, b) => a + b, 0) / x.length;
    const [right, wrong] = [await reward.score(samples, own), await reward.score(samples, other)];
    expect(right.every((p) => p >= 0 && p <= 1)).toBe(true);
    expect(mean(right)).toBeGreaterThan(0.75);
    expect(mean(wrong)).toBeLessThan(0.05);
    // A blank canvas is no class in particular: no label gets most of the probability.
    const blank = await reward.score({ data: new Float32Array(10 * 784), shape: [10, 28, 28, 1] }, Int32Array.from({ length: 10 }, (_, i) => i));
    expect(mean(blank)).toBeCloseTo(0.1, 1);
    await expect(reward.score({ data: new Float32Array(784), shape: [1, 784] }, Int32Array.of(0))).rejects.toThrow(/expects images \[B,28,28,1\], got \[1,784\]/);
  });
});

describe("train({ reward: \"pretrained\" })", () => {
  it("records the reward, trains no discriminator, and writes a policy that carries a critic and no discriminator", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "adagen-fidelity-")), "run");
    const tiny = { model: cardPath("dit-tiny"), steps: 2, iterations: 2, batch: 8, trajectories: 8, out: dir, reward: "pretrained" as const, validation: { every: 0 } };
    const r = await train(tiny);
    expect(r.iteration).toBe(2);
    expect(JSON.parse(readFileSync(join(dir, "run.json"), "utf8")).reward).toEqual({ kind: "pretrained", model: "fmnist-fidelity.onnx" });
    const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    for (const m of lines) {
      expect(m.discriminator).toBeUndefined();
      // The reward is a probability, so its batch mean lies in (0, 1).
      expect(m.rewardMean).toBeGreaterThan(0);
      expect(m.rewardMean).toBeLessThan(1);
    }
    const { meta, tensors } = await readTensorFile(join(dir, "policy.adagen"));
    expect(meta.discriminator).toBeUndefined();
    expect(meta.critic).toBeDefined();
    expect(Object.keys(tensors).some((k) => k.startsWith("discriminator/"))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(["checkpoint.adagen", "metrics.jsonl", "policy.adagen", "run.json"]);
    // A resumed run keeps its reward; changing it is refused.
    const resume = { model: tiny.model, steps: 2, iterations: 3, out: dir, resume: true };
    await expect(train({ ...resume, reward: "adversarial" })).rejects.toThrow(/^reward cannot change on resume/);
    expect((await train(resume)).iteration).toBe(3);
  });
});

describe("FeatureFidReward (the \"fid\" ablation, in the discriminator backbone's features)", () => {
  it("rewards real images above defective ones (the top half erased) in the same batch", async () => {
    await initTensorflow();
    const fid = await FeatureFidReward.create(card.discriminator!.backbone, loadRealImages(card), { count: 2000 });
    try {
      const test = loadFashionMnist("test");
      // Batches large enough for a well-estimated covariance of the 64-d features (in a training batch of 64 the
      // small-sample bias is larger, but it is shared by every sample of the batch).
      const [n, m] = [200, 40];
      const data = new Float32Array((n + m) * 784);
      for (let i = 0; i < (n + m) * 784; i++) data[i] = i >= n * 784 && i % 784 < 392 ? 0 : test.images[i] / 255;
      const r = await fid.score({ data, shape: [n + m, 28, 28, 1] }, new Int32Array(n + m));
      expect(r.every(Number.isFinite)).toBe(true);
      const mean = (a: Float32Array) => a.reduce((x, y) => x + y, 0) / a.length;
      // Removing a defective image brings the batch closer to the real statistics: its leave-one-out reward is lower.
      expect(mean(r.subarray(0, n)) - mean(r.subarray(n))).toBeGreaterThan(0.1);
      await expect(fid.score({ data: new Float32Array(2 * 784), shape: [2, 28, 28, 1] }, new Int32Array(2))).rejects.toThrow(/at least 3 samples/);
    } finally {
      fid.dispose();
    }
  });

  it("train({ reward: \"fid\" }) records it and trains no discriminator", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "adagen-fid-reward-")), "run");
    const r = await train({ model: cardPath("dit-tiny"), steps: 2, iterations: 1, batch: 8, trajectories: 8, out: dir, reward: "fid", validation: { every: 0 } });
    expect(r.iteration).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, "run.json"), "utf8")).reward).toEqual({ kind: "fid", backbone: "fmnist-vit.adagen" });
    const [m] = readFileSync(join(dir, "metrics.jsonl"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(m.discriminator).toBeUndefined();
    expect(Number.isFinite(m.rewardMean)).toBe(true);
    expect((await readTensorFile(join(dir, "policy.adagen"))).meta.discriminator).toBeUndefined();
  });
});
