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
}

export const DEFAULT_PROJECTED_HEAD: Omit<ProjectedHeadConfig, "numClasses"> = { hidden: 64, cmapDim: 32, seed: 0 };

const BACKBONE_FORMAT = "adagen-vit-backbone";

/**
 * The paper's discriminator design (docs/method.md §9.1) at this scale: a **frozen, pretrained** ViT body and small
 * trainable heads, one per hook (the patch embedding and every block's output). Each head maps a token through
 * LayerNorm → Linear → LeakyReLU(0.2) → Linear to `cmapDim` channels; the token's logit is a plain linear readout
 * plus the projection onto a learned class embedding, `⟨out, cmap(c)⟩ / √cmapDim`. Logits of all hooks and tokens
 * are concatenated, so reward = sigmoid(mean logit) as in §9.3. Only the heads are in `params` (what the
 * discriminator optimiser updates and checkpoints save); the backbone comes from its own file.
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
  }

  /** Heads on a frozen backbone read from a file written by `saveViTBackbone`. */
  static async load(backboneFile: string, head: Partial<ProjectedHeadConfig> & Pick<ProjectedHeadConfig, "numClasses">): Promise<ProjectedDiscriminator> {
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
      const out = linear(tf.leakyRelu(linear(layerNorm(h), p.fc1W, p.fc1B), 0.2), p.fc2W, p.fc2B); // [B,N,cmap]
      const readout = tf.reshape(linear(out, p.outW, p.outB), [B, -1]);
      return tf.add(readout, tf.mul(tf.sum(tf.mul(out, cmap), 2), scale));
    });
    return tf.concat(logits, 1) as tf.Tensor2D;
  }

  dispose(): void {
    this.params.dispose();
    this.backboneParams.dispose();
  }
}

/** Writes a ViT body (its config and weights) for `ProjectedDiscriminator.load`. */
export async function saveViTBackbone(file: string, encoder: ViTEncoder, params: ParamStore, info: Record<string, unknown> = {}): Promise<void> {
  const tensors: Record<string, NamedArray> = await params.export();
  await writeTensorFile(file, { meta: { format: BACKBONE_FORMAT, version: 1, config: encoder.config, ...info }, tensors });
}
