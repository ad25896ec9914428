import * as tf from "@tensorflow/tfjs-core";
import { ParamStore } from "../nn/params.js";

/**
 * A class-conditional discriminator: samples + labels → per-token logits `[B, L]` (L = 1 for an MLP,
 * one per patch for a ViT). The reward is sigmoid(mean of the logits) (docs/method.md §9.3).
 */
export interface Discriminator {
  readonly params: ParamStore;
  /** Expected shape of one sample, e.g. [d] or [H, W, C]. */
  readonly sampleShape: number[];
  readonly numClasses: number;
  /** Logits `[B, L]`. Call inside tf.tidy. */
  apply(samples: tf.Tensor, labels: Int32Array): tf.Tensor2D;
}
