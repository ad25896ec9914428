import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { ActionDecoder } from "../actions/spec.js";
import { Random } from "../random.js";
import { AdversarialReward } from "../rewards/adversarial.js";
import { MLPDiscriminator } from "../rewards/mlp-discriminator.js";
import { FunctionReward, type LabeledBatch, type RealDataSource } from "../rewards/reward.js";
import { rollout } from "../rollout.js";
import { setupTensorflow } from "../testing/setup.js";
import { ToyTargetEnv, toyReward } from "../testing/toy-env.js";
import { AdaGenTrainer, loadPolicy, type TrainerOptions } from "./trainer.js";
import { readTensorFile, writeTensorFile } from "./tensor-file.js";

beforeAll(setupTensorflow);

const small = { hidden: 16, channels: 4, mlp: [32, 16] as [number, number], stepFeatures: 16 };

/** Deterministic-policy reward of a trainer's actor on fixed held-out seeds. */
async function evaluate(trainer: AdaGenTrainer, env: ToyTargetEnv): Promise<number> {
  const decoder = new ActionDecoder(env.actionSpec);
  const labels = Int32Array.from({ length: 256 }, (_, i) => i % 2);
  const result = await rollout(env, trainer.actor, decoder, labels, 12345);
  const scores = await new FunctionReward(toyReward).score(result.samples, labels);
  return scores.reduce((a, b) => a + b, 0) / scores.length;
}

/** Real samples for the toy task: the best actions themselves. */
function toyRealData(env: ToyTargetEnv): RealDataSource {
  const shadow = new ToyTargetEnv(env.horizon);
  return {
    async sample(count: number, rng: Random) {
      const labels = Int32Array.from({ length: count }, () => rng.int(2));
      await shadow.reset(labels, rng.nextUint32());
      const H = env.horizon;
      const data = new Float32Array(count * 2 * H);
      for (let b = 0; b < count; b++)
        for (let k = 0; k < H; k++) data[b * 2 * H + k] = data[b * 2 * H + H + k] = shadow.target(b, k);
      return { samples: { data, shape: [count, 2 * H] }, labels };
    },
  };
}

function adversarialOptions(env: ToyTargetEnv, seed: number): TrainerOptions {
  return {
    env,
    reward: new AdversarialReward(new MLPDiscriminator({ inputDim: 2 * env.horizon, numClasses: 2, hidden: [64, 64], seed }), { learningRate: 1e-2 }),
    realData: toyRealData(env),
    ppo: { learningRate: 3e-3, explorationStd: 0.4, epochs: 4, minibatches: 2 },
    network: small,
    batchSize: 32,
    trajectoriesPerIteration: 64,
    discriminatorSteps: 4,
    discriminatorBatch: 32,
    seed,
  };
}

