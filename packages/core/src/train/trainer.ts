import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ActionDecoder, type ActionSpec } from "../actions/spec.js";
import type { GenerationEnv } from "../env.js";
import { PolicyNetwork, policyNetworkConfig, type PolicyNetworkConfig } from "../nn/policy.js";
import { RolloutBuffer } from "../ppo/buffer.js";
import { explorationStdAt, resolvePPOConfig, type PPOConfig } from "../ppo/config.js";
import { ppoUpdate } from "../ppo/ppo.js";
import { Random } from "../random.js";
import type { ImageAugment } from "../rewards/augment.js";
import { withNegatives, type DiscriminatorNegatives } from "../rewards/negatives.js";
import type { LabeledBatch, RealDataSource, RewardModel } from "../rewards/reward.js";
import { rollout, uniformLabels } from "../rollout.js";
import { AdversarialReward } from "../rewards/adversarial.js";
import { checkFiniteTensors, nonFiniteEntries, NonFiniteError, describeNumber } from "./non-finite.js";
import { exportOptimizer, importOptimizer } from "./optimizer-state.js";
import { combine, snapshotAdam, snapshotReward, snapshotVariables, type Snapshot } from "./rollback.js";
import { readTensorFile, writeTensorFile, type NamedArray } from "./tensor-file.js";

/**
 * The AdaGen training loop (paper Algorithm 1, docs/method.md §10):
 *   1. roll out `trajectoriesPerIteration` trajectories with exploration, render, score with the reward;
 *   2. PPO update of actor + critic on the buffer;
 *   3. `discriminatorSteps` updates of a learned reward on fresh exploring samples vs real samples.
 * An iteration is all or nothing: a NaN or infinite reward, return, advantage, PPO loss, gradient norm, parameter or
 * discriminator figure throws `NonFiniteError` naming the quantity and the iteration, and the trainer (weights, Adam
 * states, learned reward, RNG, iteration) is left as it was before the step (docs/reliability.md).
 */
export interface TrainerOptions {
  env: GenerationEnv;
  reward: RewardModel;
  /** Real samples for a learned reward's updates. */
  realData?: RealDataSource;
  ppo?: Partial<PPOConfig>;
  /** Policy/critic sizes (tokens, feature width and outputs come from the env). */
  network?: Partial<PolicyNetworkConfig>;
  /** Trajectories per env call. */
  batchSize?: number;
  /** Trajectories per PPO iteration (the paper's 4096). */
  trajectoriesPerIteration?: number;
  /** Discriminator steps per iteration, each on a fresh fake and real batch. [P, N: 5] */
  discriminatorSteps?: number;
  /** Samples per discriminator step, real and fake each. */
  discriminatorBatch?: number;
  /**
   * Where the discriminator's fakes come from. "fresh" [N]: new exploring rollouts after the PPO update (docs/method.md
   * §9.2). "rollout": the iteration's own exploring rollout images, reused in `discriminatorBatch` chunks; they come
   * from the same policy_old with the same noise, and it saves the generator calls of the fresh batches.
   */
  discriminatorFakes?: "fresh" | "rollout";
  /**
   * Augmentation of both the real and the fake batch of every discriminator step (e.g. `translateCutout()`), drawn
   * from the trainer's generator; the rewards PPO sees are computed on the unaugmented samples. None by default.
   */
  discriminatorAugment?: ImageAugment;
  /**
   * Extra fakes for every discriminator step (negative data augmentation): `fraction` × the fake batch of training
   * images, each corrupted by `corrupt` (e.g. core's `noisedReals`), appended to the fakes before any augmentation.
   * Every draw comes from the trainer's generator. None by default.
   */
  discriminatorNegatives?: DiscriminatorNegatives;
  /**
   * Discriminator steps before the first PPO update, on one iteration's worth of the initial policy's exploring
   * samples (reused in turn). Without it the first rewards of a short run are a random discriminator's noise.
   */
  discriminatorWarmup?: number;
  /**
   * Group-relative advantages when > 1: each rollout batch holds batchSize / groupSize (label, initial noise) pairs,
   * each explored groupSize times, and a trajectory's advantage is its reward minus its group's mean (scaled to unit
   * std) instead of R̂ − V_old. The image content then cancels out of the advantage and only the actions' effect is
   * left, which a short run on a small buffer needs; the critic still learns R̂. 1 = the paper's critic baseline.
   */
  groupSize?: number;
  seed?: number;
}

