/**
 * Feature extraction with any ONNX image model (onnxruntime-node, CPU).
 *
 * The extractor contract, declared in a JSON file beside the model (`model.onnx.json`) or passed in code:
 * - input: float32 images, `layout` NCHW (default) or NHWC, `channels` 1 or 3, of size `inputSize`
 *   ([height, width]; `null` = any size, the model resizes inside its graph); pixels in [0, 1] (uint8 / 255, or
 *   float images as they are) are mapped x ↦ (x − mean[c]) / std[c] (default mean 0, std 1);
 * - outputs: `featuresOutput` (B × d, the FID/KID/PR features) and optionally `logitsOutput` (B × classes,
 *   for the Inception Score). Defaults: the model's first input; the output named "features" (else the first
 *   output) and, unless a spec is passed in code, the output named "logits" if there is one.
 *
 * Grayscale images are repeated to 3 channels for a 3-channel model; RGB images are refused by a 1-channel
 * model. Images of another size than `inputSize` are refused (resize them first, or put the resize in the graph,
 * as the Inception-v3 export in tooling/metrics does).
 */
import { existsSync, readFileSync } from "node:fs";
import { MetricsInputError } from "./errors.js";
import type { ImageBatch } from "./images.js";

export interface ExtractorSpec {
  /** Input image size [height, width]; null accepts any size. */
  inputSize: [number, number] | null;
  channels: 1 | 3;
  layout?: "NCHW" | "NHWC";
  /** Per-channel mean and std applied to pixels in [0, 1] (length 1 or `channels`). */
  mean?: number[];
  std?: number[];
  inputName?: string;
  featuresOutput?: string;
  logitsOutput?: string;
}

/** Features (and logits, when the model declares them) of a batch of images. */
export interface ExtractedBatch {
  rows: number;
  features: Float32Array;
  featureDims: number;
  logits?: Float32Array;
  logitDims?: number;
}

export interface ExtractProgress {
  done: number;
  total: number;
}

/** Read the JSON contract that sits beside an ONNX model (`<model>.json`), if there is one. */
export function readExtractorSpec(modelPath: string): ExtractorSpec | undefined {
  const path = `${modelPath}.json`;
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new MetricsInputError(`extractor contract is not valid JSON (${(err as Error).message})`, path);
  }
  const s = raw as ExtractorSpec;
  const okSize = s.inputSize === null || (Array.isArray(s.inputSize) && s.inputSize.length === 2 && s.inputSize.every((v) => Number.isInteger(v) && v > 0));
  if (!okSize || (s.channels !== 1 && s.channels !== 3)) {
    throw new MetricsInputError(`extractor contract needs "inputSize": [h, w] or null and "channels": 1 or 3`, path);
  }
  return s;
}

type Ort = typeof import("onnxruntime-node");
type Session = Awaited<ReturnType<Ort["InferenceSession"]["create"]>>;

export class FeatureExtractor {
  private constructor(
    readonly modelPath: string,
    readonly spec: Required<Omit<ExtractorSpec, "logitsOutput">> & { logitsOutput?: string },
    private readonly ort: Ort,
    private readonly session: Session,
  ) {}

  /**
   * Load an ONNX model. The contract comes from `spec`, else from `<model>.json`, else from the model's first
   * input shape (NCHW, [0, 1] scaling) and its outputs named "features" and "logits" (the zoo's fmnist-features
   * model needs no contract file).
   */
  static async create(modelPath: string, spec?: ExtractorSpec): Promise<FeatureExtractor> {
    if (!existsSync(modelPath)) throw new MetricsInputError("no such extractor model file", modelPath);
    const ort = (await import("onnxruntime-node")) as Ort;
    let session: Session;
    try {
      session = await ort.InferenceSession.create(modelPath);
    } catch (err) {
      throw new MetricsInputError(`cannot load ONNX model (${(err as Error).message.split("\n")[0]})`, modelPath);
    }
    // A generator or decoder given as the extractor fails on its first batch otherwise, with an ORT message that
    // names the images rather than the model.
    if (session.inputNames.length !== 1) {
      const names = session.inputNames.join(", ");
      await session.release();
      throw new MetricsInputError(`not an image feature extractor: it takes ${session.inputNames.length} inputs (${names}), an extractor takes one image batch`, modelPath);
    }
    let s = spec ?? readExtractorSpec(modelPath);
    if (s === undefined) {
      const meta = (session as unknown as { inputMetadata?: Array<{ shape?: Array<number | string> }> }).inputMetadata?.[0];
      const shape = meta?.shape;
      if (shape === undefined || shape.length !== 4) {
        throw new MetricsInputError("no extractor contract (<model>.json) and the model's input is not 4-D", modelPath);
      }
      const [, c, h, w] = shape;
      if (c !== 1 && c !== 3) throw new MetricsInputError(`model input has ${String(c)} channels; need a contract file`, modelPath);
      s = { inputSize: typeof h === "number" && typeof w === "number" ? [h, w] : null, channels: c };
    }
    const full = {
      inputSize: s.inputSize,
      channels: s.channels,
      layout: s.layout ?? "NCHW",
      mean: s.mean ?? [0],
      std: s.std ?? [1],
      inputName: s.inputName ?? session.inputNames[0],
      featuresOutput: s.featuresOutput ?? (session.outputNames.includes("features") ? "features" : session.outputNames[0]),
      logitsOutput: s.logitsOutput ?? (spec === undefined && session.outputNames.includes("logits") ? "logits" : undefined),
    } as const;
    for (const o of [full.featuresOutput, full.logitsOutput]) {
      if (o !== undefined && !session.outputNames.includes(o)) {
        throw new MetricsInputError(`model has no output "${o}" (outputs: ${session.outputNames.join(", ")})`, modelPath);
      }
    }
    return new FeatureExtractor(modelPath, { ...full, mean: [...full.mean], std: [...full.std] }, ort, session);
  }

