import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../random.js";
import { layerNorm, linear, oneHotRows } from "../nn/layers.js";
import { ParamStore } from "../nn/params.js";
import { ViTEncoder, type ViTEncoderConfig } from "../nn/vit.js";
import { readTensorFile, writeTensorFile, type NamedArray } from "../train/tensor-file.js";
import type { Discriminator } from "./discriminator.js";

export interface ProjectedHeadConfig {
  numClasses: number;
  /** Width of each head's hidden layer. */
  hidden: number;
  /** Width of the class-projection space (paper: 64). */
  cmapDim: number;
  seed: number;
  /**
   * Minibatch statistics (0: off): samples are split into groups of about this size, and each token's logit gains a
   * learned linear readout of how far its hidden features lie from their group's mean (`minibatchDeviation`). A
   * per-sample score cannot see a batch that lacks diversity; this one can (StyleGAN's minibatch-stddev idea, kept
   * per sample so each sample's reward is its own).
   */
  minibatchGroup: number;
}

export const DEFAULT_PROJECTED_HEAD: Omit<ProjectedHeadConfig, "numClasses"> = { hidden: 64, cmapDim: 32, seed: 0, minibatchGroup: 0 };

const BACKBONE_FORMAT = "adagen-vit-backbone";

/**
 * For hidden features `[B, N, H]`: each feature's distance from the mean of the same feature over the sample's group,
 * `[B, N, H]` (smoothed at 0: sqrt(d² + 1e-8)). Group of sample b: b mod K with K = ⌊B / size⌋ (at least 1), i.e.
 * strided, so consecutive samples (a rollout's explorations of one initial noise sit next to each other) fall into
 * different groups.
 */
export function minibatchDeviation(hidden: tf.Tensor3D, size: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, N, H] = hidden.shape;
    const K = Math.max(1, Math.floor(B / size));
    const onehot = new Float32Array(B * K);
    for (let b = 0; b < B; b++) onehot[b * K + (b % K)] = 1;
    const assign = tf.tensor2d(onehot, [B, K]);
    const counts = tf.sum(assign, 0, true); // [1,K]
    const flat = tf.reshape(hidden, [B, N * H]) as tf.Tensor2D;
    const groupMean = tf.div(tf.matMul(assign, flat, true, false), tf.transpose(counts)) as tf.Tensor2D; // [K, N·H]
    const centred = tf.sub(flat, tf.matMul(assign, groupMean));
    return tf.reshape(tf.sqrt(tf.add(tf.square(centred), 1e-8)), [B, N, H]) as tf.Tensor3D;
  });
}

/**
 * The paper's discriminator design (docs/method.md §9.1) at this scale: a **frozen, pretrained** ViT body and small
 * trainable heads, one per hook (the patch embedding and every block's output). Each head maps a token through
 * LayerNorm → Linear → LeakyReLU(0.2) → Linear to `cmapDim` channels; the token's logit is a plain linear readout
 * plus the projection onto a learned class embedding, `⟨out, cmap(c)⟩ / √cmapDim`. Logits of all hooks and tokens
 * are concatenated, so reward = sigmoid(mean logit) as in §9.3. Only the heads are in `params` (what the
 * discriminator optimiser updates and checkpoints save); the backbone comes from its own file. With a
 * `minibatchGroup`, each logit also reads the token's minibatch deviation.
 */
export class ProjectedDiscriminator implements Discriminator {
  readonly params: ParamStore;
  readonly sampleShape: number[];
  readonly numClasses: number;
  readonly head: ProjectedHeadConfig;
  readonly backbone: ViTEncoder;
  private readonly backboneParams: ParamStore;
  private readonly heads: Record<string, tf.Variable>[] = [];
  private readonly classEmbed: tf.Variable;
  /** Per hook, the readout `[hidden, 1]` of the minibatch deviation (zero at start: the plain design until trained). */
  private readonly minibatchWeights: tf.Variable[] = [];

