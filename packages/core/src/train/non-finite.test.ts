/**
 * The non-finite guard on real small trainers (the toy task of trainer.test.ts): a NaN or infinite reward, loss,
 * gradient, parameter or discriminator figure rejects the iteration with a message naming the quantity and the
 * iteration, the trainer keeps nothing of it (weights, Adam states, discriminator, RNG), and the checkpoint on disk
 * is untouched.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { Batch, Observation } from "../env.js";
import { Random } from "../random.js";
import { AdversarialReward } from "../rewards/adversarial.js";
import { MLPDiscriminator } from "../rewards/mlp-discriminator.js";
import { FunctionReward, type LabeledBatch, type RealDataSource, type RewardModel } from "../rewards/reward.js";
import { setupTensorflow } from "../testing/setup.js";
import { ToyTargetEnv, toyReward } from "../testing/toy-env.js";
import { NonFiniteError } from "./non-finite.js";
import { AdaGenTrainer, type TrainerOptions } from "./trainer.js";

beforeAll(setupTensorflow);

const small = { hidden: 16, channels: 4, mlp: [32, 16] as [number, number], stepFeatures: 16 };

function options(reward: RewardModel, extra: Partial<TrainerOptions> = {}): TrainerOptions {
  return {
    env: new ToyTargetEnv(2),
    reward,
    ppo: { learningRate: 3e-3, explorationStd: 0.4, epochs: 2, minibatches: 2 },
    network: small,
    batchSize: 32,
    trajectoriesPerIteration: 64,
    seed: 3,
    ...extra,
  };
}

/** Every weight of the policy and critic (and a discriminator's), as plain arrays. */
function weights(trainer: AdaGenTrainer): number[][] {
  const vars = [...trainer.actor.variables, ...trainer.critic.variables];
  if (trainer.reward instanceof AdversarialReward) vars.push(...trainer.reward.discriminator.params.variables);
  return vars.map((v) => Array.from(v.dataSync()));
}

/** The error a promise rejects with. */
async function rejection(p: Promise<unknown>): Promise<NonFiniteError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(NonFiniteError);
    return err as NonFiniteError;
  }
  throw new Error("expected a rejection");
}

/** The toy reward, NaN for sample 7 of the `nanCall`-th batch it scores. */
class NaNOnce implements RewardModel {
  calls = 0;
  constructor(private readonly nanCall: number) {}
  async score(samples: Batch, labels: Int32Array): Promise<Float32Array> {
    const r = await new FunctionReward(toyReward).score(samples, labels);
    if (++this.calls === this.nanCall) r[7] = NaN;
    return r;
  }
}

/** Real samples for the toy task: the best actions themselves (as in trainer.test.ts). */
function toyRealData(horizon: number): RealDataSource {
  const shadow = new ToyTargetEnv(horizon);
  return {
    async sample(count: number, rng: Random) {
      const labels = Int32Array.from({ length: count }, () => rng.int(2));
      await shadow.reset(labels, rng.nextUint32());
      const data = new Float32Array(count * 2 * horizon);
      for (let b = 0; b < count; b++)
        for (let k = 0; k < horizon; k++) data[b * 2 * horizon + k] = data[b * 2 * horizon + horizon + k] = shadow.target(b, k);
      return { samples: { data, shape: [count, 2 * horizon] }, labels };
    },
  };
}

/** The adversarial reward, whose `failAt`-th update (after applying it) reports a NaN loss. */
class NaNDiscriminatorLoss extends AdversarialReward {
  updates = 0;
  failAt = 0;
  override async update(real: LabeledBatch, fake: LabeledBatch): Promise<Record<string, number>> {
    const figures = await super.update(real, fake);
    return ++this.updates === this.failAt ? { ...figures, discriminatorLoss: NaN } : figures;
  }
}

function adversarial(seed: number): TrainerOptions {
  const reward = new NaNDiscriminatorLoss(new MLPDiscriminator({ inputDim: 4, numClasses: 2, hidden: [32, 32], seed }), { learningRate: 1e-2 });
  return options(reward, { realData: toyRealData(2), discriminatorSteps: 4, discriminatorBatch: 32, seed });
}