export interface IterationMetrics {
  iteration: number;
  explorationStd: number;
  rewardMean: number;
  rewardStd: number;
  policyLoss: number;
  valueLoss: number;
  clipFraction: number;
  gradNorm: number;
  discriminator?: Record<string, number>;
  /** Last warm-up step's discriminator figures (first iteration only). */
  discriminatorWarmup?: Record<string, number>;
  /** Seconds per phase; discriminator includes the warm-up. */
  seconds: { rollout: number; ppo: number; discriminator: number; total: number };
}

export interface TrainOptions {
  iterations: number;
  onProgress?: (metrics: IterationMetrics, trainer: AdaGenTrainer) => void;
  /** Appends one JSON line of metrics per iteration. */
  metricsFile?: string;
  /** Writes a resumable checkpoint every `every` iterations (and after the last). */
  checkpoint?: { file: string; every: number };
}

const CHECKPOINT_FORMAT = "adagen-trainer-checkpoint";
const POLICY_FORMAT = "adagen-policy";

export class AdaGenTrainer {
  readonly env: GenerationEnv;
  readonly reward: RewardModel;
  readonly realData?: RealDataSource;
  readonly ppo: PPOConfig;
  readonly actor: PolicyNetwork;
  readonly critic: PolicyNetwork;
  readonly decoder: ActionDecoder;
  readonly batchSize: number;
  readonly trajectoriesPerIteration: number;
  readonly discriminatorSteps: number;
  readonly discriminatorBatch: number;
  readonly discriminatorFakes: "fresh" | "rollout";
  readonly discriminatorAugment?: ImageAugment;
  readonly discriminatorNegatives?: DiscriminatorNegatives;
  readonly discriminatorWarmup: number;
  readonly groupSize: number;
  readonly seed: number;
  /** Completed iterations. */
  iteration = 0;
  /** The iteration of the last checkpoint written or loaded, for the message of a rejected iteration. */
  private lastCheckpoint: number | undefined;
  private readonly rng: Random;
  private readonly optimizer: tf.AdamOptimizer;

  constructor(options: TrainerOptions) {
    const { env, reward } = options;
    this.env = env;
    this.reward = reward;
    this.realData = options.realData;
    this.ppo = resolvePPOConfig(options.ppo);
    this.batchSize = positiveInt("batchSize", options.batchSize ?? 64);
    this.trajectoriesPerIteration = positiveInt("trajectoriesPerIteration", options.trajectoriesPerIteration ?? 256);
    this.discriminatorSteps = nonNegativeInt("discriminatorSteps", options.discriminatorSteps ?? 5);
    this.discriminatorBatch = positiveInt("discriminatorBatch", options.discriminatorBatch ?? this.batchSize);
    this.discriminatorFakes = options.discriminatorFakes ?? "fresh";
    if (this.discriminatorFakes !== "fresh" && this.discriminatorFakes !== "rollout")
      throw new RangeError(`discriminatorFakes must be "fresh" or "rollout", got ${String(this.discriminatorFakes)}`);
    this.discriminatorAugment = options.discriminatorAugment;
    const negatives = options.discriminatorNegatives;
    if (negatives && !(negatives.fraction > 0 && negatives.fraction <= 4))
      throw new RangeError(`discriminatorNegatives.fraction must be in (0, 4], got ${negatives.fraction}`);
    this.discriminatorNegatives = negatives;
    this.discriminatorWarmup = nonNegativeInt("discriminatorWarmup", options.discriminatorWarmup ?? 0);
    this.groupSize = positiveInt("groupSize", options.groupSize ?? 1);
    if (this.batchSize % this.groupSize !== 0 || this.trajectoriesPerIteration % this.groupSize !== 0)
      throw new RangeError(
        `groupSize ${this.groupSize} must divide batchSize ${this.batchSize} and trajectoriesPerIteration ${this.trajectoriesPerIteration}`,
      );
    this.seed = options.seed ?? 0;
    if (reward.update && !options.realData) throw new Error("a learned reward needs realData for its updates");
    this.decoder = new ActionDecoder(env.actionSpec);
    const [tokens, featureDim] = env.featureShape;
    const shape = { tokens, featureDim };
    this.actor = new PolicyNetwork(
      policyNetworkConfig({ ...shape, outputs: this.decoder.numKeys }, { seed: this.seed, ...options.network }),
      "actor",
    );
    this.critic = new PolicyNetwork(
      policyNetworkConfig({ ...shape, outputs: 1 }, { seed: this.seed + 1, ...options.network }),
      "critic",
    );
    this.rng = new Random(this.seed);
    this.optimizer = tf.train.adam(this.ppo.learningRate) as tf.AdamOptimizer;
  }

