import type { ActionSpec } from "../actions/spec.js";
import type { Batch, ExecutedActions, GenerationEnv, Observation } from "../env.js";
import { Random } from "../random.js";

/**
 * A tiny contextual task used by the core tests (not part of the public API): each trajectory has a hidden
 * context visible through its features; at every decision the best action is a known function of the context.
 * render() returns [executed actions | targets], so a FunctionReward can score −mean((a − target)²).
 */
export class ToyTargetEnv implements GenerationEnv {
  readonly horizon: number;
  readonly featureShape: readonly [number, number] = [4, 6];
  readonly numClasses = 2;
  readonly stochastic = false;
  readonly actionSpec: ActionSpec;
  private context = new Float32Array(0);
  private labels = new Int32Array(0);
  private taken: Float32Array[] = [];
  private k = 0;

  constructor(horizon = 3, smoothing = 0) {
    this.horizon = horizon;
    this.actionSpec = {
      keys: [{ name: "value", activation: "sigmoid" }],
      heuristic: Array.from({ length: horizon }, () => [0.5]),
      smoothing,
    };
  }

  async reset(conditions: Int32Array, seed: number): Promise<void> {
    const rng = new Random(seed);
    this.labels = conditions.slice();
    this.context = new Float32Array(conditions.length).map(() => rng.normal());
    this.taken = [];
    this.k = 0;
  }

  /** The best action of sample b at decision k. */
  target(b: number, k: number): number {
    return 1 / (1 + Math.exp(-(1.5 * this.context[b] + (this.labels[b] === 1 ? 0.5 : -0.5) + 0.3 * k)));
  }

  async observe(): Promise<Observation> {
    const [N, D] = this.featureShape;
    const B = this.labels.length;
    const data = new Float32Array(B * N * D);
    for (let b = 0; b < B; b++)
      for (let n = 0; n < N; n++)
        for (let d = 0; d < D; d++)
          data[(b * N + n) * D + d] = d === 0 ? this.context[b] : d === 1 ? this.labels[b] : Math.sin(n + d + this.k);
    return { features: { data, shape: [B, N, D] }, step: this.k };
  }

  async step(actions: ExecutedActions): Promise<void> {
    this.taken.push(actions.value.slice());
    this.k++;
  }

  async render(): Promise<Batch> {
    const B = this.labels.length;
    const H = this.horizon;
    const data = new Float32Array(B * 2 * H);
    for (let b = 0; b < B; b++)
      for (let k = 0; k < H; k++) {
        data[b * 2 * H + k] = this.taken[k][b];
        data[b * 2 * H + H + k] = this.target(b, k);
      }
    return { data, shape: [B, 2 * H] };
  }
}

/** Reward of ToyTargetEnv samples: −mean squared distance of the actions to the targets. */
export function toyReward(sample: Float32Array): number {
  const H = sample.length / 2;
  let s = 0;
  for (let k = 0; k < H; k++) s += (sample[k] - sample[H + k]) ** 2;
  return -s / H;
}
