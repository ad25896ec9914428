/**
 * The end-to-end proof that the engine learns: train an AdaGen policy (PPO + adversarial reward with an MLP
 * discriminator against exact samples) for DiffusionEnv on the Gaussian-mixture testbed, starting from the best
 * baseline schedule, and compare class-conditional SW2 to exact samples with that baseline on paired seeds.
 */
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
  onProgress?: (m: IterationMetrics) => void;
}

export interface GmmExperimentResult {
  baseline: GmmBaselineRow;
  adagenSwd: number;
  exactFloor: number;
  iterations: number;
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
  });
  const best = report.best;
  const predictor = new GmmNoisePredictor(mixture, schedule);
  const env = new DiffusionEnv(predictor, {
    steps: o.nfe,
    solver: best.solver,
    heuristicTimes: best.times,
    // The guidance activation is softplus (w > 0): w = 0 is approximated by 0.01.
    guidanceInit: Math.max(best.guidance, 0.01),
    smoothing: 0, // METHOD.md §11: smoothing is for horizons over 10 steps
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
  const start = performance.now();
  while (trainer.iteration < o.iterations) {
    const m = await trainer.step();
    o.onProgress?.(m);
    if (o.timeBudgetSeconds !== undefined && (performance.now() - start) / 1000 > o.timeBudgetSeconds) break;
  }
  const trainSeconds = (performance.now() - start) / 1000;

  // Paired evaluation: the baselines' labels, initial-noise seed and exact samples.
  const labels = Int32Array.from({ length: o.evalSamples }, (_, i) => i % mixture.numClasses);
  const exact = mixture.sample(labels, new Random(evalSeed + 1000));
  const decoder = new ActionDecoder(env.actionSpec);
  const result = await rollout(env, trainer.actor, decoder, labels, evalSeed);
  const adagenSwd = classConditionalSlicedWasserstein2(result.samples.data, labels, exact, labels, o.dim, { projections: 128, seed: 7 });
  const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;
  const executed = env.executedSchedule();
  const learnedSchedule = { times: executed.times.map(mean), guidance: executed.guidance.map(mean) };
  const iterations = trainer.iteration;
  trainer.dispose();
  return { baseline: best, adagenSwd, exactFloor: report.exactFloor, iterations, trainSeconds, learnedSchedule };
}

function exactBatch(mixture: GaussianMixture, n: number, rng: Random) {
  const labels = Int32Array.from({ length: n }, () => rng.int(mixture.numClasses));
  const data = mixture.sample(labels, rng);
  return { samples: { data, shape: [n, mixture.dim] }, labels };
}
