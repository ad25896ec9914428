/**
 * The small version of `pnpm bench:resources` (docs/reliability.md, "Resources"): the tfjs tensor count stays flat
 * across training iterations (toy task and dit-tiny through `train`), a rejected iteration leaves it unchanged, and
 * no onnxruntime session outlives a run, finished, stopped by an error or diverging, nor a model its contract refuses.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { AdaGenTrainer, FunctionReward, NonFiniteError, OnnxModel, initTensorflow } from "@adagen/core";
import { train } from "@adagen/diffusion";
import { cardPath, zooPath } from "@adagen/zoo";
// The core tests' toy task (not part of core's public API).
import { ToyTargetEnv, toyReward } from "../packages/core/src/testing/toy-env.js";

beforeAll(async () => {
  await initTensorflow();
});

describe("resources stay flat", () => {
  it("toy task: the tensor count after each of 30 iterations equals the first's; a rejected iteration leaves it too", async () => {
    let poison = false;
    const reward = new FunctionReward((s) => (poison ? NaN : toyReward(s)));
    const trainer = new AdaGenTrainer({
      env: new ToyTargetEnv(2),
      reward,
      ppo: { learningRate: 3e-3, explorationStd: 0.4, epochs: 2, minibatches: 2 },
      network: { hidden: 16, channels: 4, mlp: [32, 16], stepFeatures: 16 },
      batchSize: 32,
      trajectoriesPerIteration: 64,
      seed: 2,
    });
    await trainer.step(); // creates the Adam moments
    const first = tf.memory().numTensors;
    const counts: number[] = [];
    for (let i = 1; i < 30; i++) {
      await trainer.step();
      counts.push(tf.memory().numTensors);
    }
    expect(counts).toEqual(counts.map(() => first));
    poison = true;
    await expect(trainer.step()).rejects.toThrow(NonFiniteError);
    expect(tf.memory().numTensors).toBe(first);
    trainer.dispose();
  });

  describe("dit-tiny through train (steps 2, 8 trajectories, batch 8)", () => {
    const dir = mkdtempSync(join(tmpdir(), "adagen-resources-"));
    const base = {
      model: cardPath("dit-tiny"),
      steps: 2,
      trajectories: 8,
      batch: 8,
      recipe: { discriminatorWarmup: 1, discriminatorSteps: 1 },
      validation: { every: 0 },
    } as const;

    it("3 iterations: flat tensor count, one session while training, none after", async () => {
      expect(OnnxModel.liveSessions).toBe(0);
      const tensors: number[] = [];
      const sessions: number[] = [];
      const before = tf.memory().numTensors;
      const run = await train({
        ...base,
        iterations: 3,
        out: join(dir, "ok"),
        onEvent: (e) => {
          if (e.type !== "iteration") return;
          tensors.push(tf.memory().numTensors);
          sessions.push(OnnxModel.liveSessions);
        },
      });
      expect(run.iteration).toBe(3);
      expect(tensors).toEqual([tensors[0], tensors[0], tensors[0]]);
      expect(sessions).toEqual([1, 1, 1]); // the generator (dit-tiny has no decoder)
      expect(OnnxModel.liveSessions).toBe(0);
      // The whole run, the discriminator's optimizer included, leaves no tensor behind.
      expect(tf.memory().numTensors).toBe(before);
    });

    it("a run stopped by an error mid-training and a diverging run release their sessions and tensors", async () => {
      const before = tf.memory().numTensors;
      const stopped = train({
        ...base,
        iterations: 3,
        out: join(dir, "stopped"),
        onEvent: (e) => {
          if (e.type === "iteration" && e.metrics.iteration === 2) throw new Error("stopped by the caller");
        },
      });
      await expect(stopped).rejects.toThrow("stopped by the caller");
      expect(OnnxModel.liveSessions).toBe(0);
      // A learning rate of 1e38 overflows the first PPO update.
      const diverging = train({ ...base, iterations: 2, out: join(dir, "nan"), recipe: { ...base.recipe, learningRate: 1e38 } });
      await expect(diverging).rejects.toThrow(/^iteration 1: the .+; the last good checkpoint \(iteration 0\) is kept$/);
      expect(OnnxModel.liveSessions).toBe(0);
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it("a model refused by its contract does not keep its session", async () => {
    const load = OnnxModel.load(zooPath("models/dit-tiny.onnx"), { inputs: { nope: { dtype: "float32", shape: [1] } }, outputs: {} });
    await expect(load).rejects.toThrow(/missing input "nope"/);
    expect(OnnxModel.liveSessions).toBe(0);
  });
});
