import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../random.js";
import { gelu, layerNorm, linear, oneHotRows } from "../nn/layers.js";
import { ParamStore } from "../nn/params.js";
import type { Discriminator } from "./discriminator.js";

export interface ViTDiscriminatorConfig {
  /** Image size H×W×C of the samples (NHWC, values in [0, 1]). */
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  /** Patch size p; H and W must be multiples of p. */
  patch: number;
  dim: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  seed: number;
}

/**
 * A small ViT discriminator: patchify (reshape/transpose, no conv: conv2d has no gradient on wasm), linear patch
 * embedding + learned positions, pre-LN transformer blocks, then one projection-conditioned logit per patch —
 * a trainable stand-in for the paper's frozen-DINO projected discriminator (METHOD.md §9.1).
 */
export class ViTDiscriminator implements Discriminator {
  readonly params: ParamStore;
  readonly sampleShape: number[];
  readonly numClasses: number;
  readonly config: ViTDiscriminatorConfig;
  private readonly v: Record<string, tf.Variable> = {};
  private readonly blocks: Record<string, tf.Variable>[] = [];

  constructor(config: Partial<ViTDiscriminatorConfig> & Pick<ViTDiscriminatorConfig, "height" | "width" | "channels" | "numClasses">) {
    const full: ViTDiscriminatorConfig = { patch: 4, dim: 64, depth: 2, heads: 4, mlpRatio: 2, seed: 0, ...config };
    const { height, width, channels, patch, dim, depth, mlpRatio, numClasses } = full;
    if (height % patch || width % patch)
      throw new RangeError(`image ${height}x${width} is not a multiple of the patch size ${patch}`);
    if (dim % full.heads) throw new RangeError(`dim ${dim} is not divisible by ${full.heads} heads`);
    this.config = full;
    this.sampleShape = [height, width, channels];
    this.numClasses = numClasses;
    this.params = new ParamStore("discriminator");
    const rng = new Random(full.seed);
    const P = this.params;
    const tokens = (height / patch) * (width / patch);
    const patchDim = patch * patch * channels;
    this.v.embedW = P.weight("patch/w", patchDim, dim, "xavier", rng);
    this.v.embedB = P.zeros("patch/b", [dim]);
    this.v.pos = P.normal("pos", [tokens, dim], 0.02, rng);
    for (let i = 0; i < depth; i++) {
      this.blocks.push({
        qkvW: P.weight(`block${i}/qkv/w`, dim, 3 * dim, "xavier", rng),
        qkvB: P.zeros(`block${i}/qkv/b`, [3 * dim]),
        projW: P.weight(`block${i}/proj/w`, dim, dim, "xavier", rng),
        projB: P.zeros(`block${i}/proj/b`, [dim]),
        fc1W: P.weight(`block${i}/fc1/w`, dim, dim * mlpRatio, "xavier", rng),
        fc1B: P.zeros(`block${i}/fc1/b`, [dim * mlpRatio]),
        fc2W: P.weight(`block${i}/fc2/w`, dim * mlpRatio, dim, "xavier", rng),
        fc2B: P.zeros(`block${i}/fc2/b`, [dim]),
      });
    }
    this.v.outW = P.weight("out/w", dim, 1, "xavier", rng);
    this.v.outB = P.zeros("out/b", [1]);
    this.v.classEmbed = P.normal("class_embed", [numClasses, dim], 1 / Math.sqrt(dim), rng);
  }

  /** [B,H,W,C] → [B, tokens, p·p·C], row-major over the patch grid. */
  private patchify(x: tf.Tensor): tf.Tensor3D {
    const { height: H, width: W, channels: C, patch: p } = this.config;
    const B = x.shape[0];
    const grid = tf.reshape(x, [B, H / p, p, W / p, p, C]);
    return tf.reshape(tf.transpose(grid, [0, 1, 3, 2, 4, 5]), [B, (H / p) * (W / p), p * p * C]) as tf.Tensor3D;
  }

  private attention(x: tf.Tensor, blk: Record<string, tf.Variable>): tf.Tensor {
    const [B, N, dim] = x.shape as number[];
    const heads = this.config.heads;
    const dh = dim / heads;
    const qkv = tf.transpose(tf.reshape(linear(x, blk.qkvW, blk.qkvB), [B, N, 3, heads, dh]), [2, 0, 3, 1, 4]);
    const [q, k, v] = tf.split(qkv, 3, 0).map((t) => tf.reshape(t, [B * heads, N, dh]) as tf.Tensor3D);
    const weights = tf.softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)));
    const out = tf.transpose(tf.reshape(tf.matMul(weights, v), [B, heads, N, dh]), [0, 2, 1, 3]);
    return linear(tf.reshape(out, [B, N, dim]), blk.projW, blk.projB);
  }

  apply(samples: tf.Tensor, labels: Int32Array): tf.Tensor2D {
    const { height, width, channels, dim } = this.config;
    const B = samples.shape[0];
    const images = tf.reshape(samples, [B, height, width, channels]);
    // [0,1] pixels → [-1,1] inputs.
    let x: tf.Tensor = tf.add(linear(this.patchify(tf.sub(tf.mul(images, 2), 1)), this.v.embedW, this.v.embedB), this.v.pos);
    for (const blk of this.blocks) {
      x = tf.add(x, this.attention(layerNorm(x), blk));
      x = tf.add(x, linear(gelu(linear(layerNorm(x), blk.fc1W, blk.fc1B)), blk.fc2W, blk.fc2B));
    }
    x = layerNorm(x);
    const N = x.shape[1] as number;
    const tokenLogits = tf.reshape(linear(x, this.v.outW, this.v.outB), [B, N]);
    const embed = tf.matMul(oneHotRows(labels, this.numClasses), this.v.classEmbed as tf.Tensor2D); // [B, dim]
    const projection = tf.div(tf.sum(tf.mul(x, tf.expandDims(embed, 1)), 2), Math.sqrt(dim));
    return tf.add(tokenLogits, projection) as tf.Tensor2D;
  }
}