  /** Two-line happy path: `await AdaGenTrainer.train({ env, reward, realData }, { iterations: 100 })`. */
  static async train(options: TrainerOptions, run: TrainOptions): Promise<AdaGenTrainer> {
    const trainer = new AdaGenTrainer(options);
    await trainer.train(run);
    return trainer;
  }

  get explorationStd(): number {
    return explorationStdAt(this.ppo, this.iteration);
  }

  /**
   * One iteration of Algorithm 1. If it throws (NonFiniteError, or any other error), nothing of it is kept: the
   * weights, optimiser states, learned reward, RNG and iteration count are those from before the call.
   */
  async step(): Promise<IterationMetrics> {
    const snapshot = await this.snapshot();
    try {
      return await this.iterate();
    } catch (err) {
      await snapshot.restore();
      if (err instanceof NonFiniteError) throw err.at(this.iteration + 1, this.kept());
      throw err;
    } finally {
      snapshot.dispose();
    }
  }

  /** Everything an iteration changes. */
  private async snapshot(): Promise<Snapshot> {
    const rng = this.rng.getState();
    const parts = [snapshotVariables([...this.actor.variables, ...this.critic.variables]), snapshotAdam(this.optimizer)];
    if (this.reward.update) parts.push(await snapshotReward(this.reward));
    parts.push({ restore: async () => this.rng.setState(rng), dispose() {} });
    return combine(parts);
  }

  /** What a rejected iteration leaves, in words. */
  private kept(): string {
    const at = this.lastCheckpoint;
    if (at === this.iteration) return `the last good checkpoint (iteration ${at}) is kept`;
    if (at !== undefined) return `the trainer keeps iteration ${this.iteration} in memory; the last checkpoint (iteration ${at}) is kept`;
    return `the trainer keeps iteration ${this.iteration} in memory (no checkpoint was written)`;
  }

