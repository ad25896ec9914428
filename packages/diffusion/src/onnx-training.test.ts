import * as tf from "@tensorflow/tfjs-core";
import {
  ActionDecoder,
  AdaGenTrainer,
  AdversarialReward,
  FunctionReward,
  ImageRealData,
  balancedLabels,
  initTensorflow,
  rollout,
  statesToImages,
  ViTDiscriminator,
  type OnnxOdeModel,
} from "@adagen/core";
import { loadFashionMnist, modelPath } from "@adagen/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiffusionEnv } from "./env.js";
import { loadNoisePredictor } from "./predictor.js";

let dit: OnnxOdeModel;
beforeAll(async () => {
  await initTensorflow();
  dit = await loadNoisePredictor(modelPath("dit-tiny"), { sampleShape: [1, 28, 28], featureShape: [49, 128], numClasses: 10 });
});
afterAll(async () => {
  await dit?.dispose();
});

describe("AdaGen on dit-tiny (ONNX) with a ViT discriminator on Fashion-MNIST", () => {
  it("runs training iterations end to end without leaking tensors", async () => {
    const env = new DiffusionEnv(dit, { steps: 2, renderTransform: statesToImages });
    const discriminator = new ViTDiscriminator({ height: 28, width: 28, channels: 1, numClasses: 10, patch: 7, dim: 16, depth: 1, heads: 2, seed: 1 });
    const reward = new AdversarialReward(discriminator);
    const trainer = new AdaGenTrainer({
      env,
      reward,
      realData: new ImageRealData(loadFashionMnist("train")),
      network: { hidden: 16, channels: 4, mlp: [32, 16], stepFeatures: 16 },
      ppo: { epochs: 1, minibatches: 1 },
      batchSize: 8,
      trajectoriesPerIteration: 8,
      discriminatorSteps: 1,
      discriminatorBatch: 8,
      seed: 4,
    });
    try {
      const first = await trainer.step();
      const tensors = tf.memory().numTensors;
      const later = [await trainer.step(), await trainer.step()];
      expect(tf.memory().numTensors).toBe(tensors);
      for (const m of [first, ...later]) {
        expect(m.rewardMean).toBeGreaterThan(0);
        expect(m.rewardMean).toBeLessThan(1);
        expect(Number.isFinite(m.policyLoss)).toBe(true);
        expect(Number.isFinite(m.discriminator?.discriminatorLoss)).toBe(true);
      }
      expect(trainer.iteration).toBe(3);
    } finally {
      trainer.dispose();
      discriminator.params.dispose();
      reward.optimizer.dispose();
    }
  });
});

describe("a short AdaGen run on dit-tiny (ONNX) improves its reward", () => {
  it("raises a fixed per-image reward (mean brightness) of the deterministic policy within 8 iterations", async () => {
    const env = new DiffusionEnv(dit, { steps: 2, renderTransform: statesToImages });
    const brightness = (image: Float32Array) => image.reduce((a, b) => a + b, 0) / image.length;
    const reward = new FunctionReward(brightness);
    const trainer = new AdaGenTrainer({
      env,
      reward,
      network: { hidden: 16, channels: 4, mlp: [32, 16], stepFeatures: 16 },
      ppo: { learningRate: 3e-3, explorationStd: 0.3, epochs: 4, minibatches: 2 },
      batchSize: 32,
      trajectoriesPerIteration: 64,
      groupSize: 4,
      seed: 2,
    });
    // Held-out seeds and balanced labels, deterministic policy: the reward the trained sampler would get.
    const evaluate = async () => {
      const labels = balancedLabels(64, 10);
      const { samples } = await rollout(env, trainer.actor, new ActionDecoder(env.actionSpec), labels, 777);
      const r = await reward.score(samples, labels);
      return r.reduce((a, b) => a + b, 0) / r.length;
    };
    try {
      const before = await evaluate();
      await trainer.train({ iterations: 8 });
      const after = await evaluate();
      console.log(`dit-tiny, 2 steps, mean brightness: ${before.toFixed(4)} → ${after.toFixed(4)}`);
      expect(after).toBeGreaterThan(before + 0.01);
    } finally {
      trainer.dispose();
    }
  });
});
