/**
 * `VarModel`: what the next-scale sampler needs from a VAR generator, and `OnnxVarModel`, two ONNX graphs behind it
 * (the zoo's var-tiny contract, packages/zoo/README.md; names configurable from a model card):
 *
 *   inputs graph  in  ids       int64   [B,T]      ids of all scales (unsampled scales: any valid id, here 0)
 *                 out x_in      float32 [B,T,E]    transformer inputs; rows of scale k depend on scales < k only
 *                 out f_hat     float32 [B,...Z]   the accumulated latent of all scales (what the decoder takes)
 *   transformer   in  x_in      float32 [B,L,E]    the first L = offsets[k+1] rows
 *                 in  y         int64   [B]        class id; the null class is `nullClass`
 *                 out logits    float32 [B,L,V]    rows offsets[k]..offsets[k+1]−1 predict scale k
 *                 out features  float32 [B,L,D]    last-block tokens (the policy reads scale k's rows)
 *
 * Attention is block-causal over scales, so a prefix gives the same rows as the whole sequence. `load` runs one
 * probe sample through both graphs, so a wrong contract fails at load time. Batches run in chunks of `chunkSize`.
 */
import { OnnxModel, type OnnxModelOptions } from "@adagen/core";
import { ScaleLayout } from "./scales.js";

export interface VarModel {
  readonly layout: ScaleLayout;
  /** Codebook size V. */
  readonly codebook: number;
  /** Width E of a transformer input row. */
  readonly inputWidth: number;
  /** Width D of a feature token. */
  readonly featureDim: number;
  /** Shape of one sample's accumulated latent (e.g. [32, 7, 7]). */
  readonly latentShape: readonly number[];
  /** Number of real classes; the label `numClasses` means unconditional. */
  readonly numClasses: number;
  /** Transformer inputs `[batch, T, E]` and the accumulated latent for ids `[batch, T]`. */
  inputs(ids: Int32Array, batch: number): Promise<{ xIn: Float32Array; latent: Float32Array }>;
  /** Logits `[batch, L, V]` and features `[batch, L, D]` for the first `prefix` rows of `xIn` `[batch, T, E]`. */
  predict(xIn: Float32Array, prefix: number, labels: Int32Array, batch: number): Promise<{ logits: Float32Array; features: Float32Array }>;
}

/** Largest chunk of samples per session call. */
export const MAX_CHUNK = 64;

export interface OnnxVarModelOptions extends OnnxModelOptions {
  scales: readonly number[];
  codebook: number;
  inputWidth: number;
  featureDim: number;
  latentShape: readonly number[];
  numClasses: number;
  /** The label the graph takes for "unconditional" (default numClasses). */
  nullClass?: number;
  /** Tensor names (defaults: inputs graph ids → x_in, f_hat; transformer x_in, y → logits, features). */
  names?: { ids?: string; inputs?: string; latent?: string; label?: string; logits?: string; features?: string };
  /** Samples per session call, 1..64 (default 64). */
  chunkSize?: number;
}

type Names = Required<NonNullable<OnnxVarModelOptions["names"]>>;

export class OnnxVarModel implements VarModel {
  readonly layout: ScaleLayout;
  readonly codebook: number;
  readonly inputWidth: number;
  readonly featureDim: number;
  readonly latentShape: readonly number[];
  readonly numClasses: number;
  readonly nullClass: number;
  readonly chunkSize: number;
  /** Sample-prefix passes through the transformer so far (a decision costs 2 per sample, 1 at scale 0). */
  forwards = 0;

  private constructor(
    private readonly transformer: OnnxModel,
    private readonly inputGraph: OnnxModel,
    private readonly names: Names,
    o: OnnxVarModelOptions,
  ) {
    this.layout = new ScaleLayout(o.scales);
    this.codebook = o.codebook;
    this.inputWidth = o.inputWidth;
    this.featureDim = o.featureDim;
    this.latentShape = [...o.latentShape];
    this.numClasses = o.numClasses;
    this.nullClass = o.nullClass ?? o.numClasses;
    this.chunkSize = o.chunkSize ?? MAX_CHUNK;
  }

