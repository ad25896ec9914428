import type { Batch } from "../env.js";
import { OnnxModel } from "../runtime/onnx.js";
import type { RewardModel } from "./reward.js";

/** Images per classifier call. */
const CHUNK = 256;

export interface ClassifierRewardOptions {
  /** One rendered image's shape [H, W, C] (the classifier's input is [B, H, W, C] in [0, 1]). */
  imageShape: readonly [number, number, number];
  numClasses: number;
  /** Tensor names (default x, logits). */
  input?: string;
  output?: string;
}

/**
 * A pretrained per-sample reward (docs/method.md §12.3, and the "pretrained" reward ablation): an ONNX image
 * classifier's softmax probability of each sample's conditioning class. Fixed: it has no `update`, so the trainer
 * runs no discriminator beside it. The zoo's is `fmnist-fidelity.onnx` (tooling/zoo/fidelity_classifier.py), trained
 * on the training images only and separate from the FID extractor.
 */
export class ClassifierReward implements RewardModel {
  private constructor(
    private readonly model: OnnxModel,
    private readonly options: Required<ClassifierRewardOptions>,
  ) {}

  static async load(file: string, options: ClassifierRewardOptions): Promise<ClassifierReward> {
    const o = { input: "x", output: "logits", ...options };
    const [H, W, C] = o.imageShape;
    const model = await OnnxModel.load(file, {
      inputs: { [o.input]: { dtype: "float32", shape: ["B", H, W, C] } },
      outputs: { [o.output]: { dtype: "float32", shape: ["B", o.numClasses] } },
    });
    return new ClassifierReward(model, o);
  }

  async score(samples: Batch, labels: Int32Array): Promise<Float32Array> {
    const { imageShape, numClasses: K, input, output } = this.options;
    const B = samples.shape[0];
    if (samples.shape.slice(1).join(",") !== imageShape.join(","))
      throw new RangeError(`the classifier reward expects images [B,${imageShape}], got [${samples.shape}]`);
    if (labels.length !== B) throw new RangeError(`${labels.length} labels for ${B} samples`);
    const size = samples.data.length / B;
    const out = new Float32Array(B);
    for (let start = 0; start < B; start += CHUNK) {
      const n = Math.min(CHUNK, B - start);
      const result = await this.model.run({ [input]: { data: samples.data.subarray(start * size, (start + n) * size), shape: [n, ...imageShape] } });
      const logits = result[output].data as Float32Array;
      for (let b = 0; b < n; b++) {
        const label = labels[start + b];
        if (!(label >= 0 && label < K)) throw new RangeError(`label ${label} is not a class of the classifier (0..${K - 1})`);
        const row = logits.subarray(b * K, (b + 1) * K);
        let max = -Infinity;
        for (const v of row) max = Math.max(max, v);
        let sum = 0;
        for (const v of row) sum += Math.exp(v - max);
        out[start + b] = Math.exp(row[label] - max) / sum;
      }
    }
    return out;
  }

  dispose(): Promise<void> {
    return this.model.dispose();
  }
}
