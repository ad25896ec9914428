import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../random.js";
import { linear, oneHotRows } from "../nn/layers.js";
import { ParamStore } from "../nn/params.js";
import type { Discriminator } from "./discriminator.js";

export interface MLPDiscriminatorConfig {
  /** Length d of a sample vector. */
  inputDim: number;
  numClasses: number;
  hidden: number[];
  seed: number;
}

/**
 * Discriminator for vector data: an MLP with LeakyReLU(0.2) and projection conditioning
 * (logit = w·h + b + <E[c], h>/sqrt(H), the conditioning style of the paper's projected discriminator, §9.1).
 */
export class MLPDiscriminator implements Discriminator {
  readonly params: ParamStore;
  readonly sampleShape: number[];
  readonly numClasses: number;
  private readonly layers: { w: tf.Variable; b: tf.Variable }[] = [];
  private readonly outW: tf.Variable;
  private readonly outB: tf.Variable;
  private readonly classEmbed: tf.Variable;

  constructor(config: Partial<MLPDiscriminatorConfig> & Pick<MLPDiscriminatorConfig, "inputDim" | "numClasses">) {
    const { inputDim, numClasses, hidden = [128, 128], seed = 0 } = config;
    this.sampleShape = [inputDim];
    this.numClasses = numClasses;
    this.params = new ParamStore("discriminator");
    const rng = new Random(seed);
    let width = inputDim;
    hidden.forEach((h, i) => {
      this.layers.push({
        w: this.params.weight(`fc${i}/w`, width, h, "xavier", rng),
        b: this.params.zeros(`fc${i}/b`, [h]),
      });
      width = h;
    });
    this.outW = this.params.weight("out/w", width, 1, "xavier", rng);
    this.outB = this.params.zeros("out/b", [1]);
    this.classEmbed = this.params.normal("class_embed", [numClasses, width], 1 / Math.sqrt(width), rng);
  }

  apply(samples: tf.Tensor, labels: Int32Array): tf.Tensor2D {
    const B = samples.shape[0];
    let h: tf.Tensor = tf.reshape(samples, [B, this.sampleShape[0]]);
    for (const { w, b } of this.layers) h = tf.leakyRelu(linear(h, w, b), 0.2);
    const width = h.shape[1] as number;
    const embed = tf.matMul(oneHotRows(labels, this.numClasses), this.classEmbed as tf.Tensor2D);
    const projection = tf.div(tf.sum(tf.mul(embed, h), 1, true), Math.sqrt(width));
    return tf.add(linear(h, this.outW, this.outB), projection) as tf.Tensor2D;
  }
}
