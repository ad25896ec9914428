import { OnnxModel, statesToImages, type OnnxOdeModel } from "@adagen/core";
import { modelPath } from "@adagen/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleFlowSchedule } from "./baselines.js";
import { FlowEnv, uniformTimes } from "./env.js";
import type { FlowSolverName } from "./flow-solver-scheduler.js";
import { loadVelocityPredictor } from "./predictor.js";
import { maxAbsDiff, referenceSampler, rolloutUntrained } from "./testing/reference.js";

const SIT = modelPath("sit-tiny");
/** The zoo's sit-tiny graph (packages/zoo/README.md). */
const SIT_TINY = { sampleShape: [1, 28, 28], featureShape: [49, 128], numClasses: 10 } as const;

let predictor: OnnxOdeModel;
beforeAll(async () => {
  predictor = await loadVelocityPredictor(SIT, { ...SIT_TINY, chunkSize: 3 }); // small chunks: the batch of 5 is split
});
afterAll(async () => {
  await predictor?.dispose();
});

describe("FlowEnv on the real sit-tiny ONNX", () => {
  const labels = Int32Array.from([0, 3, 7, 9, 10]); // 10 = null class

  it("reads the sit-tiny contract", () => {
    expect(predictor.dataShape).toEqual([1, 28, 28]);
    expect(predictor.featureShape).toEqual([49, 128]);
    expect(predictor.numClasses).toBe(10);
  });

  const cases: [FlowSolverName, number][] = [
    ["dpm2S", 4],
    ["rk2", 3],
    ["euler", 3],
  ];
  it.each(cases)(
    "an untrained policy (zero raw outputs, core ActionDecoder + rollout) reproduces the heuristic %s sampler with %i NFE",
    async (solver, T) => {
      const env = new FlowEnv(predictor, { steps: T, solver }); // SiT defaults: w = 1.5, rho = 0.8
      const before = predictor.forwards;
      const got = await rolloutUntrained(env, labels, 21);
      expect(predictor.forwards - before).toBe(2 * T * labels.length); // T guided evaluations, 2 passes each
      const want = await referenceSampler(predictor, uniformTimes(T), 1.5, solver, labels, 21);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
      expect(maxAbsDiff(got, await referenceSampler(predictor, uniformTimes(T), 0.5, solver, labels, 21))).toBeGreaterThan(1e-2);
      // The final state at 0.99 is an image in the model's [-1, 1] space (up to the 1% noise left).
      const outside = got.filter((v) => Math.abs(v) > 1.5).length;
      expect(outside / got.length).toBeLessThan(0.01);
    },
  );

  it("produces images of the requested class (fmnist-features classifier, 10 classes, T = 8)", async () => {
    const conditions = Int32Array.from({ length: 10 }, (_, i) => i);
    const out = await sampleFlowSchedule(predictor, {
      times: uniformTimes(8),
      guidance: 1.5,
      conditions,
      seed: 3,
      renderTransform: statesToImages,
    });
    expect(out.shape).toEqual([10, 28, 28, 1]); // [B,H,W,C] in [0, 1]
    expect(out.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    const extractor = await OnnxModel.load(modelPath("fmnist-features"), {
      inputs: { x: { dtype: "float32", shape: ["B", 1, 28, 28] } },
      outputs: { logits: { dtype: "float32", shape: ["B", 10] } },
    });
    // One channel: [B,28,28,1] and [B,1,28,28] share their memory layout.
    const { logits } = await extractor.run({ x: { data: out.data, shape: [10, 1, 28, 28] } });
    await extractor.dispose();
    const l = logits.data as Float32Array;
    let correct = 0;
    for (let i = 0; i < 10; i++) {
      let best = 0;
      for (let j = 1; j < 10; j++) if (l[i * 10 + j] > l[i * 10 + best]) best = j;
      if (best === i) correct++;
    }
    expect(correct).toBeGreaterThanOrEqual(8);
  });

  it("fails clearly on a wrong contract or wrong inputs", async () => {
    await expect(loadVelocityPredictor(modelPath("dit-tiny"), SIT_TINY)).rejects.toThrow(/missing output "v" \(it declares eps, features\)/);
    await expect(loadVelocityPredictor(SIT, { ...SIT_TINY, sampleShape: [1, 32, 32] })).rejects.toThrow(
      /sit-tiny.onnx does not fit the contract with output "v", sample shape \[1,32,32\] and feature shape \[49,128\] \(one probe sample failed\): .*dimensions/,
    );
    await expect(loadVelocityPredictor(SIT, { ...SIT_TINY, chunkSize: 65 })).rejects.toThrow(/chunkSize must be an integer in 1..64, got 65/);
    await expect(predictor.predict(new Float32Array(10), Float32Array.of(0.5), Int32Array.of(0), 1)).rejects.toThrow(
      /expected x of shape \[1,1,28,28\] \(784 values\), got 10/,
    );
    await expect(predictor.predict(new Float32Array(784), Float32Array.of(0.5), Int32Array.of(11), 1)).rejects.toThrow(
      /label\[0\] = 11 is outside 0..10/,
    );
    await expect(predictor.predict(new Float32Array(784), Float32Array.of(1.5), Int32Array.of(0), 1)).rejects.toThrow(
      /tau\[0\] = 1.5 is outside \[0, 1\]/,
    );
  });
});
