/**
 * The end-to-end proof that the engine learns: train an AdaGen policy (PPO + adversarial reward with an MLP
 * discriminator against exact samples) for DiffusionEnv on the Gaussian-mixture testbed, starting from the best
 * baseline schedule, and compare class-conditional SW2 to exact samples with that baseline on paired seeds.
 */
import type { Endpoint } from "@adagen/core";
import {
  ActionDecoder,
  AdaGenTrainer,
  AdversarialReward,
  MLPDiscriminator,
  Random,
  rollout,
  type IterationMetrics,
  type PPOConfig,
  type PolicyNetworkConfig,
} from "@adagen/core";
import { DiffusionEnv } from "../env.js";
import { VPLinearSchedule } from "../schedules.js";
import { GaussianMixture, GmmNoisePredictor } from "./gmm.js";
import { measureGmmBaselines, type GmmBaselineRow } from "./gmm-baselines.js";
import { classConditionalSlicedWasserstein2 } from "./sliced-wasserstein.js";

export interface GmmExperimentOptions {
  dim: number;
  /** Guided model evaluations (NFE). */
  nfe: number;
  /** Samples in each SW2 evaluation (labels balanced). */
  evalSamples: number;
  iterations: number;
  /** Stop training early once this many seconds have passed (the evaluation still runs). */
  timeBudgetSeconds?: number;
  trajectoriesPerIteration: number;
  batchSize: number;
  ppo: Partial<PPOConfig>;
  network: Partial<PolicyNetworkConfig>;
  discriminator: { hidden: number[]; learningRate: number; steps: number; batch: number };
  seed: number;
  /**
   * CFG weight of the policy's heuristic (its starting point). Default: the baseline's weight, floored at 0.01
   * because the softplus activation needs w > 0. A weight near 0 sits where softplus is flat, so exploration
   * hardly moves it; a small positive start such as 0.1 lets the policy learn guidance.
   */
  heuristicGuidance?: number;
  /** Where the samplers' last step lands, for the baselines and the policy alike (default "data"). */
  endpoint?: Endpoint;
  /**
   * Model selection as AdaNAT does (it keeps the best-FID policy): every `every` iterations, score the
   * deterministic policy on a validation set (its own seeds, never the test seeds) and keep the best weights.
   */
  validation?: { every: number; samples: number };
  onProgress?: (m: IterationMetrics, validation?: { swd: number; times: number[]; guidance: number[] }) => void;
}

export interface GmmExperimentResult {
  baseline: GmmBaselineRow;
  adagenSwd: number;
  exactFloor: number;
  iterations: number;
  /** Iteration whose weights were kept (the last one without validation). */
  selectedIteration: number;
  trainSeconds: number;
  /** Mean executed time points and guidance per decision of the trained policy on the evaluation set. */
  learnedSchedule: { times: number[]; guidance: number[] };
}

export async function runGmmExperiment(o: GmmExperimentOptions): Promise<GmmExperimentResult> {
  const schedule = new VPLinearSchedule();
  const mixture = new GaussianMixture({ dim: o.dim, seed: 1 });
  const evalSeed = o.seed + 100;
  const report = await measureGmmBaselines(mixture, {
    nfe: o.nfe,
    samples: o.evalSamples,
    solvers: ["2S", "2M"],
    seed: evalSeed,
    endpoint: o.endpoint,
  });
  const baseline = report.best;
  const predictor = new GmmNoisePredictor(mixture, schedule);
  const env = new DiffusionEnv(predictor, {
    steps: o.nfe,
    solver: baseline.solver,
    heuristicTimes: baseline.times,
    guidanceInit: o.heuristicGuidance ?? Math.max(baseline.guidance, 0.01),
    smoothing: 0, // docs/method.md §11: smoothing is for horizons over 10 steps
    endpoint: o.endpoint,
  });
  const trainer = new AdaGenTrainer({
    env,
    reward: new AdversarialReward(
      new MLPDiscriminator({ inputDim: o.dim, numClasses: mixture.numClasses, hidden: o.discriminator.hidden, seed: o.seed }),
      { learningRate: o.discriminator.learningRate },
    ),
    realData: { sample: (n: number, rng: Random) => exactBatch(mixture, n, rng) },
    ppo: o.ppo,
    network: o.network,
    batchSize: o.batchSize,
    trajectoriesPerIteration: o.trajectoriesPerIteration,
    discriminatorSteps: o.discriminator.steps,
    discriminatorBatch: o.discriminator.batch,
    seed: o.seed,
  });
  const decoder = new ActionDecoder(env.actionSpec);
  const score = async (samples: number, seed: number) => {
    // Balanced labels, initial noise from `seed`, exact samples from seed + 1000 (as measureGmmBaselines).
    const labels = Int32Array.from({ length: samples }, (_, i) => i % mixture.numClasses);
    const exact = mixture.sample(labels, new Random(seed + 1000));
    const result = await rollout(env, trainer.actor, decoder, labels, seed);
    return classConditionalSlicedWasserstein2(result.samples.data, labels, exact, labels, o.dim, { projections: 128, seed: 7 });
  };
  const validationSeed = o.seed + 5000;
  let best = o.validation ? { swd: await score(o.validation.samples, validationSeed), iteration: 0, weights: await trainer.actor.params.export() } : undefined;
  const start = performance.now();
  while (trainer.iteration < o.iterations) {
    const m = await trainer.step();
    let validation: { swd: number; times: number[]; guidance: number[] } | undefined;
    if (best && o.validation && trainer.iteration % o.validation.every === 0) {
      const swd = await score(o.validation.samples, validationSeed);
      validation = { swd, ...meanSchedule(env) };
      if (swd < best.swd) best = { swd, iteration: trainer.iteration, weights: await trainer.actor.params.export() };
    }
    o.onProgress?.(m, validation);
    if (o.timeBudgetSeconds !== undefined && (performance.now() - start) / 1000 > o.timeBudgetSeconds) break;
  }
  const trainSeconds = (performance.now() - start) / 1000;
  if (best) trainer.actor.params.import(best.weights);
  const selectedIteration = best ? best.iteration : trainer.iteration;

  // Test: the baselines' labels, initial-noise seed and exact samples (paired with the baseline).
  const adagenSwd = await score(o.evalSamples, evalSeed);
  const learnedSchedule = meanSchedule(env);
  const iterations = trainer.iteration;
  trainer.dispose();
  return { baseline: report.best, adagenSwd, exactFloor: report.exactFloor, iterations, selectedIteration, trainSeconds, learnedSchedule };
}

/** Per-decision mean over samples of the executed times and guidance of the env's last batch. */
function meanSchedule(env: DiffusionEnv): { times: number[]; guidance: number[] } {
  const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;
  const executed = env.executedSchedule();
  return { times: executed.times.map(mean), guidance: executed.guidance.map(mean) };
}

function exactBatch(mixture: GaussianMixture, n: number, rng: Random) {
  const labels = Int32Array.from({ length: n }, () => rng.int(mixture.numClasses));
  const data = mixture.sample(labels, rng);
  return { samples: { data, shape: [n, mixture.dim] }, labels };
}
