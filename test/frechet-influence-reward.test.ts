/**
 * The influence reward (core's FrechetInfluenceReward, docs/method.md §14 item 17) in a real feature space: the
 * zoo's ViT backbone and an ONNX model's "features" output, its running statistics, checkpoint state, and
 * `train({ reward: "influence" })`.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FrechetInfluenceReward, featureSpaceFile, initTensorflow, loadRealImages, openFeatureSpace, readModelCard, readTensorFile } from "@adagen/core";
import { train } from "@adagen/flow";
import { cardPath, loadFashionMnist } from "@adagen/zoo";
import { beforeAll, describe, expect, it } from "vitest";

const card = readModelCard(cardPath("sit-tiny"));
const test = loadFashionMnist("test");
/** Test images [start, start + n) as floats, the top `erase` rows blanked. */
function images(start: number, n: number, erase = 0): { data: Float32Array; shape: number[] } {
  const data = Float32Array.from(test.images.subarray(start * 784, (start + n) * 784), (v, i) => (i % 784 < erase * 28 ? 0 : v / 255));
  return { data, shape: [n, 28, 28, 1] };
}
const none = { samples: { data: new Float32Array(0), shape: [0, 28, 28, 1] }, labels: new Int32Array(0) };

beforeAll(async () => {
  await initTensorflow();
});

describe("FrechetInfluenceReward in the ViT backbone's features", () => {
  it("needs the policy's statistics first, then averages zero over them and ranks defective images below real ones", async () => {
    const space = await openFeatureSpace(card.discriminator!.backbone, card.image.shape);
    const reward = await FrechetInfluenceReward.create(space, loadRealImages(card), 10, { count: 1000, classConditional: false, horizon: Number.MAX_SAFE_INTEGER });
    try {
      const labels = new Int32Array(300);
      await expect(reward.score(images(0, 4), labels.subarray(0, 4))).rejects.toThrow(/has seen 0 fake images, too few for 64-d statistics/);
      // The "policy": 200 real test images and 100 with their top half erased.
      const policy = images(0, 300);
      policy.data.set(images(200, 100, 14).data, 200 * 784);
      const figures = await reward.update(none, { samples: policy, labels });
      expect(figures.statisticsImages).toBeCloseTo(300, 6);
      const r = await reward.score(policy, labels);
      const mean = (a: Float32Array) => a.reduce((x, y) => x + y, 0) / a.length;
      // With plain averages (an unbounded horizon) the statistics are the policy's own: the influence averages 0.
      expect(Math.abs(mean(r))).toBeLessThan(1e-3 * Math.max(...r.map(Math.abs)));
      // More of the real images, less of the defective ones, brings the policy closer to the data.
      expect(mean(r.subarray(0, 200))).toBeGreaterThan(mean(r.subarray(200)));
      // The state round-trips through a checkpoint's arrays: a fresh reward scores the same.
      const state = await reward.exportState();
      const again = await FrechetInfluenceReward.create(await openFeatureSpace(card.discriminator!.backbone, card.image.shape), loadRealImages(card), 10, {
        count: 1000,
        classConditional: false,
      });
      try {
        await again.importState(state);
        const r2 = await again.score(policy, labels);
        for (let i = 0; i < r.length; i++) expect(r2[i]).toBeCloseTo(r[i], 2);
      } finally {
        await again.dispose();
      }
    } finally {
      await reward.dispose();
    }
  });

  it("forgets old images at its horizon", async () => {
    const space = await openFeatureSpace(card.discriminator!.backbone, card.image.shape);
    const reward = await FrechetInfluenceReward.create(space, loadRealImages(card), 10, { count: 1000, classConditional: false, horizon: 100 });
    try {
      const labels = new Int32Array(400);
      // Weight after n images: (1 − γⁿ)/(1 − γ) with γ = 1 − 1/100.
      const { statisticsImages } = await reward.update(none, { samples: images(0, 400), labels });
      expect(statisticsImages).toBeCloseTo(100 * (1 - 0.99 ** 400), 6);
      // Images of a class it has not been given make the class-conditional reward refuse, naming the class.
      const conditional = await FrechetInfluenceReward.create(await openFeatureSpace(card.discriminator!.backbone, card.image.shape), loadRealImages(card), 10, { count: 2000 });
      try {
        await expect(conditional.score(images(0, 1), Int32Array.of(3))).rejects.toThrow(/has seen 0 fake images of class 3/);
      } finally {
        await conditional.dispose();
      }
    } finally {
      await reward.dispose();
    }
  });
});