describe("AdaGenTrainer", () => {
  // The critic's advantages (the paper's) and group-relative ones (groups of 4 explorations per label).
  for (const groupSize of [1, 4]) {
    it(`learns the toy task from a fixed reward (trained policy beats the heuristic), groupSize ${groupSize}`, async () => {
      const env = new ToyTargetEnv(3, 0.3);
      const trainer = new AdaGenTrainer({
        env,
        reward: new FunctionReward(toyReward),
        ppo: { learningRate: 3e-3, explorationStd: 0.4, epochs: 4, minibatches: 2 },
        network: small,
        batchSize: 64,
        trajectoriesPerIteration: 128,
        groupSize,
        seed: 1,
      });
      const before = await evaluate(trainer, env);
      await trainer.train({ iterations: 15 });
      const after = await evaluate(trainer, env);
      expect(after).toBeGreaterThan(before + 0.5 * (0 - before)); // closes at least half the gap to the optimum 0
      trainer.dispose();
    });
  }

  it("refuses a group size that does not divide the batches", () => {
    const env = new ToyTargetEnv(3, 0.3);
    expect(() => new AdaGenTrainer({ env, reward: new FunctionReward(toyReward), batchSize: 64, groupSize: 3 })).toThrow(/groupSize 3 must divide batchSize 64/);
  });

  it("learns from the adversarial reward with a co-trained discriminator", async () => {
    const env = new ToyTargetEnv(2);
    const trainer = new AdaGenTrainer(adversarialOptions(env, 2));
    const before = await evaluate(trainer, env);
    const history = await trainer.train({ iterations: 20 });
    const after = await evaluate(trainer, env);
    expect(history.at(-1)!.discriminator).toBeDefined();
    expect(after).toBeGreaterThan(before + 0.7 * (0 - before)); // seen: -0.079 → -0.001
    trainer.dispose();
  });

  it("warms the discriminator up and reuses the rollout images as fakes", async () => {
    // Counts generator episodes: "rollout" fakes need none beyond the PPO rollouts, "fresh" fakes one per step.
    class CountingEnv extends ToyTargetEnv {
      episodes = 0;
      override async reset(labels: Int32Array, seed: number): Promise<void> {
        this.episodes++;
        return super.reset(labels, seed);
      }
    }
    const options = (env: ToyTargetEnv, fakes: "fresh" | "rollout", warmup: number): TrainerOptions => ({
      ...adversarialOptions(env, 7),
      discriminatorFakes: fakes,
      discriminatorWarmup: warmup,
    });
    const rolloutsPerIteration = 64 / 32;
    const reused = new CountingEnv(2);
    const a = new AdaGenTrainer(options(reused, "rollout", 0));
    const m = await a.step();
    expect(reused.episodes).toBe(rolloutsPerIteration);
    expect(m.discriminator).toBeDefined();
    expect(m.discriminatorWarmup).toBeUndefined();

    const fresh = new CountingEnv(2);
    const b = new AdaGenTrainer(options(fresh, "fresh", 0));
    await b.step();
    expect(fresh.episodes).toBe(rolloutsPerIteration + 4);

    // Warm-up: one iteration's worth of fakes, then 50 steps that already separate real from fake before any reward.
    const warmed = new CountingEnv(2);
    const c = new AdaGenTrainer(options(warmed, "rollout", 50));
    const first = await c.step();
    expect(warmed.episodes).toBe(2 * rolloutsPerIteration);
    expect(first.discriminatorWarmup!.discriminatorLoss).toBeLessThan(Math.log(4) - 0.1);
    const second = await c.step();
    expect(second.discriminatorWarmup).toBeUndefined(); // only before the first iteration
    expect(() => new AdaGenTrainer({ ...options(new ToyTargetEnv(2), "rollout", 0), discriminatorFakes: "old" as "fresh" })).toThrow(/got old/);
    [a, b, c].forEach((t) => t.dispose());
  });

  it("resumes from a checkpoint exactly: the next iteration is identical", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "adagen-ckpt-"));
    const file = path.join(dir, "run.ckpt");
    const strip = (m: object) => JSON.stringify({ ...m, seconds: undefined });

    const a = new AdaGenTrainer(adversarialOptions(new ToyTargetEnv(2), 4));
    await a.train({ iterations: 2, checkpoint: { file, every: 1 } });
    const next = await a.step();

    const b = new AdaGenTrainer(adversarialOptions(new ToyTargetEnv(2), 4));
    await b.load(file);
    expect(b.iteration).toBe(2);
    const resumed = await b.step();
    expect(strip(resumed)).toBe(strip(next));
    const probe = Float32Array.from({ length: 2 * 4 * 6 }, (_, i) => Math.sin(i));
    expect([...b.actor.predict(probe, 2, [0, 1])]).toEqual([...a.actor.predict(probe, 2, [0, 1])]);
    expect(readdirSync(dir)).toEqual(["run.ckpt"]); // no temporary files left behind

    // A trainer of another size refuses the checkpoint with the parameter named.
    const c = new AdaGenTrainer({ ...adversarialOptions(new ToyTargetEnv(2), 4), network: { ...small, hidden: 8 } });
    await expect(c.load(file)).rejects.toThrow(/actor\/embed\/w: checkpoint shape \[6,16\] does not match \[6,8\]/);
    [a, b, c].forEach((t) => t.dispose());
  });

  it("keeps tf.memory().numTensors unchanged across 20 training iterations", async () => {
    const trainer = new AdaGenTrainer({ ...adversarialOptions(new ToyTargetEnv(2), 6), discriminatorSteps: 1 });
    await trainer.step(); // creates the optimisers' moment variables once
    const before = tf.memory().numTensors;
    await trainer.train({ iterations: 20 });
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
  });

  it("exports a policy that loads back and predicts identically; metrics go to JSONL", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "adagen-policy-"));
    const env = new ToyTargetEnv(2);
    const trainer = new AdaGenTrainer({ ...adversarialOptions(env, 8), discriminatorSteps: 1 });
    const metricsFile = path.join(dir, "metrics.jsonl");
    let calls = 0;
    await trainer.train({ iterations: 2, metricsFile, onProgress: () => calls++ });
    expect(calls).toBe(2);
    const lines = readFileSync(metricsFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.iteration)).toEqual([1, 2]);
    await trainer.exportPolicy(path.join(dir, "p.adagen"), { model: "toy" });
    const { actor, actionSpec, meta } = await loadPolicy(path.join(dir, "p.adagen"));
    expect(meta.model).toBe("toy");
    expect(actionSpec).toEqual(env.actionSpec);
    const probe = Float32Array.from({ length: 4 * 6 }, (_, i) => Math.cos(i));
    expect([...actor.predict(probe, 1, [1])]).toEqual([...trainer.actor.predict(probe, 1, [1])]);
    actor.dispose();
    trainer.dispose();
  });
});