  /** Throw unless images of this size and channel count fit the model. */
  checkImages(height: number, width: number, channels: number, source?: string): void {
    const size = this.spec.inputSize;
    if (size !== null && (size[0] !== height || size[1] !== width)) {
      throw new MetricsInputError(
        `images are ${height}x${width}, the extractor ${this.modelPath} expects ${size[0]}x${size[1]}`,
        source,
      );
    }
    if (channels !== 1 && channels !== 3) throw new MetricsInputError(`images have ${channels} channels, expected 1 or 3`, source);
    if (channels === 3 && this.spec.channels === 1) {
      throw new MetricsInputError(`images are RGB, the extractor ${this.modelPath} expects 1 channel`, source);
    }
  }

  /** Features (and logits) of one batch of NHWC images (uint8 0..255 or float32 in [0, 1]). */
  async extract(images: ImageBatch, source?: string): Promise<ExtractedBatch> {
    const { count: b, height: h, width: w, channels: cin } = images;
    this.checkImages(h, w, cin, source);
    const c = this.spec.channels;
    const { mean, std } = this.spec;
    const x = new Float32Array(b * c * h * w);
    const nchw = this.spec.layout === "NCHW";
    const scale = images.data instanceof Uint8Array ? 1 / 255 : 1; // uint8 0..255, or float in [0, 1]
    for (let n = 0; n < b; n++) {
      for (let p = 0; p < h * w; p++) {
        const src = (n * h * w + p) * cin;
        for (let ch = 0; ch < c; ch++) {
          const v = images.data[src + (cin === 1 ? 0 : ch)] * scale;
          const m = mean[mean.length === 1 ? 0 : ch];
          const s = std[std.length === 1 ? 0 : ch];
          const dst = nchw ? ((n * c + ch) * h * w + p) : (n * h * w + p) * c + ch;
          x[dst] = (v - m) / s;
        }
      }
    }
    const dims = nchw ? [b, c, h, w] : [b, h, w, c];
    const input = new this.ort.Tensor("float32", x, dims);
    const fetches = [this.spec.featuresOutput, ...(this.spec.logitsOutput ? [this.spec.logitsOutput] : [])];
    let out: Record<string, { data: unknown; dims: readonly number[] }>;
    try {
      out = (await this.session.run({ [this.spec.inputName]: input }, fetches)) as typeof out;
    } catch (err) {
      throw new MetricsInputError(`extractor failed on a ${dims.join("x")} batch (${(err as Error).message.split("\n")[0]})`, source);
    }
    const flat = (name: string): { data: Float32Array; d: number } => {
      const t = out[name];
      const data = t.data as Float32Array;
      if (t.dims[0] !== b || !(data instanceof Float32Array)) {
        throw new MetricsInputError(`extractor output "${name}" has shape [${t.dims.join(", ")}], expected [${b}, d] float32`, this.modelPath);
      }
      return { data, d: data.length / b };
    };
    const f = flat(this.spec.featuresOutput);
    const result: ExtractedBatch = { rows: b, features: f.data, featureDims: f.d };
    if (this.spec.logitsOutput) {
      const l = flat(this.spec.logitsOutput);
      result.logits = l.data;
      result.logitDims = l.d;
    }
    return result;
  }

  /**
   * Run the extractor over a stream of image batches; `onProgress` is called after every batch. Returns all
   * features (and logits) concatenated.
   */
  async extractAll(
    batches: AsyncIterable<ImageBatch>,
    opts: {
      total?: number;
      source?: string;
      onProgress?: (p: ExtractProgress) => void;
      /** Called with every batch's output (e.g. to feed a StatisticsAccumulator). */
      onBatch?: (batch: ExtractedBatch) => void;
      /** Keep and concatenate all outputs (default true); false returns empty arrays and only the row count. */
      keep?: boolean;
    } = {},
  ): Promise<{ rows: number; features: Float32Array; featureDims: number; logits?: Float32Array; logitDims?: number }> {
    const keep = opts.keep ?? true;
    const feats: Float32Array[] = [];
    const logits: Float32Array[] = [];
    let rows = 0;
    let featureDims = 0;
    let logitDims: number | undefined;
    for await (const batch of batches) {
      const r = await this.extract(batch, opts.source);
      opts.onBatch?.(r);
      if (keep) {
        feats.push(r.features);
        if (r.logits) logits.push(r.logits);
      }
      featureDims = r.featureDims;
      logitDims = r.logitDims;
      rows += r.rows;
      opts.onProgress?.({ done: rows, total: opts.total ?? rows });
    }
    const cat = (parts: Float32Array[]): Float32Array => {
      const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    };
    return { rows, features: cat(feats), featureDims, ...(logits.length ? { logits: cat(logits), logitDims } : {}) };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