describe("openFeatureSpace on an ONNX model's features output", () => {
  it("reads the zoo fidelity classifier's 128-d hidden layer, which separates classes, and names the file on a bad shape", async () => {
    const space = await openFeatureSpace(card.fidelity!.model, card.image.shape);
    try {
      expect(space.dims).toBe(128);
      const n = 200;
      const { data, rows, dims } = await space.features(images(0, n));
      expect([rows, dims]).toEqual([n, 128]);
      // Nearest neighbour (other than itself) in these features shares the class far more often than chance (0.1).
      let same = 0;
      for (let i = 0; i < n; i++) {
        let best = -1;
        let bestDistance = Infinity;
        for (let j = 0; j < n; j++) {
          if (j === i) continue;
          let d = 0;
          for (let k = 0; k < dims; k++) d += (data[i * dims + k] - data[j * dims + k]) ** 2;
          if (d < bestDistance) [best, bestDistance] = [j, d];
        }
        if (test.labels[best] === test.labels[i]) same++;
      }
      expect(same / n).toBeGreaterThan(0.6);
      await expect(space.features({ data: new Float32Array(784), shape: [1, 784] })).rejects.toThrow(/fmnist-fidelity\.onnx expects images \[B,28,28,1\], got \[1,784\]/);
    } finally {
      await space.dispose();
    }
  });
});

describe("openFeatureSpace on another ONNX output (FILE.onnx#OUTPUT)", () => {
  it("reads the fidelity classifier's class scores, whose argmax is the label, and names a missing output", async () => {
    expect(featureSpaceFile("a/m.onnx#logits")).toEqual({ file: "a/m.onnx", output: "logits" });
    expect(featureSpaceFile("a/m.onnx")).toEqual({ file: "a/m.onnx", output: "features" });
    expect(featureSpaceFile("a/vit#1.adagen")).toEqual({ file: "a/vit#1.adagen", output: "features" });
    const space = await openFeatureSpace(`${card.fidelity!.model}#logits`, card.image.shape);
    try {
      expect(space.dims).toBe(10);
      expect(space.file).toBe(`${card.fidelity!.model}#logits`);
      const n = 200;
      const { data } = await space.features(images(0, n));
      let right = 0;
      for (let i = 0; i < n; i++) {
        const row = Array.from(data.subarray(i * 10, (i + 1) * 10));
        if (row.indexOf(Math.max(...row)) === test.labels[i]) right++;
      }
      expect(right / n).toBeGreaterThan(0.8);
    } finally {
      await space.dispose();
    }
    await expect(openFeatureSpace(`${card.fidelity!.model}#hidden`, card.image.shape)).rejects.toThrow(/hidden/);
  });
});

describe("train({ reward: \"influence\" })", () => {
  it("fills the statistics from the starting policy, records the reward and trains no discriminator", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "adagen-influence-")), "run");
    const r = await train({ model: cardPath("sit-tiny"), steps: 2, iterations: 1, batch: 8, trajectories: 8, out: dir, reward: "influence", influence: { referenceImages: 2000, horizon: 200, primeImages: 2000 }, validation: { every: 0 } });
    expect(r.iteration).toBe(1);
    const info = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")).reward;
    expect(info).toEqual({ kind: "influence", backbone: card.discriminator!.backbone, classConditional: true, referenceImages: 2000, horizon: 200, primeImages: 2000 });
    const [m] = readFileSync(join(dir, "metrics.jsonl"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(Number.isFinite(m.rewardMean)).toBe(true);
    expect(m.discriminator.discriminatorLoss).toBeUndefined();
    const checkpoint = await readTensorFile(join(dir, "checkpoint.adagen"));
    expect(Object.keys(checkpoint.tensors).filter((k) => k.startsWith("influence/")).length).toBe(30);
    expect((await readTensorFile(join(dir, "policy.adagen"))).meta.discriminator).toBeUndefined();
  });

  it("with several backbones, keeps each one's statistics and resumes them (the mean of their influences)", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "adagen-influence-mean-")), "run");
    const backbones = [card.fidelity!.model, `${card.fidelity!.model}#logits`];
    const options = { model: cardPath("sit-tiny"), steps: 2, batch: 8, trajectories: 8, out: dir, reward: "influence", rewardBackbone: backbones, influence: { classConditional: false, referenceImages: 2000, horizon: 200, primeImages: 300 }, validation: { every: 0 } } as const;
    await train({ ...options, iterations: 1 });
    expect(JSON.parse(readFileSync(join(dir, "run.json"), "utf8")).reward.backbone).toEqual(backbones);
    const first = (await readTensorFile(join(dir, "checkpoint.adagen"))).tensors;
    // One unconditional group per backbone: weight, mean and covariance, each under its member's prefix.
    expect(Object.keys(first).filter((k) => k.includes("influence/")).sort()).toEqual(
      ["mean/0/influence/0/covariance", "mean/0/influence/0/mean", "mean/0/influence/0/weight", "mean/1/influence/0/covariance", "mean/1/influence/0/mean", "mean/1/influence/0/weight"],
    );
    expect(first["mean/1/influence/0/mean"].shape).toEqual([10]);
    const r = await train({ model: options.model, steps: 2, out: dir, iterations: 2, resume: true });
    expect(r.iteration).toBe(2);
    // The resumed run went on from the saved statistics: 300 primed and 16 rollout images, decaying with horizon 200.
    const weight = (await readTensorFile(join(dir, "checkpoint.adagen"))).tensors["mean/1/influence/0/weight"].data[0];
    const expected = [...Array(316)].reduce((w: number) => w * (1 - 1 / 200) + 1, 0);
    expect(weight).toBeCloseTo(expected, 2);
  });
});
