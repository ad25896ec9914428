import type { Batch } from "../env.js";
import type { Random } from "../random.js";
import type { NamedArray } from "../train/tensor-file.js";

/**
 * A terminal reward: one score per finished sample (docs/method.md §3, §9.3). Fixed rewards (a function, an ONNX
 * model) implement `score` only; learned rewards such as the adversarial one also take `update` steps.
 */
export interface RewardModel {
  /** Scores of samples `[B, …]` with their condition labels; higher is better. */
  score(samples: Batch, labels: Int32Array): Promise<Float32Array>;
  /** One training step on real vs generated samples (learned rewards only). Returns its loss figures. */
  update?(real: LabeledBatch, fake: LabeledBatch): Promise<Record<string, number>>;
  /**
   * A learned reward's state as named arrays (weights, optimiser), for a checkpoint; keys carry the reward's own
   * prefixes so they sit beside the trainer's.
   */
  exportState?(): Promise<Record<string, NamedArray>>;
  /** Restores what `exportState` wrote; `tensors` is the whole checkpoint (the reward picks its own keys). */
  importState?(tensors: Record<string, NamedArray>): Promise<void>;
  /** Releases what the reward holds (an optimiser's state, an ONNX session, weights); not a learned reward's model. */
  dispose?(): void | Promise<void>;
}

export interface LabeledBatch {
  samples: Batch;
  labels: Int32Array;
}

/** Where real samples come from (training images, exact samples of a testbed). */
export interface RealDataSource {
  sample(count: number, rng: Random): Promise<LabeledBatch> | LabeledBatch;
}

/** A fixed reward given by a plain function of each sample (and its label). */
export class FunctionReward implements RewardModel {
  constructor(private readonly fn: (sample: Float32Array, label: number) => number) {}

  async score(samples: Batch, labels: Int32Array): Promise<Float32Array> {
    const B = samples.shape[0];
    const size = samples.data.length / B;
    const out = new Float32Array(B);
    for (let b = 0; b < B; b++) out[b] = this.fn(samples.data.subarray(b * size, (b + 1) * size), labels[b]);
    return out;
  }
}
