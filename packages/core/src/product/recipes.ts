/**
 * Training presets: everything a run needs besides the model and step count, named. Every number is set once here.
 *
 * - "paper": AdaGen's recipe (docs/method.md §8, §9.2, §10): Adam lr 1e-5, exploration std 0.6 decayed to 0.3 after
 *   iteration 500, 5 full-batch PPO epochs, no groups; 5 discriminator steps per iteration on fresh exploring fakes,
 *   Adam lr 1e-4; 4096 trajectories per iteration, 1000 iterations, FID every 4 iterations; the paper-size policy.
 * - "cpu-small" (the default): the recipe that learns in minutes on a 2-core CPU with the zoo's small models. The
 *   paper's lr and std need its 1000 × 4096 trajectories (with lr 1e-5 nothing moves in 100 iterations; std 0.6
 *   overshot here), so: lr 1e-4, std 0.3, groups of 4 explorations per (label, noise) with group-relative
 *   advantages, 4 epochs × 4 minibatches; a discriminator at lr 1e-3, warmed up for 100 steps on the heuristic's
 *   samples, 8 steps per iteration on the rollout's own images (half the generator calls); 256 trajectories, 100
 *   iterations, FID on 1,000 held-out samples every 5 iterations; a ~28k-parameter policy (its share of sampling time
 *   stays ≤ 2 %, `pnpm bench:policy-share`).
 */
import type { PolicyNetworkConfig } from "../nn/policy.js";
import type { DiscriminatorLoss } from "../rewards/adversarial.js";
import type { Negatives } from "../rewards/negatives.js";

export const AUGMENTS = ["none", "translate-cutout"] as const;
export type Augment = (typeof AUGMENTS)[number];

/** How the policy and the discriminator learn. */
export interface Recipe {
  /** Adam lr of policy + critic. */
  learningRate: number;
  /** Exploration std on raw outputs. */
  explorationStd: number;
  /** Iterations after which the std drops by 0.3 (paper: [500]); absent: never. */
  stdDecayAt?: number[];
  /** Explorations per (label, initial noise); > 1 gives group-relative advantages (AdaGenTrainer.groupSize). */
  groupSize: number;
  /** PPO epochs and minibatches per epoch over the buffer. */
  epochs: number;
  minibatches: number;
  /** Adam lr of the discriminator. */
  discriminatorLearningRate: number;
  discriminatorSteps: number;
  discriminatorWarmup: number;
  discriminatorFakes: "fresh" | "rollout";
  /**
   * The discriminator's loss: "logistic" (the reference's default) or "hinge" (its alternative), docs/method.md
   * §9.2. Absent in runs recorded before the choice existed, which trained with the logistic loss.
   */
  discriminatorLoss?: DiscriminatorLoss;
  /**
   * Augmentation of the discriminator's real and fake batches alike: "none" or "translate-cutout" (DiffAugment's
   * translation 1/8 + cutout 1/2, core's translateCutout).
   */
  augment: Augment;
  /**
   * Extra fakes for the discriminator: "none" or "noise" (one training image with pixel noise of std up to 0.1 per
   * two fakes, core's noisedReals), docs/method.md §14 item 16. Absent in runs recorded before the choice existed.
   */
  negatives?: Negatives;
}

/** Policy selection (AdaNAT keeps its best-FID policy): FID of the deterministic policy on held-out seeds. */
export interface Validation {
  /** Iterations between evaluations; 0 turns selection off (policy.adagen is then the last policy). */
  every: number;
  /** Samples per evaluation. */
  n: number;
  /** Sampling seed of the evaluations, away from comparisons' default 0. */
  seed: number;
}

export interface TrainingPreset {
  recipe: Recipe;
  /** Policy and critic size (the rest from the feature shape: `policyNetworkConfig`). */
  network: Partial<PolicyNetworkConfig>;
  iterations: number;
  /** Trajectories per env call, and images per discriminator update. */
  batch: number;
  trajectories: number;
  seed: number;
  validation: Validation;
}

export type PresetName = "cpu-small" | "paper";

export const PRESETS: Readonly<Record<PresetName, Readonly<TrainingPreset>>> = Object.freeze({
  "cpu-small": {
    recipe: {
      learningRate: 1e-4,
      explorationStd: 0.3,
      groupSize: 4,
      epochs: 4,
      minibatches: 4,
      discriminatorLearningRate: 1e-3,
      discriminatorSteps: 8,
      discriminatorWarmup: 100,
      discriminatorFakes: "rollout",
      discriminatorLoss: "logistic",
      augment: "none",
      negatives: "none",
    },
    network: { hidden: 8, channels: 8, mlp: [128, 64], stepFeatures: 64 },
    iterations: 100,
    batch: 64,
    trajectories: 256,
    seed: 0,
    validation: { every: 5, n: 1000, seed: 7919 },
  },
  paper: {
    recipe: {
      learningRate: 1e-5,
      explorationStd: 0.6,
      stdDecayAt: [500],
      groupSize: 1,
      epochs: 5,
      minibatches: 1,
      discriminatorLearningRate: 1e-4,
      discriminatorSteps: 5,
      discriminatorWarmup: 0,
      discriminatorFakes: "fresh",
      discriminatorLoss: "logistic",
      augment: "none",
      negatives: "none",
    },
    network: {},
    iterations: 1000,
    batch: 128,
    trajectories: 4096,
    seed: 0,
    validation: { every: 4, n: 1000, seed: 7919 },
  },
});

export function preset(name: string): TrainingPreset {
  const p = (PRESETS as Record<string, TrainingPreset | undefined>)[name];
  if (!p) throw new RangeError(`unknown training preset "${name}" (${Object.keys(PRESETS).join(", ")})`);
  return structuredClone(p);
}
