import type { Batch } from "../env.js";
import { OnnxModel } from "../runtime/onnx.js";
import { pooledFeatures } from "./feature-fid-reward.js";
import { loadViTBackbone } from "./projected-discriminator.js";

/** Images per ONNX call. */
const CHUNK = 256;

/** A frozen image embedding, for rewards that compare feature statistics. */
export interface FeatureSpace {
  /** The spec it was opened from (a file, or `FILE.onnx#OUTPUT`). */
  readonly file: string;
  readonly dims: number;
  /** One `dims`-vector per image of `[B, H, W, C]` floats in [0, 1]. */
  features(samples: Batch): Promise<{ data: Float32Array; rows: number; dims: number }>;
  dispose(): void | Promise<void>;
}

/**
 * The file of a feature space's spec: `FILE` or, for an ONNX model, `FILE#OUTPUT` (the output to read, default
 * `features`).
 */
export function featureSpaceFile(spec: string): { file: string; output: string } {
  const hash = spec.lastIndexOf("#");
  if (hash > 0 && spec.slice(0, hash).endsWith(".onnx")) return { file: spec.slice(0, hash), output: spec.slice(hash + 1) };
  return { file: spec, output: "features" };
}

/**
 * A feature space from a spec: a ViT backbone file (`.adagen`, the token mean of its last hidden state, as the
 * discriminators' bodies) or an ONNX image model with input `x` `[B, H, W, C]` in [0, 1] and a `[B, D]` output,
 * `features` unless the spec names another as `FILE.onnx#OUTPUT` (the zoo's fidelity classifier has `features`, its
 * last hidden layer, and `logits`, its ten class scores). Never the FID extractor: the metric must stay independent
 * of what is trained.
 */
export async function openFeatureSpace(spec: string, imageShape: readonly [number, number, number]): Promise<FeatureSpace> {
  const { file, output } = featureSpaceFile(spec);
  if (file.endsWith(".onnx")) {
    if (!output) throw new RangeError(`${spec}: name the ONNX output after "#" (for example ${file}#features)`);
    const model = await OnnxModel.load(file, {
      inputs: { x: { dtype: "float32", shape: ["B", ...imageShape] } },
      outputs: { [output]: { dtype: "float32", shape: ["B", "D"] } },
    });
    let dims = 0;
    const features = async (samples: Batch) => {
      const B = samples.shape[0];
      if (samples.shape.slice(1).join(",") !== imageShape.join(",")) throw new RangeError(`${file} expects images [B,${imageShape}], got [${samples.shape}]`);
      const size = samples.data.length / B;
      let data = new Float32Array(0);
      for (let start = 0; start < B; start += CHUNK) {
        const n = Math.min(CHUNK, B - start);
        const out = (await model.run({ x: { data: samples.data.subarray(start * size, (start + n) * size), shape: [n, ...imageShape] } }))[output];
        dims = out.shape[1];
        if (data.length === 0) data = new Float32Array(B * dims);
        data.set(out.data as Float32Array, start * dims);
      }
      return { data, rows: B, dims };
    };
    // One blank image fixes the dimension before any statistics are gathered.
    await features({ data: new Float32Array(imageShape[0] * imageShape[1] * imageShape[2]), shape: [1, ...imageShape] });
    return { file: spec, dims, features, dispose: () => model.dispose() };
  }
  const { encoder, params } = await loadViTBackbone(file);
  return { file, dims: encoder.config.dim, features: async (samples) => pooledFeatures(encoder, samples), dispose: () => params.dispose() };
}
