/**
 * Every PPO hyperparameter, declared once with its default and where the default comes from
 * ([P] paper, [N] AdaNAT training code; docs/method.md §8-10).
 */
export interface PPOConfig {
  /** Clip range eps of the surrogate ratio. [P Table XIII, N] */
  clip: number;
  /** Weight c_v of the value loss. [P Table XIII, N] */
  valueCoef: number;
  /** Exploration std sigma_x of the Gaussian on raw outputs (pre-heuristic, pre-activation). [P App. B, N] */
  explorationStd: number;
  /** Iterations after which the std drops by `stdDecayAmount` (0-based; decay applies after that iteration). [N] */
  stdDecayAt: number[];
  stdDecayAmount: number;
  /** Lower bound of the decayed std. [N] */
  stdFloor: number;
  /** Gradient steps per iteration over the rollout buffer. [P, N: 5] */
  epochs: number;
  /** Minibatches per epoch; 1 = full-batch steps as in the reference code. [N] */
  minibatches: number;
  /** Adam learning rate of policy + critic. [N: 1e-5 at ImageNet scale] */
  learningRate: number;
  /** Global-norm gradient clipping; 0 disables it (the reference code has none). [N] */
  maxGradNorm: number;
}

export const DEFAULT_PPO_CONFIG: Readonly<PPOConfig> = Object.freeze({
  clip: 0.2,
  valueCoef: 0.5,
  explorationStd: 0.6,
  stdDecayAt: [500],
  stdDecayAmount: 0.3,
  stdFloor: 0.1,
  epochs: 5,
  minibatches: 1,
  learningRate: 1e-5,
  maxGradNorm: 0,
});

/** Exploration std used by the rollouts of iteration `iteration` (0-based), with the reference code's decay. */
export function explorationStdAt(config: PPOConfig, iteration: number): number {
  const decays = config.stdDecayAt.filter((at) => iteration > at).length;
  return Math.max(config.explorationStd - config.stdDecayAmount * decays, config.stdFloor);
}

export function resolvePPOConfig(overrides: Partial<PPOConfig> = {}): PPOConfig {
  const config = { ...DEFAULT_PPO_CONFIG, ...overrides, stdDecayAt: [...(overrides.stdDecayAt ?? DEFAULT_PPO_CONFIG.stdDecayAt)] };
  const positive: (keyof PPOConfig)[] = ["clip", "explorationStd", "learningRate", "epochs", "minibatches"];
  for (const key of positive) {
    const v = config[key] as number;
    if (!(v > 0)) throw new RangeError(`PPO ${key} must be > 0, got ${v}`);
  }
  if (!(config.valueCoef >= 0)) throw new RangeError(`PPO valueCoef must be >= 0, got ${config.valueCoef}`);
  if (!(config.maxGradNorm >= 0)) throw new RangeError(`PPO maxGradNorm must be >= 0, got ${config.maxGradNorm}`);
  return config;
}
