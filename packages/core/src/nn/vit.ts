import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../random.js";
import { gelu, layerNorm, linear } from "./layers.js";
import { ParamStore } from "./params.js";

export interface ViTEncoderConfig {
  /** Image size H×W×C (NHWC, values in [0, 1]). */
  height: number;
  width: number;
  channels: number;
  /** Patch size p; H and W must be multiples of p. */
  patch: number;
  dim: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  seed: number;
}

export const DEFAULT_VIT: Pick<ViTEncoderConfig, "patch" | "dim" | "depth" | "heads" | "mlpRatio" | "seed"> = {
  patch: 4,
  dim: 64,
  depth: 2,
  heads: 4,
  mlpRatio: 2,
  seed: 0,
};

/**
 * A small pre-LN vision transformer body that trains on the wasm backend: patchify by reshape/transpose (conv2d has
 * no wasm gradient), linear patch embedding + learned positions, attention + MLP blocks. `hiddenStates` gives the
 * token features after the embedding and after every block, the hooks a projected discriminator reads
 * (docs/method.md §9.1). Its variables live in the ParamStore it is given (names `patch/w`, `block0/qkv/w`, …).
 */
export class ViTEncoder {
  readonly config: ViTEncoderConfig;
  readonly tokens: number;
  private readonly v: Record<string, tf.Variable> = {};
  private readonly blocks: Record<string, tf.Variable>[] = [];

  constructor(config: Partial<ViTEncoderConfig> & Pick<ViTEncoderConfig, "height" | "width" | "channels">, params: ParamStore) {
    const full: ViTEncoderConfig = { ...DEFAULT_VIT, ...config };
    const { height, width, channels, patch, dim, depth, mlpRatio } = full;
    if (height % patch || width % patch) throw new RangeError(`image ${height}x${width} is not a multiple of the patch size ${patch}`);
    if (dim % full.heads) throw new RangeError(`dim ${dim} is not divisible by ${full.heads} heads`);
    this.config = full;
    this.tokens = (height / patch) * (width / patch);
    const rng = new Random(full.seed);
    const P = params;
    this.v.embedW = P.weight("patch/w", patch * patch * channels, dim, "xavier", rng);
    this.v.embedB = P.zeros("patch/b", [dim]);
    this.v.pos = P.normal("pos", [this.tokens, dim], 0.02, rng);
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

  /** Token features `[B, tokens, dim]` after the embedding and after each block (depth + 1). Call inside tf.tidy. */
  hiddenStates(images: tf.Tensor): tf.Tensor3D[] {
    const { height, width, channels } = this.config;
    const B = images.shape[0];
    const x0 = tf.reshape(images, [B, height, width, channels]);
    // [0,1] pixels → [-1,1] inputs.
    let x: tf.Tensor = tf.add(linear(this.patchify(tf.sub(tf.mul(x0, 2), 1)), this.v.embedW, this.v.embedB), this.v.pos);
    const states = [x as tf.Tensor3D];
    for (const blk of this.blocks) {
      x = tf.add(x, this.attention(layerNorm(x), blk));
      x = tf.add(x, linear(gelu(linear(layerNorm(x), blk.fc1W, blk.fc1B)), blk.fc2W, blk.fc2B));
      states.push(x as tf.Tensor3D);
    }
    return states;
  }
}
