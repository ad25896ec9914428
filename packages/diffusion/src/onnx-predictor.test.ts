import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ActionDecoder, OnnxModel, Random, rollout, statesToImages, type OnnxOdeModel } from "@adagen/core";
import { modelPath, readFixture, zooPath } from "@adagen/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleDiffusionSchedule, timeUniformGrid } from "./baselines.js";
import { DiffusionEnv } from "./env.js";
import { loadNoisePredictor } from "./predictor.js";

/** The zoo's dit-tiny graph (packages/zoo/README.md). */
const DIT_TINY = { sampleShape: [1, 28, 28], featureShape: [49, 128], numClasses: 10 } as const;

let dit: OnnxOdeModel;
beforeAll(async () => {
  dit = await loadNoisePredictor(modelPath("dit-tiny"), DIT_TINY);
});
afterAll(async () => {
  await dit?.dispose();
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("loadNoisePredictor (zoo dit-tiny)", () => {
  it("declares the dit-tiny shapes and returns eps [B,1,28,28] and features [B,49,128]", async () => {
    expect(dit.dataShape).toEqual([1, 28, 28]);
    expect(dit.featureShape).toEqual([49, 128]);
    expect(dit.numClasses).toBe(10);
    const B = 3;
    const x = new Random(1).fillNormal(new Float32Array(B * 784)) as Float32Array;
    const out = await dit.predict(x, Float32Array.of(0.9, 0.5, 0.1), Int32Array.of(0, 7, 10), B);
    expect(out.output.length).toBe(B * 784);
    expect(out.features.length).toBe(B * 49 * 128);
    expect(out.output.every(Number.isFinite)).toBe(true);
    // At tau = 0.9 the state is almost pure noise (alpha ≈ 0.017), so eps ≈ x.
    expect(maxAbsDiff(out.output.subarray(0, 784), x.subarray(0, 784))).toBeLessThan(0.5);
  });

  it("matches the zoo's PyTorch fixture when fed tau = t/1000 and class ids as int64", async () => {
    const fixture = readFixture(zooPath("fixtures/dit-tiny.fixture.json"));
    const { x, t, y } = fixture.inputs;
    const B = x.shape[0];
    const tau = Float32Array.from(t.data as Float32Array, (v) => v / 1000);
    const labels = Int32Array.from(y.data as BigInt64Array, (v) => Number(v));
    const out = await dit.predict(x.data as Float32Array, tau, labels, B);
    expect(maxAbsDiff(out.output, fixture.outputs.eps.data as Float32Array)).toBeLessThan(1e-3);
    expect(maxAbsDiff(out.features, fixture.outputs.features.data as Float32Array)).toBeLessThan(1e-3);
  });

  it("samples images of the requested class (fmnist-features agrees on at least 80% at 8 NFE)", async () => {
    const labels = Int32Array.from({ length: 20 }, (_, i) => i % 10);
    const states = await sampleDiffusionSchedule(dit, { times: timeUniformGrid(8), guidance: 1, conditions: labels, seed: 3 });
    const images = states.data.map((v) => Math.min(1, Math.max(0, (v + 1) / 2))); // [B,1,28,28] in [0,1]
    const extractor = await OnnxModel.load(modelPath("fmnist-features"), {
      inputs: { x: { dtype: "float32", shape: ["B", 1, 28, 28] } },
      outputs: { logits: { dtype: "float32", shape: ["B", 10] } },
    });
    try {
      const logits = (await extractor.run({ x: { data: images, shape: [20, 1, 28, 28] } })).logits.data as Float32Array;
      let correct = 0;
      labels.forEach((c, b) => {
        const row = logits.subarray(b * 10, b * 10 + 10);
        if (row.indexOf(Math.max(...row)) === c) correct++;
      });
      expect(correct).toBeGreaterThanOrEqual(16);
    } finally {
      await extractor.dispose();
    }
  });

  it("gives the same outputs whatever the chunk size", async () => {
    const small = await loadNoisePredictor(modelPath("dit-tiny"), { ...DIT_TINY, chunkSize: 2 });
    try {
      const B = 5;
      const rng = new Random(2);
      const x = rng.fillNormal(new Float32Array(B * 784)) as Float32Array;
      const tau = Float32Array.from({ length: B }, (_, i) => 0.1 + 0.15 * i);
      const y = Int32Array.from({ length: B }, (_, i) => (i * 3) % 11);
      const whole = await dit.predict(x, tau, y, B);
      const chunked = await small.predict(x, tau, y, B);
      expect(maxAbsDiff(whole.output, chunked.output)).toBeLessThan(1e-5);
      expect(maxAbsDiff(whole.features, chunked.features)).toBeLessThan(1e-4);
      expect(small.forwards).toBe(B);
    } finally {
      await small.dispose();
    }
  });

  it("rejects a file that is not ONNX, a model with another contract, and bad arguments, naming what is wrong", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "adagen-onnx-"));
    const junk = path.join(dir, "junk.onnx");
    writeFileSync(junk, "not a model");
    await expect(loadNoisePredictor(junk, DIT_TINY)).rejects.toThrow(/cannot load ONNX model .*junk\.onnx/);
    // sit-tiny is a velocity model: its output is "v", not "eps".
    await expect(loadNoisePredictor(modelPath("sit-tiny"), DIT_TINY)).rejects.toThrow(/missing output "eps"/);
    // Right names, wrong declared feature tokens: the probe call fails at load, not mid-rollout.
    await expect(loadNoisePredictor(modelPath("dit-tiny"), { ...DIT_TINY, featureShape: [64, 128] })).rejects.toThrow(
      /does not fit the contract with output "eps".*output "features" of shape \[B=1,64,128\], got \[1,49,128\]/,
    );
    await expect(loadNoisePredictor(modelPath("dit-tiny"), { ...DIT_TINY, chunkSize: 0 })).rejects.toThrow(/chunkSize must be an integer in 1\.\.64, got 0/);
    await expect(dit.predict(new Float32Array(784), Float32Array.of(0.5), Int32Array.of(11), 1)).rejects.toThrow(
      /label\[0\] = 11 is outside 0\.\.10/,
    );
    await expect(dit.predict(new Float32Array(700), Float32Array.of(0.5), Int32Array.of(1), 1)).rejects.toThrow(/\(784 values\), got 700/);
  });

  it("an untrained policy reproduces the time-uniform DPM-Solver++(2S) sampler at 4 NFE sample for sample", async () => {
    const labels = Int32Array.of(0, 3, 7, 9);
    const env = new DiffusionEnv(dit, { steps: 4, guidanceInit: 1, smoothing: 0.4 });
    const decoder = new ActionDecoder(env.actionSpec);
    const got = await rollout(env, undefined, decoder, labels, 21);
    expect(got.samples.shape).toEqual([4, 1, 28, 28]);
    const times = timeUniformGrid(4);
    const want = await sampleDiffusionSchedule(dit, { times, guidance: 1, conditions: labels, seed: 21 });
    expect(maxAbsDiff(got.samples.data, want.data)).toBeLessThan(1e-4);
    // The comparison has teeth: another guidance weight moves the samples far more.
    const other = await sampleDiffusionSchedule(dit, { times, guidance: 2, conditions: labels, seed: 21 });
    expect(maxAbsDiff(got.samples.data, other.data)).toBeGreaterThan(0.05);
    // And the executed schedule is the heuristic one.
    got.actions.forEach((a, k) => a.nextTime.forEach((t) => expect(t).toBeCloseTo(times[k], 5)));
  });

  it("renders [0,1] NHWC images through statesToImages", async () => {
    const labels = Int32Array.of(1, 8);
    const env = new DiffusionEnv(dit, { steps: 2, renderTransform: statesToImages });
    const decoder = new ActionDecoder(env.actionSpec);
    const { samples } = await rollout(env, undefined, decoder, labels, 5);
    expect(samples.shape).toEqual([2, 28, 28, 1]);
    const states = await sampleDiffusionSchedule(dit, { times: timeUniformGrid(2), guidance: 1, conditions: labels, seed: 5 });
    expect(maxAbsDiff(samples.data, statesToImages(states).data)).toBeLessThan(1e-5);
    expect(samples.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});