  private constructor(backbone: ViTEncoder, backboneParams: ParamStore, head: ProjectedHeadConfig) {
    this.backbone = backbone;
    this.backboneParams = backboneParams;
    this.head = head;
    const { height, width, channels, dim, depth } = backbone.config;
    this.sampleShape = [height, width, channels];
    this.numClasses = head.numClasses;
    this.params = new ParamStore("discriminator");
    const rng = new Random(head.seed);
    const P = this.params;
    for (let i = 0; i <= depth; i++)
      this.heads.push({
        fc1W: P.weight(`head${i}/fc1/w`, dim, head.hidden, "xavier", rng),
        fc1B: P.zeros(`head${i}/fc1/b`, [head.hidden]),
        fc2W: P.weight(`head${i}/fc2/w`, head.hidden, head.cmapDim, "xavier", rng),
        fc2B: P.zeros(`head${i}/fc2/b`, [head.cmapDim]),
        outW: P.weight(`head${i}/out/w`, head.cmapDim, 1, "xavier", rng),
        outB: P.zeros(`head${i}/out/b`, [1]),
      });
    this.classEmbed = P.normal("class_embed", [head.numClasses, head.cmapDim], 1, rng);
    if (!(Number.isInteger(head.minibatchGroup) && head.minibatchGroup >= 0))
      throw new RangeError(`minibatchGroup must be a non-negative integer, got ${head.minibatchGroup}`);
    if (head.minibatchGroup > 0) for (let i = 0; i <= depth; i++) this.minibatchWeights.push(P.zeros(`head${i}/minibatch/w`, [head.hidden, 1]));
  }

  /** Heads on a frozen backbone read from a file written by `saveViTBackbone`. */
  static async load(backboneFile: string, head: Partial<ProjectedHeadConfig> & Pick<ProjectedHeadConfig, "numClasses">): Promise<ProjectedDiscriminator> {
    const { encoder, params } = await loadViTBackbone(backboneFile);
    return new ProjectedDiscriminator(encoder, params, { ...DEFAULT_PROJECTED_HEAD, ...head });
  }

  apply(samples: tf.Tensor, labels: Int32Array): tf.Tensor2D {
    const B = samples.shape[0];
    // The backbone is frozen: the optimiser updates `params` (the heads) only, and tfjs differentiates only along
    // paths from those variables to the loss, so no gradient is computed through the backbone.
    const hooks = this.backbone.hiddenStates(samples);
    const cmap = tf.expandDims(tf.matMul(oneHotRows(labels, this.numClasses), this.classEmbed as tf.Tensor2D), 1); // [B,1,cmap]
    const scale = 1 / Math.sqrt(this.head.cmapDim);
    const logits = hooks.map((h, i) => {
      const p = this.heads[i];
      const hidden = tf.leakyRelu(linear(layerNorm(h), p.fc1W, p.fc1B), 0.2) as tf.Tensor3D; // [B,N,hidden]
      const out = linear(hidden, p.fc2W, p.fc2B); // [B,N,cmap]
      const readout = tf.reshape(linear(out, p.outW, p.outB), [B, -1]);
      const logit = tf.add(readout, tf.mul(tf.sum(tf.mul(out, cmap), 2), scale));
      if (!this.minibatchWeights.length) return logit;
      const deviation = minibatchDeviation(hidden, this.head.minibatchGroup); // [B,N,hidden]
      return tf.add(logit, tf.reshape(tf.matMul(tf.reshape(deviation, [-1, this.head.hidden]), this.minibatchWeights[i] as tf.Tensor2D), [B, -1]));
    });
    return tf.concat(logits, 1) as tf.Tensor2D;
  }

  dispose(): void {
    this.params.dispose();
    this.backboneParams.dispose();
  }
}

/** A ViT body written by `saveViTBackbone`: the encoder and its parameters (dispose `params` after use). */
export async function loadViTBackbone(backboneFile: string): Promise<{ encoder: ViTEncoder; params: ParamStore }> {
  const { meta, tensors } = await readTensorFile(backboneFile);
  if (meta.format !== BACKBONE_FORMAT) throw new Error(`${backboneFile} is not a ViT backbone file (format ${String(meta.format)})`);
  const params = new ParamStore("backbone");
  const encoder = new ViTEncoder(meta.config as ViTEncoderConfig, params);
  try {
    params.import(tensors);
  } catch (err) {
    params.dispose();
    throw new Error(`${backboneFile}: ${(err as Error).message}`);
  }
  return { encoder, params };
}

/** Writes a ViT body (its config and weights) for `ProjectedDiscriminator.load`. */
export async function saveViTBackbone(file: string, encoder: ViTEncoder, params: ParamStore, info: Record<string, unknown> = {}): Promise<void> {
  const tensors: Record<string, NamedArray> = await params.export();
  await writeTensorFile(file, { meta: { format: BACKBONE_FORMAT, version: 1, config: encoder.config, ...info }, tensors });
}