describe("tensor files", () => {
  it("round-trips and reports truncation and wrong formats clearly", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "adagen-tf-"));
    const file = path.join(dir, "nested", "x.bin");
    await writeTensorFile(file, { meta: { a: 1 }, tensors: { w: { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) } } });
    const back = await readTensorFile(file);
    expect(back.meta).toEqual({ a: 1 });
    expect([...back.tensors.w.data]).toEqual([1, 2, 3, 4]);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 3));
    await expect(readTensorFile(file)).rejects.toThrow(/truncated/);
    writeFileSync(file, "hello world, not a checkpoint");
    await expect(readTensorFile(file)).rejects.toThrow(/bad magic/);
    await expect(readTensorFile(path.join(dir, "missing"))).rejects.toThrow(/cannot read .*missing: ENOENT/);
    await expect(
      writeTensorFile(path.join(dir, "bad.bin"), { meta: {}, tensors: { w: { shape: [3], data: new Float32Array(2) } } }),
    ).rejects.toThrow(/shape \[3\] needs 3 values, got 2/);
    expect(readdirSync(dir).sort()).toEqual(["nested"]);
  });

  it("augments the real and the fake batch of every discriminator step with the same function, and nothing else", async () => {
    const env = new ToyTargetEnv(3);
    const seen: { real: Float32Array; fake: Float32Array }[] = [];
    const scored: Float32Array[] = [];
    const recording = {
      async score(samples: { data: Float32Array }) {
        scored.push(Float32Array.from(samples.data));
        return new Float32Array(samples.data.length / 6).fill(0.5);
      },
      async update(real: { samples: { data: Float32Array } }, fake: { samples: { data: Float32Array } }) {
        seen.push({ real: Float32Array.from(real.samples.data), fake: Float32Array.from(fake.samples.data) });
        return {};
      },
    };
    const trainer = new AdaGenTrainer({
      ...adversarialOptions(env, 2),
      reward: recording as unknown as TrainerOptions["reward"],
      discriminatorSteps: 2,
      // A marker augmentation: every value becomes −7, which no toy sample or action reaches.
      discriminatorAugment: (images) => ({ data: new Float32Array(images.data.length).fill(-7), shape: images.shape }),
    });
    await trainer.train({ iterations: 1 });
    expect(seen).toHaveLength(2);
    for (const { real, fake } of seen) {
      expect(real.every((v) => v === -7)).toBe(true);
      expect(fake.every((v) => v === -7)).toBe(true);
    }
    expect(scored.length).toBeGreaterThan(0);
    expect(scored.every((s) => s.every((v) => v !== -7))).toBe(true);
    trainer.dispose();
  });

  it("appends fraction × batch corrupted real samples to the fakes of every discriminator step, and only there", async () => {
    const env = new ToyTargetEnv(3);
    const seen: { real: number; fake: Float32Array; labels: Int32Array }[] = [];
    const scored: Float32Array[] = [];
    const recording = {
      async score(samples: { data: Float32Array }) {
        scored.push(Float32Array.from(samples.data));
        return new Float32Array(samples.data.length / 6).fill(0.5);
      },
      async update(real: LabeledBatch, fake: LabeledBatch) {
        seen.push({ real: real.labels.length, fake: Float32Array.from(fake.samples.data), labels: Int32Array.from(fake.labels) });
        return {};
      },
    };
    const trainer = new AdaGenTrainer({
      ...adversarialOptions(env, 2),
      reward: recording as unknown as TrainerOptions["reward"],
      discriminatorSteps: 2,
      // A marker corruption: every value becomes −7, which no toy sample or action reaches.
      discriminatorNegatives: { fraction: 0.25, corrupt: (images) => ({ data: new Float32Array(images.data.length).fill(-7), shape: images.shape }) },
    });
    await trainer.train({ iterations: 1 });
    expect(seen).toHaveLength(2);
    for (const { real, fake, labels } of seen) {
      // 32 reals; 32 generated fakes, then 8 negatives (each toy sample has 6 values).
      expect(real).toBe(32);
      expect(labels).toHaveLength(40);
      expect(fake.subarray(0, 32 * 6).every((v) => v !== -7)).toBe(true);
      expect(fake.subarray(32 * 6).every((v) => v === -7)).toBe(true);
    }
    expect(scored.every((s) => s.every((v) => v !== -7))).toBe(true);
    expect(() => new AdaGenTrainer({ ...adversarialOptions(env, 2), discriminatorNegatives: { fraction: 0, corrupt: (x) => x } })).toThrow(
      /discriminatorNegatives.fraction must be in \(0, 4\], got 0/,
    );
    trainer.dispose();
  });
});