  /** Opens the transformer and the inputs graph, checks their contracts and runs a probe sample. */
  static async load(files: { transformer: string; inputs: string }, options: OnnxVarModelOptions): Promise<OnnxVarModel> {
    const layout = new ScaleLayout(options.scales);
    const positive = (name: string, v: number) => {
      if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`${name} must be a positive integer, got ${v}`);
    };
    positive("codebook", options.codebook);
    positive("inputWidth", options.inputWidth);
    positive("featureDim", options.featureDim);
    positive("numClasses", options.numClasses);
    options.latentShape.forEach((d, i) => positive(`latentShape[${i}]`, d));
    const chunk = options.chunkSize ?? MAX_CHUNK;
    if (!(Number.isInteger(chunk) && chunk >= 1 && chunk <= MAX_CHUNK)) throw new RangeError(`chunkSize must be an integer in 1..${MAX_CHUNK}, got ${chunk}`);
    const names: Names = { ids: "ids", inputs: "x_in", latent: "f_hat", label: "y", logits: "logits", features: "features", ...options.names };
    const T = layout.tokens;
    const inputGraph = await OnnxModel.load(
      files.inputs,
      {
        inputs: { [names.ids]: { dtype: "int64", shape: ["B", T] } },
        outputs: {
          [names.inputs]: { dtype: "float32", shape: ["B", T, options.inputWidth] },
          [names.latent]: { dtype: "float32", shape: ["B", ...options.latentShape] },
        },
      },
      { intraOpThreads: options.intraOpThreads },
    );
    let transformer: OnnxModel | undefined;
    try {
      transformer = await OnnxModel.load(
        files.transformer,
        {
          inputs: { [names.inputs]: { dtype: "float32", shape: ["B", "L", options.inputWidth] }, [names.label]: { dtype: "int64", shape: ["B"] } },
          outputs: {
            [names.logits]: { dtype: "float32", shape: ["B", "L", options.codebook] },
            [names.features]: { dtype: "float32", shape: ["B", "L", options.featureDim] },
          },
        },
        { intraOpThreads: options.intraOpThreads },
      );
      const wrapped = new OnnxVarModel(transformer, inputGraph, names, options);
      try {
        const { xIn } = await wrapped.inputs(new Int32Array(T), 1);
        await wrapped.predict(xIn, T, Int32Array.of(options.numClasses), 1);
      } catch (err) {
        throw new Error(
          `${files.transformer} with ${files.inputs} does not fit the next-scale contract with scales [${options.scales.join(",")}], ` +
            `codebook ${options.codebook} and features of width ${options.featureDim} (one probe sample failed): ${(err as Error).message.split("\n")[0]}`,
        );
      }
      wrapped.forwards = 0;
      return wrapped;
    } catch (err) {
      await transformer?.dispose();
      await inputGraph.dispose();
      throw err;
    }
  }

  async inputs(ids: Int32Array, batch: number): Promise<{ xIn: Float32Array; latent: Float32Array }> {
    const T = this.layout.tokens;
    const E = this.inputWidth;
    const Z = this.latentShape.reduce((a, b) => a * b, 1);
    checkBatch(batch);
    if (ids.length !== batch * T) throw new RangeError(`expected ids of shape [${batch},${T}] (${batch * T} values), got ${ids.length}`);
    const xIn = new Float32Array(batch * T * E);
    const latent = new Float32Array(batch * Z);
    for (let start = 0; start < batch; start += this.chunkSize) {
      const n = Math.min(this.chunkSize, batch - start);
      const x = BigInt64Array.from(ids.subarray(start * T, (start + n) * T), (v) => BigInt(v));
      const out = await this.inputGraph.run({ [this.names.ids]: { data: x, shape: [n, T] } });
      xIn.set(out[this.names.inputs].data as Float32Array, start * T * E);
      latent.set(out[this.names.latent].data as Float32Array, start * Z);
    }
    return { xIn, latent };
  }

  async predict(xIn: Float32Array, prefix: number, labels: Int32Array, batch: number): Promise<{ logits: Float32Array; features: Float32Array }> {
    const T = this.layout.tokens;
    const { inputWidth: E, codebook: V, featureDim: D } = this;
    checkBatch(batch);
    if (!(Number.isInteger(prefix) && prefix >= 1 && prefix <= T)) throw new RangeError(`prefix must be an integer in 1..${T}, got ${prefix}`);
    if (xIn.length !== batch * T * E) throw new RangeError(`expected transformer inputs of shape [${batch},${T},${E}], got ${xIn.length} values`);
    if (labels.length !== batch) throw new RangeError(`expected ${batch} labels, got ${labels.length}`);
    for (let b = 0; b < batch; b++)
      if (!(Number.isInteger(labels[b]) && labels[b] >= 0 && labels[b] <= this.numClasses))
        throw new RangeError(`label[${b}] = ${labels[b]} is outside 0..${this.numClasses} (${this.numClasses} = null class)`);
    const logits = new Float32Array(batch * prefix * V);
    const features = new Float32Array(batch * prefix * D);
    for (let start = 0; start < batch; start += this.chunkSize) {
      const n = Math.min(this.chunkSize, batch - start);
      // The first `prefix` rows of each sample.
      const x = new Float32Array(n * prefix * E);
      for (let b = 0; b < n; b++) x.set(xIn.subarray((start + b) * T * E, ((start + b) * T + prefix) * E), b * prefix * E);
      const y = BigInt64Array.from(labels.subarray(start, start + n), (l) => BigInt(l === this.numClasses ? this.nullClass : l));
      const out = await this.transformer.run({ [this.names.inputs]: { data: x, shape: [n, prefix, E] }, [this.names.label]: { data: y, shape: [n] } });
      logits.set(out[this.names.logits].data as Float32Array, start * prefix * V);
      features.set(out[this.names.features].data as Float32Array, start * prefix * D);
      this.forwards += n;
    }
    return { logits, features };
  }

  async dispose(): Promise<void> {
    await this.transformer.dispose();
    await this.inputGraph.dispose();
  }
}

function checkBatch(batch: number): void {
  if (!(Number.isInteger(batch) && batch >= 1)) throw new RangeError(`batch must be a positive integer, got ${batch}`);
}
