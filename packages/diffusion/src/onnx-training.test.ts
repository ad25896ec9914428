import * as tf from "@tensorflow/tfjs-core";
import { AdaGenTrainer, AdversarialReward, initTensorflow, ViTDiscriminator } from "@adagen/core";
import { loadFashionMnist, modelPath } from "@adagen/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiffusionEnv } from "./env.js";
import { statesToImages } from "./images.js";
import { OnnxNoisePredictor } from "./onnx-predictor.js";
import { ImageRealData } from "./real-data.js";

let dit: OnnxNoisePredictor;
beforeAll(async () => {
  await initTensorflow();
  dit = await OnnxNoisePredictor.load(modelPath("dit-tiny"));
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