  private async iterate(): Promise<IterationMetrics> {
    const t0 = performance.now();
    const std = this.explorationStd;
    const [N, D] = this.env.featureShape;
    const buffer = new RolloutBuffer(N * D, this.decoder.numKeys);
    const rewards: number[] = [];
    const fakes: LabeledBatch[] = [];
    let warmup: Record<string, number> | undefined;
    if (this.iteration === 0 && this.discriminatorWarmup > 0) warmup = await this.warmUpDiscriminator(std);
    const t0Rollout = performance.now();
    for (let done = 0; done < this.trajectoriesPerIteration; done += this.batchSize) {
      const B = Math.min(this.batchSize, this.trajectoriesPerIteration - done);
      const G = this.groupSize;
      const labels = repeatEach(uniformLabels(B / G, this.env.numClasses, this.rng), G);
      const result = await rollout(this.env, this.actor, this.decoder, labels, this.rng.nextUint32(), {
        explore: { std, rng: this.rng },
        critic: this.critic,
        record: true,
        noiseGroup: G,
      });
      const r = await this.reward.score(result.samples, labels);
      if (this.discriminatorFakes === "rollout") fakes.push({ samples: result.samples, labels });
      const t = result.transitions!;
      const returns = new Float32Array(t.steps.length);
      // Terminal-only reward, gamma = 1: every decision of trajectory b gets r_b (transitions are decision-major).
      for (let i = 0; i < returns.length; i++) returns[i] = r[i % B];
      const groupAdvantage = G > 1 ? groupCentred(r, G) : undefined;
      buffer.add({ ...t, returns, ...(groupAdvantage ? { advantages: returns.map((_, i) => groupAdvantage[i % B]) } : {}) });
      rewards.push(...r);
    }
    const badRewards = nonFiniteEntries("the reward", rewards, "trajectories");
    if (badRewards) throw new NonFiniteError("reward", badRewards);
    const t1 = performance.now();
    const stats = await ppoUpdate({
      actor: this.actor,
      critic: this.critic,
      optimizer: this.optimizer,
      buffer,
      config: this.ppo,
      std,
      rng: this.rng,
    });
    const t2 = performance.now();
    let discriminator: Record<string, number> | undefined;
    if (this.reward.update && this.realData) {
      const pool = this.discriminatorFakes === "rollout" ? rebatch(fakes, this.discriminatorBatch) : undefined;
      for (let s = 0; s < this.discriminatorSteps; s++) {
        const fake = pool ? pool[s % pool.length] : await this.exploringFakes(explorationStdAt(this.ppo, this.iteration + 1));
        discriminator = checkDiscriminator(await this.discriminatorStep(fake), `discriminator step ${s + 1} of ${this.discriminatorSteps}`);
      }
      if (this.reward instanceof AdversarialReward)
        checkFiniteTensors("discriminator parameters", this.reward.discriminator.params.variables, " after the discriminator steps");
    }
    const t3 = performance.now();
    this.iteration++;
    const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
    const variance = rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, rewards.length - 1);
    return {
      iteration: this.iteration,
      explorationStd: std,
      rewardMean: mean,
      rewardStd: Math.sqrt(variance),
      policyLoss: stats.policyLoss,
      valueLoss: stats.valueLoss,
      clipFraction: stats.clipFraction,
      gradNorm: stats.gradNorm,
      discriminator,
      ...(warmup ? { discriminatorWarmup: warmup } : {}),
      seconds: {
        rollout: (t1 - t0Rollout) / 1000,
        ppo: (t2 - t1) / 1000,
        discriminator: (t3 - t2 + (t0Rollout - t0)) / 1000,
        total: (t3 - t0) / 1000,
      },
    };
  }

  /** `discriminatorBatch` fresh exploring samples of the current policy, uniform labels. */
  private async exploringFakes(std: number): Promise<LabeledBatch> {
    const labels = uniformLabels(this.discriminatorBatch, this.env.numClasses, this.rng);
    const fake = await rollout(this.env, this.actor, this.decoder, labels, this.rng.nextUint32(), { explore: { std, rng: this.rng } });
    return { samples: fake.samples, labels };
  }

  private async discriminatorStep(fake: LabeledBatch): Promise<Record<string, number>> {
    const realData = this.realData as RealDataSource;
    let real = await realData.sample(fake.labels.length, this.rng);
    const negatives = this.discriminatorNegatives;
    if (negatives) {
      const clean = await realData.sample(Math.max(1, Math.round(negatives.fraction * fake.labels.length)), this.rng);
      fake = withNegatives(fake, { samples: negatives.corrupt(clean.samples, this.rng), labels: clean.labels });
    }
    const augment = this.discriminatorAugment;
    if (augment) {
      real = { samples: augment(real.samples, this.rng), labels: real.labels };
      fake = { samples: augment(fake.samples, this.rng), labels: fake.labels };
    }
    return (this.reward.update as NonNullable<RewardModel["update"]>).call(this.reward, real, fake);
  }

  /** `discriminatorWarmup` steps over one iteration's worth of the initial policy's exploring samples. */
  private async warmUpDiscriminator(std: number): Promise<Record<string, number> | undefined> {
    if (!this.reward.update || !this.realData) return undefined;
    const pool: LabeledBatch[] = [];
    for (let done = 0; done < this.trajectoriesPerIteration; done += this.discriminatorBatch) pool.push(await this.exploringFakes(std));
    let last: Record<string, number> | undefined;
    for (let s = 0; s < this.discriminatorWarmup; s++)
      last = checkDiscriminator(await this.discriminatorStep(pool[s % pool.length]), `discriminator warm-up step ${s + 1} of ${this.discriminatorWarmup}`);
    return last;
  }

  async train(run: TrainOptions): Promise<IterationMetrics[]> {
    const history: IterationMetrics[] = [];
    const target = this.iteration + nonNegativeInt("iterations", run.iterations);
    if (run.metricsFile) await fs.mkdir(path.dirname(path.resolve(run.metricsFile)), { recursive: true });
    while (this.iteration < target) {
      const metrics = await this.step();
      history.push(metrics);
      if (run.metricsFile) await fs.appendFile(run.metricsFile, JSON.stringify(metrics) + "\n");
      const cp = run.checkpoint;
      if (cp && (this.iteration % cp.every === 0 || this.iteration === target)) await this.save(cp.file);
      run.onProgress?.(metrics, this);
    }
    return history;
  }

  /** Writes everything needed to resume exactly: weights, optimiser states, RNG state and iteration. */
  async save(file: string): Promise<void> {
    const tensors: Record<string, NamedArray> = {};
    const put = (scope: string, values: Record<string, NamedArray>) => {
      for (const [k, v] of Object.entries(values)) tensors[`${scope}/${k}`] = v;
    };
    put("actor", await this.actor.params.export());
    put("critic", await this.critic.params.export());
    put("optimizer", await exportOptimizer(this.optimizer));
    // A learned reward's own state (AdversarialReward: discriminator weights and its Adam), keys scoped by the reward.
    if (this.reward.exportState) Object.assign(tensors, await this.reward.exportState());
    const iteration = this.iteration;
    await writeTensorFile(file, {
      meta: {
        format: CHECKPOINT_FORMAT,
        version: 1,
        iteration: this.iteration,
        rng: this.rng.getState(),
        ppo: this.ppo,
        actor: this.actor.config,
        critic: this.critic.config,
        actionSpec: this.env.actionSpec,
        batchSize: this.batchSize,
        trajectoriesPerIteration: this.trajectoriesPerIteration,
        discriminatorSteps: this.discriminatorSteps,
        discriminatorBatch: this.discriminatorBatch,
        discriminatorFakes: this.discriminatorFakes,
        discriminatorWarmup: this.discriminatorWarmup,
        groupSize: this.groupSize,
        seed: this.seed,
      },
      tensors,
    });
    this.lastCheckpoint = iteration;
  }

  /** Restores a checkpoint written by `save` into this trainer (same env, reward and sizes). */
  async load(file: string): Promise<void> {
    const { meta, tensors } = await readTensorFile(file);
    if (meta.format !== CHECKPOINT_FORMAT) throw new Error(`${file} is not a trainer checkpoint (format ${String(meta.format)})`);
    const scoped = (scope: string) =>
      Object.fromEntries(
        Object.entries(tensors)
          .filter(([k]) => k.startsWith(`${scope}/`))
          .map(([k, v]) => [k.slice(scope.length + 1), v]),
      );
    this.actor.params.import(scoped("actor"));
    this.critic.params.import(scoped("critic"));
    await importOptimizer(this.optimizer, scoped("optimizer"));
    await this.reward.importState?.(tensors);
    this.rng.setState(meta.rng as number[]);
    this.iteration = meta.iteration as number;
    this.lastCheckpoint = this.iteration;
  }

  /** Writes the deterministic policy alone (actor weights + its action spec), for sampling. */
  async exportPolicy(file: string, info: Record<string, unknown> = {}): Promise<void> {
    await savePolicy(file, this.actor, this.env.actionSpec, info);
  }

  dispose(): void {
    this.actor.dispose();
    this.critic.dispose();
    this.optimizer.dispose();
  }
}