describe("non-finite guard", () => {
  it("a NaN reward rejects the iteration: named, weights as before, checkpoint and metrics untouched, no tensor left", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "adagen-nonfinite-"));
    const file = path.join(dir, "run.ckpt");
    const metricsFile = path.join(dir, "metrics.jsonl");
    // Two rollout batches per iteration: the 5th scored batch is iteration 3's first.
    const trainer = new AdaGenTrainer(options(new NaNOnce(5)));
    let before: { weights: number[][]; checkpoint: Buffer; tensors: number } | undefined;
    const onProgress = () => {
      if (trainer.iteration === 2) before = { weights: weights(trainer), checkpoint: readFileSync(file), tensors: tf.memory().numTensors };
    };
    const err = await rejection(trainer.train({ iterations: 5, checkpoint: { file, every: 1 }, metricsFile, onProgress }));
    expect(err.message).toBe("iteration 3: the reward is NaN for 1 of 64 trajectories; the last good checkpoint (iteration 2) is kept");
    expect(err.quantity).toBe("reward");
    expect(err.iteration).toBe(3);
    expect(trainer.iteration).toBe(2);
    expect(weights(trainer)).toEqual(before!.weights);
    expect(readFileSync(file).equals(before!.checkpoint)).toBe(true);
    expect(readFileSync(metricsFile, "utf8").trim().split("\n")).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(before!.tensors);
    trainer.dispose();
  });

  it("a NaN discriminator loss after the PPO update rolls everything back: the next step equals a resumed run's", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "adagen-nonfinite-"));
    const file = path.join(dir, "run.ckpt");
    const a = new AdaGenTrainer(adversarial(5));
    await a.train({ iterations: 2, checkpoint: { file, every: 1 } });
    const saved = readFileSync(file);
    const before = weights(a);
    // Iteration 3: PPO updates the policy, then discriminator steps 1 and 2 are applied before step 2's loss is NaN.
    const reward = a.reward as NaNDiscriminatorLoss;
    reward.failAt = reward.updates + 2;
    const err = await rejection(a.step());
    expect(err.message).toBe("iteration 3: the discriminator loss is NaN at discriminator step 2 of 4; the last good checkpoint (iteration 2) is kept");
    expect(a.iteration).toBe(2);
    expect(weights(a)).toEqual(before);
    expect(readFileSync(file).equals(saved)).toBe(true);

    // Adam states, discriminator and RNG are back too: the retried iteration is the one a resumed trainer takes.
    const retried = await a.step();
    const b = new AdaGenTrainer(adversarial(5));
    await b.load(file);
    const resumed = await b.step();
    const strip = (m: object) => JSON.stringify({ ...m, seconds: undefined });
    expect(strip(retried)).toBe(strip(resumed));
    expect(weights(a)).toEqual(weights(b));
    [a, b].forEach((t) => t.dispose());
  });

  it("Infinity in the generator's features at one step: the PPO policy loss is NaN, the minibatches already applied are undone", async () => {
    // One transition of 128: sample 0 at decision 1 of the second rollout batch.
    class PoisonedFeatures extends ToyTargetEnv {
      resets = 0;
      override async reset(labels: Int32Array, seed: number): Promise<void> {
        this.resets++;
        return super.reset(labels, seed);
      }
      override async observe(): Promise<Observation> {
        const o = await super.observe();
        if (this.resets === 2 && o.step === 1) o.features.data[0] = Infinity;
        return o;
      }
    }
    // A reward that scores a non-finite action as the worst one, so the rollout's rewards stay finite.
    const robust = new FunctionReward((s) => {
      let r = 0;
      for (let k = 0; k < 2; k++) r -= Number.isFinite(s[k]) ? (s[k] - s[2 + k]) ** 2 : 1;
      return r;
    });
    // Group-relative advantages do not use the critic's (NaN) value, so the loss is where the NaN shows first.
    const trainer = new AdaGenTrainer(options(robust, { env: new PoisonedFeatures(2), groupSize: 2, ppo: { epochs: 2, minibatches: 8 } }));
    const before = weights(trainer);
    const err = await rejection(trainer.step());
    const m = /^iteration 1: the policy loss is NaN at PPO epoch 1 of 2, minibatch (\d) of 8; the trainer keeps iteration 0 in memory \(no checkpoint was written\)$/.exec(
      err.message,
    );
    expect(m, err.message).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(1); // (this seed's shuffle) earlier minibatches were applied, then undone
    expect(err.quantity).toBe("policy loss");
    expect(weights(trainer)).toEqual(before);
    trainer.dispose();
  });

  it("finite losses with an overflowing gradient: the policy gradient is named, nothing applied", async () => {
    // A corrupt critic: its output 1e18 keeps the value loss finite (1e36), but c_v · 2(V − R̂) = 2e20 overflows the
    // gradient norm's squares.
    const trainer = new AdaGenTrainer(options(new FunctionReward(toyReward), { ppo: { epochs: 1, minibatches: 1, valueCoef: 100 } }));
    const bias = trainer.critic.params.variables[trainer.critic.params.names.indexOf("out/b")];
    bias.assign(tf.tidy(() => tf.fill([1], 1e18)));
    const before = weights(trainer);
    const err = await rejection(trainer.step());
    expect(err.message).toBe(
      "iteration 1: the policy gradient is not finite (its norm is Infinity) at PPO epoch 1 of 1, minibatch 1 of 1; the trainer keeps iteration 0 in memory (no checkpoint was written)",
    );
    expect(weights(trainer)).toEqual(before);
    trainer.dispose();
  });

  it("an update that makes the parameters non-finite (learning rate Infinity) is caught after the update and undone", async () => {
    const trainer = new AdaGenTrainer(options(new FunctionReward(toyReward), { ppo: { epochs: 1, minibatches: 1, learningRate: Infinity } }));
    const before = weights(trainer);
    const err = await rejection(trainer.step());
    expect(err.quantity).toBe("actor parameters");
    expect(err.message).toMatch(/^iteration 1: the actor parameters are .+ in \d+ of \d+ values after the PPO update; /);
    expect(weights(trainer)).toEqual(before);
    trainer.dispose();
  });
});
