/**
 * `MaskGitModel`: what the MaskGIT sampler needs from a masked-token generator, and `OnnxMaskGitModel`, an ONNX graph
 * behind it (the zoo's maskgit-tiny contract, names configurable from a model card):
 *
 *   in  ids      int64   [B,N]    token ids 0..K−1, the mask id for masked positions
 *   in  y        int64   [B]      class id; the null (unconditional) class is `nullClass`
 *   out logits   float32 [B,N,K]  unnormalised, over the K real codes
 *   out features float32 [B,N,D]  last-block tokens (the policy's input)
 *
 * The graph is opened through core's `OnnxModel` (names at load, shapes and dtypes at every call); `load` runs one
 * probe sample so a wrong contract fails at load time. Batches run in chunks of `chunkSize` samples per call.
 */
import { OnnxModel, type OnnxContract, type OnnxModelOptions } from "@adagen/core";

export interface MaskGitModel {
  /** Tokens per sample N. */
  readonly tokens: number;
  /** Codebook size K (real codes 0..K−1). */
  readonly codebook: number;
  /** The id of a masked position. */
  readonly maskId: number;
  /** Shape [N, D] of the per-sample features handed to the policy. */
  readonly featureShape: readonly [number, number];
  /** Number of real classes; the label `numClasses` means unconditional. */
  readonly numClasses: number;
  /** Logits `[batch, N, K]` and features `[batch, N, D]` for token ids `[batch, N]` and labels. */
  predict(ids: Int32Array, labels: Int32Array, batch: number): Promise<{ logits: Float32Array; features: Float32Array }>;
}

/** Largest chunk of samples per session call. */
export const MAX_CHUNK = 64;

export interface OnnxMaskGitModelOptions extends OnnxModelOptions {
  tokens: number;
  codebook: number;
  /** The mask token's id (default K, one past the codes). */
  maskId?: number;
  featureShape: readonly [number, number];
  numClasses: number;
  /** The label the graph takes for "unconditional" (default numClasses). */
  nullClass?: number;
  /** Tensor names (defaults ids, y, logits, features). */
  names?: { tokens?: string; label?: string; logits?: string; features?: string };
  /** Samples per session call, 1..64 (default 64). */
  chunkSize?: number;
}

export class OnnxMaskGitModel implements MaskGitModel {
  readonly tokens: number;
  readonly codebook: number;
  readonly maskId: number;
  readonly featureShape: readonly [number, number];
  readonly numClasses: number;
  readonly nullClass: number;
  readonly chunkSize: number;
  /** Samples passed through the graph so far (each step costs 2 per sample). */
  forwards = 0;
  private readonly names: Required<NonNullable<OnnxMaskGitModelOptions["names"]>>;

  private constructor(
    private readonly model: OnnxModel,
    o: OnnxMaskGitModelOptions,
  ) {
    this.tokens = o.tokens;
    this.codebook = o.codebook;
    this.maskId = o.maskId ?? o.codebook;
    this.featureShape = [o.featureShape[0], o.featureShape[1]];
    this.numClasses = o.numClasses;
    this.nullClass = o.nullClass ?? o.numClasses;
    this.chunkSize = o.chunkSize ?? MAX_CHUNK;
    this.names = { tokens: "ids", label: "y", logits: "logits", features: "features", ...o.names };
  }

  /** Opens `file`, checks its contract and runs a probe sample (all tokens masked, unconditional). */
  static async load(file: string, options: OnnxMaskGitModelOptions): Promise<OnnxMaskGitModel> {
    const { tokens, codebook, featureShape, numClasses } = options;
    const positive = (name: string, v: number) => {
      if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`${name} must be a positive integer, got ${v}`);
    };
    positive("tokens", tokens);
    positive("codebook", codebook);
    positive("numClasses", numClasses);
    if (!(featureShape.length === 2 && featureShape.every((d) => Number.isInteger(d) && d > 0)))
      throw new RangeError(`featureShape must be two positive integers [N,D], got [${featureShape.join(",")}]`);
    const maskId = options.maskId ?? codebook;
    if (!(Number.isInteger(maskId) && maskId >= codebook)) throw new RangeError(`maskId must be an integer ≥ codebook (${codebook}), got ${maskId}`);
    const chunk = options.chunkSize ?? MAX_CHUNK;
    if (!(Number.isInteger(chunk) && chunk >= 1 && chunk <= MAX_CHUNK)) throw new RangeError(`chunkSize must be an integer in 1..${MAX_CHUNK}, got ${chunk}`);
    const names = { tokens: "ids", label: "y", logits: "logits", features: "features", ...options.names };
    const contract: OnnxContract = {
      inputs: { [names.tokens]: { dtype: "int64", shape: ["B", tokens] }, [names.label]: { dtype: "int64", shape: ["B"] } },
      outputs: {
        [names.logits]: { dtype: "float32", shape: ["B", tokens, codebook] },
        [names.features]: { dtype: "float32", shape: ["B", featureShape[0], featureShape[1]] },
      },
    };
    const model = await OnnxModel.load(file, contract, { intraOpThreads: options.intraOpThreads });
    const wrapped = new OnnxMaskGitModel(model, options);
    try {
      await wrapped.predict(new Int32Array(tokens).fill(maskId), Int32Array.of(numClasses), 1);
    } catch (err) {
      await model.dispose();
      throw new Error(
        `${file} does not fit the masked-token contract with ${tokens} tokens, codebook ${codebook} and feature shape ` +
          `[${featureShape.join(",")}] (one probe sample failed): ${(err as Error).message.split("\n")[0]}`,
      );
    }
    wrapped.forwards = 0;
    return wrapped;
  }

  async predict(ids: Int32Array, labels: Int32Array, batch: number): Promise<{ logits: Float32Array; features: Float32Array }> {
    const N = this.tokens;
    const K = this.codebook;
    const fdim = this.featureShape[0] * this.featureShape[1];
    if (!(Number.isInteger(batch) && batch >= 1)) throw new RangeError(`batch must be a positive integer, got ${batch}`);
    if (ids.length !== batch * N) throw new RangeError(`expected ids of shape [${batch},${N}] (${batch * N} values), got ${ids.length}`);
    if (labels.length !== batch) throw new RangeError(`expected ${batch} labels, got ${labels.length}`);
    for (let b = 0; b < batch; b++)
      if (!(Number.isInteger(labels[b]) && labels[b] >= 0 && labels[b] <= this.numClasses))
        throw new RangeError(`label[${b}] = ${labels[b]} is outside 0..${this.numClasses} (${this.numClasses} = null class)`);
    const logits = new Float32Array(batch * N * K);
    const features = new Float32Array(batch * fdim);
    for (let start = 0; start < batch; start += this.chunkSize) {
      const n = Math.min(this.chunkSize, batch - start);
      const x = BigInt64Array.from(ids.subarray(start * N, (start + n) * N), (v) => BigInt(v));
      const y = BigInt64Array.from(labels.subarray(start, start + n), (l) => BigInt(l === this.numClasses ? this.nullClass : l));
      const out = await this.model.run({ [this.names.tokens]: { data: x, shape: [n, N] }, [this.names.label]: { data: y, shape: [n] } });
      logits.set(out[this.names.logits].data as Float32Array, start * N * K);
      features.set(out[this.names.features].data as Float32Array, start * fdim);
      this.forwards += n;
    }
    return { logits, features };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
