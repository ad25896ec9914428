import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../random.js";
import { layerNorm, linear, oneHotRows } from "../nn/layers.js";
import { ParamStore } from "../nn/params.js";
import { ViTEncoder, type ViTEncoderConfig } from "../nn/vit.js";
import type { Discriminator } from "./discriminator.js";

export interface ViTDiscriminatorConfig extends ViTEncoderConfig {
  numClasses: number;
}

/**
 * A small ViT discriminator trained from scratch: a ViTEncoder, a final LayerNorm, then one projection-conditioned
 * logit per patch. For a frozen pretrained body with trainable heads (the paper's design), see ProjectedDiscriminator.
 */
export class ViTDiscriminator implements Discriminator {
  readonly params: ParamStore;
  readonly sampleShape: number[];
  readonly numClasses: number;
  readonly config: ViTDiscriminatorConfig;
  private readonly encoder: ViTEncoder;
  private readonly v: Record<string, tf.Variable> = {};

  constructor(config: Partial<ViTDiscriminatorConfig> & Pick<ViTDiscriminatorConfig, "height" | "width" | "channels" | "numClasses">) {
    this.params = new ParamStore("discriminator");
    this.encoder = new ViTEncoder(config, this.params);
    this.config = { ...this.encoder.config, numClasses: config.numClasses };
    const { height, width, channels, dim, numClasses, seed } = this.config;
    this.sampleShape = [height, width, channels];
    this.numClasses = numClasses;
    // Drawn after the encoder's, from their own stream, so the encoder's initial weights do not depend on the head.
    const rng = new Random(seed + 0x5eed);
    this.v.outW = this.params.weight("out/w", dim, 1, "xavier", rng);
    this.v.outB = this.params.zeros("out/b", [1]);
    this.v.classEmbed = this.params.normal("class_embed", [numClasses, dim], 1 / Math.sqrt(dim), rng);
  }

  apply(samples: tf.Tensor, labels: Int32Array): tf.Tensor2D {
    const B = samples.shape[0];
    const x = layerNorm(this.encoder.hiddenStates(samples).at(-1)!);
    const N = x.shape[1] as number;
    const tokenLogits = tf.reshape(linear(x, this.v.outW, this.v.outB), [B, N]);
    const embed = tf.matMul(oneHotRows(labels, this.numClasses), this.v.classEmbed as tf.Tensor2D); // [B, dim]
    const projection = tf.div(tf.sum(tf.mul(x, tf.expandDims(embed, 1)), 2), Math.sqrt(this.config.dim));
    return tf.add(tokenLogits, projection) as tf.Tensor2D;
  }
}