/** A trained policy file: actor weights, network config and the action spec it was trained with. */
export async function savePolicy(file: string, actor: PolicyNetwork, actionSpec: ActionSpec, info: Record<string, unknown> = {}): Promise<void> {
  await writeTensorFile(file, {
    meta: { format: POLICY_FORMAT, version: 1, network: actor.config, actionSpec, ...info },
    tensors: await actor.params.export(),
  });
}

export async function loadPolicy(file: string): Promise<{ actor: PolicyNetwork; actionSpec: ActionSpec; meta: Record<string, unknown> }> {
  const { meta, tensors } = await readTensorFile(file);
  if (meta.format !== POLICY_FORMAT) throw new Error(`${file} is not a policy file (format ${String(meta.format)})`);
  const actor = new PolicyNetwork(meta.network as PolicyNetworkConfig, "actor");
  try {
    actor.params.import(tensors);
  } catch (err) {
    actor.dispose();
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  return { actor, actionSpec: meta.actionSpec as ActionSpec, meta };
}

/** A discriminator update's figures (loss, mean logits), refused when one is NaN or infinite. */
function checkDiscriminator(figures: Record<string, number>, where: string): Record<string, number> {
  for (const [key, v] of Object.entries(figures)) {
    if (Number.isFinite(v)) continue;
    const quantity = key === "discriminatorLoss" ? "discriminator loss" : `discriminator ${key}`;
    throw new NonFiniteError(quantity, `the ${quantity} is ${describeNumber(v)} at ${where}`);
  }
  return figures;
}

/** [a, b] with n = 2 → [a, a, b, b]. */
function repeatEach(values: Int32Array, n: number): Int32Array {
  return Int32Array.from({ length: values.length * n }, (_, i) => values[Math.floor(i / n)]);
}

/** Each value minus the mean of its run of g consecutive values. */
function groupCentred(r: Float32Array, g: number): Float32Array {
  const out = new Float32Array(r.length);
  for (let start = 0; start < r.length; start += g) {
    let mean = 0;
    for (let i = start; i < start + g; i++) mean += r[i] / g;
    for (let i = start; i < start + g; i++) out[i] = r[i] - mean;
  }
  return out;
}

/** Concatenates labeled batches and cuts them into batches of `size` (the last may be smaller). */
function rebatch(batches: LabeledBatch[], size: number): LabeledBatch[] {
  if (batches.length === 0) return [];
  const sampleShape = batches[0].samples.shape.slice(1);
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const total = batches.reduce((a, b) => a + b.labels.length, 0);
  const data = new Float32Array(total * per);
  const labels = new Int32Array(total);
  let at = 0;
  for (const b of batches) {
    data.set(b.samples.data, at * per);
    labels.set(b.labels, at);
    at += b.labels.length;
  }
  const out: LabeledBatch[] = [];
  for (let start = 0; start < total; start += size) {
    const end = Math.min(total, start + size);
    out.push({ samples: { data: data.subarray(start * per, end * per), shape: [end - start, ...sampleShape] }, labels: labels.subarray(start, end) });
  }
  return out;
}

function positiveInt(name: string, v: number): number {
  if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

function nonNegativeInt(name: string, v: number): number {
  if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  return v;
}
