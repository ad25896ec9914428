import * as tf from "@tensorflow/tfjs-core";
import type { Batch } from "../env.js";
import type { Discriminator } from "./discriminator.js";
import { exportOptimizer, importOptimizer } from "../train/optimizer-state.js";
import type { NamedArray } from "../train/tensor-file.js";
import type { LabeledBatch, RewardModel } from "./reward.js";

/** Checkpoint key prefixes of the discriminator's weights and of its Adam state. */
const WEIGHTS = "discriminator/";
const OPTIMIZER = "discriminator_optimizer/";

/** The discriminator's losses (docs/method.md §9.2): the reference's default and its alternative. */
export const DISCRIMINATOR_LOSSES = ["logistic", "hinge"] as const;
export type DiscriminatorLoss = (typeof DISCRIMINATOR_LOSSES)[number];

export interface AdversarialRewardConfig {
  /** Adam learning rate of the discriminator. [N: 1e-4] */
  learningRate: number;
  /**
   * logistic: mean softplus(−l_real) + mean softplus(l_fake) [N default]; hinge: mean relu(1 − l_real) +
   * mean relu(1 + l_fake) [N option]: no gradient from logits already past the margin, so the discriminator stops
   * sharpening what it already separates.
   */
  loss: DiscriminatorLoss;
  /** Adam betas. [N: (0.5, 0.999)] */
  beta1: number;
  beta2: number;
}

/**
 * The adversarial reward (docs/method.md §9): a discriminator co-trained on real vs generated samples with the
 * logistic loss L_D = mean softplus(−l_real) + mean softplus(l_fake) (or the hinge loss, `config.loss`); reward =
 * sigmoid(mean logit) per sample whichever the loss.
 */
export class AdversarialReward implements RewardModel {
  readonly discriminator: Discriminator;
  readonly config: AdversarialRewardConfig;
  readonly optimizer: tf.AdamOptimizer;

  constructor(discriminator: Discriminator, config: Partial<AdversarialRewardConfig> = {}) {
    this.discriminator = discriminator;
    this.config = { learningRate: 1e-4, loss: "logistic", beta1: 0.5, beta2: 0.999, ...config };
    if (!(DISCRIMINATOR_LOSSES as readonly string[]).includes(this.config.loss))
      throw new RangeError(`discriminator loss "${String(this.config.loss)}" is not one of ${DISCRIMINATOR_LOSSES.join(", ")}`);
    this.optimizer = tf.train.adam(this.config.learningRate, this.config.beta1, this.config.beta2) as tf.AdamOptimizer;
  }

  private toTensor(samples: Batch): tf.Tensor {
    const expected = this.discriminator.sampleShape;
    const got = samples.shape.slice(1);
    if (got.join(",") !== expected.join(","))
      throw new RangeError(`discriminator expects samples [B,${expected}], got [${samples.shape}]`);
    return tf.tensor(samples.data, samples.shape);
  }

  async score(samples: Batch, labels: Int32Array): Promise<Float32Array> {
    return tf.tidy(() => {
      const logits = this.discriminator.apply(this.toTensor(samples), labels);
      return tf.sigmoid(tf.mean(logits, 1)).dataSync() as Float32Array;
    });
  }

  async update(real: LabeledBatch, fake: LabeledBatch): Promise<Record<string, number>> {
    return tf.tidy(() => {
      const realX = this.toTensor(real.samples);
      const fakeX = this.toTensor(fake.samples);
      let realMean!: tf.Scalar;
      let fakeMean!: tf.Scalar;
      const loss = this.optimizer.minimize(
        () => {
          // Real and fake go through separate calls, as in the reference (no mixed normalisation groups).
          const lr = this.discriminator.apply(realX, real.labels);
          const lf = this.discriminator.apply(fakeX, fake.labels);
          realMean = tf.keep(tf.mean(lr));
          fakeMean = tf.keep(tf.mean(lf));
          return discriminatorLoss(this.config.loss, lr, lf);
        },
        true,
        this.discriminator.params.variables,
      );
      const out = {
        discriminatorLoss: loss!.dataSync()[0],
        realLogit: realMean.dataSync()[0],
        fakeLogit: fakeMean.dataSync()[0],
      };
      tf.dispose([realMean, fakeMean]);
      return out;
    });
  }

  /** The discriminator's weights and Adam state, keyed `discriminator/…` and `discriminator_optimizer/…`. */
  async exportState(): Promise<Record<string, NamedArray>> {
    const out: Record<string, NamedArray> = {};
    for (const [k, v] of Object.entries(await this.discriminator.params.export())) out[WEIGHTS + k] = v;
    for (const [k, v] of Object.entries(await exportOptimizer(this.optimizer))) out[OPTIMIZER + k] = v;
    return out;
  }

  /** Releases the Adam moments (the discriminator is its owner's to dispose). */
  dispose(): void {
    this.optimizer.dispose();
  }

  async importState(tensors: Record<string, NamedArray>): Promise<void> {
    const scoped = (prefix: string) =>
      Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    this.discriminator.params.import(scoped(WEIGHTS));
    await importOptimizer(this.optimizer, scoped(OPTIMIZER));
  }
}

/**
 * L_D for real logits `lr` and fake logits `lf` (means over every logit of every image). No tidy of its own: it runs
 * inside the optimiser's gradient tape, and the caller's tidy frees the intermediates.
 */
export function discriminatorLoss(loss: DiscriminatorLoss, lr: tf.Tensor, lf: tf.Tensor): tf.Scalar {
  if (loss === "hinge") return tf.add(tf.mean(tf.relu(tf.sub(1, lr))), tf.mean(tf.relu(tf.add(1, lf)))) as tf.Scalar;
  return tf.add(tf.mean(tf.softplus(tf.neg(lr))), tf.mean(tf.softplus(lf))) as tf.Scalar;
}
