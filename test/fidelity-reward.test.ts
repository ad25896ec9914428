/**
 * The pretrained per-sample reward (core's ClassifierReward on the zoo's fmnist-fidelity.onnx, named by the cards'
 * "fidelity" section) and `train({ reward: "pretrained" })`, which trains against it with no discriminator.
 */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassifierReward, readModelCard, readTensorFile } from "@adagen/core";
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
