/**
 * `OnnxOdeModel`: a class-conditional ONNX generator graph behind the `OdeModel` seam, for diffusion (output eps)
 * and flow (output v) alike. The contract, with C×H×W the sample shape and N×D the feature tokens:
 *
 *   in  x        float32 [B,C,H,W]  the state at time tau
 *   in  t        float32 [B]        timeScale·tau (DiT: 1000·tau, docs/method.md §5.3; SiT: tau, §5.4)
 *   in  y        int64   [B]        class id, numClasses = null class
 *   out <output> float32 [B,C,H,W]  the prediction ("eps" for the zoo's dit-tiny, "v" for sit-tiny)
 *   out features float32 [B,N,D]    last-block tokens (the conditional pass is what the policy reads)
 *
 * The file is opened through `OnnxModel`, which checks tensor names at load and every shape and dtype at each call;
 * `load` also runs one probe sample so a wrong contract fails at load time, not in the middle of a rollout. Large
 * batches are cut into chunks of `chunkSize` samples per session call (onnxruntime-node on 2 cores is fastest at
 * 16-64 per call here).
 */
import { OnnxModel, type OnnxContract, type OnnxModelOptions } from "../runtime/onnx.js";
import { sizeOf, type OdeModel } from "./model.js";

/** Largest chunk of samples per session call. */
export const MAX_CHUNK = 64;

export interface OnnxOdeModelOptions extends OnnxModelOptions {
  /** Name of the prediction output ("eps", "v", ...). */
  output: string;
  /** Shape of one sample, channels first (the zoo's models: [1, 28, 28]). */
  sampleShape: readonly number[];
  /** Feature tokens [N, D] of the `features` output (the zoo's models: [49, 128]). */
  featureShape: readonly [number, number];
  /** Real classes; label `numClasses` is the null class. */
  numClasses: number;
  /** The graph's time input is `timeScale · tau` (default 1). */
  timeScale?: number;
  /** Samples per session call, 1..64 (default 64). */
  chunkSize?: number;
}

/** The contract `OnnxModel` checks for a guided ODE generator whose prediction output is named `output`. */
export function odeModelContract(output: string, sampleShape: readonly number[], featureShape: readonly [number, number]): OnnxContract {
  return {
    inputs: {
      x: { dtype: "float32", shape: ["B", ...sampleShape] },
      t: { dtype: "float32", shape: ["B"] },
      y: { dtype: "int64", shape: ["B"] },
    },
    outputs: {
      [output]: { dtype: "float32", shape: ["B", ...sampleShape] },
      features: { dtype: "float32", shape: ["B", ...featureShape] },
    },
  };
}

export class OnnxOdeModel implements OdeModel {
  readonly dataShape: readonly number[];
  readonly featureShape: readonly [number, number];
  readonly numClasses: number;
  readonly output: string;
  readonly timeScale: number;
  readonly chunkSize: number;
  /** Samples passed through the graph so far (each guided evaluation costs 2 per sample), for NFE accounting. */
  forwards = 0;

  private constructor(
    readonly model: OnnxModel,
    options: Required<Omit<OnnxOdeModelOptions, keyof OnnxModelOptions>>,
  ) {
    this.dataShape = [...options.sampleShape];
    this.featureShape = [options.featureShape[0], options.featureShape[1]];
    this.numClasses = options.numClasses;
    this.output = options.output;
    this.timeScale = options.timeScale;
    this.chunkSize = options.chunkSize;
  }

  /** Opens `file`, checks its contract and runs a probe sample. */
  static async load(file: string, options: OnnxOdeModelOptions): Promise<OnnxOdeModel> {
    const { output, sampleShape, featureShape, numClasses } = options;
    const timeScale = options.timeScale ?? 1;
    const chunkSize = options.chunkSize ?? MAX_CHUNK;
    if (!(typeof output === "string" && output.length > 0 && output !== "features"))
      throw new RangeError(`output must name the prediction output (not "features"), got ${JSON.stringify(output)}`);
    if (!(sampleShape.length >= 1 && sampleShape.every((d) => Number.isInteger(d) && d > 0)))
      throw new RangeError(`sampleShape must be positive integers, got [${sampleShape.join(",")}]`);
    if (!(featureShape.length === 2 && featureShape.every((d) => Number.isInteger(d) && d > 0)))
      throw new RangeError(`featureShape must be two positive integers [N,D], got [${featureShape.join(",")}]`);
    if (!(Number.isInteger(numClasses) && numClasses >= 1))
      throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
    if (!(timeScale > 0 && Number.isFinite(timeScale))) throw new RangeError(`timeScale must be positive, got ${timeScale}`);
    if (!(Number.isInteger(chunkSize) && chunkSize >= 1 && chunkSize <= MAX_CHUNK))
      throw new RangeError(`chunkSize must be an integer in 1..${MAX_CHUNK}, got ${chunkSize}`);
    const model = await OnnxModel.load(file, odeModelContract(output, sampleShape, featureShape), {
      intraOpThreads: options.intraOpThreads,
    });
    const predictor = new OnnxOdeModel(model, { output, sampleShape, featureShape, numClasses, timeScale, chunkSize });
    try {
      // Probe: one unconditional sample at tau = 0.5 checks every output shape against the declared contract.
      await predictor.predict(new Float32Array(sizeOf(sampleShape)), Float32Array.of(0.5), Int32Array.of(numClasses), 1);
    } catch (err) {
      await model.dispose();
      const why = (err as Error).message.split("\n")[0];
      throw new Error(
        `${file} does not fit the contract with output "${output}", sample shape [${sampleShape.join(",")}] and ` +
          `feature shape [${featureShape.join(",")}] (one probe sample failed): ${why}`,
      );
    }
    predictor.forwards = 0;
    return predictor;
  }

  async predict(
    x: Float32Array,
    tau: Float32Array,
    labels: Int32Array,
    batch: number,
  ): Promise<{ output: Float32Array; features: Float32Array }> {
    const dim = sizeOf(this.dataShape);
    const fdim = this.featureShape[0] * this.featureShape[1];
    if (!(Number.isInteger(batch) && batch >= 1)) throw new RangeError(`batch must be a positive integer, got ${batch}`);
    if (x.length !== batch * dim)
      throw new RangeError(`expected x of shape [${batch},${this.dataShape.join(",")}] (${batch * dim} values), got ${x.length}`);
    if (tau.length !== batch) throw new RangeError(`expected ${batch} times tau, got ${tau.length}`);
    if (labels.length !== batch) throw new RangeError(`expected ${batch} labels, got ${labels.length}`);
    for (let b = 0; b < batch; b++) {
      if (!(tau[b] >= 0 && tau[b] <= 1)) throw new RangeError(`tau[${b}] = ${tau[b]} is outside [0, 1]`);
      if (!(Number.isInteger(labels[b]) && labels[b] >= 0 && labels[b] <= this.numClasses))
        throw new RangeError(`label[${b}] = ${labels[b]} is outside 0..${this.numClasses} (${this.numClasses} = null class)`);
    }
    const output = new Float32Array(batch * dim);
    const features = new Float32Array(batch * fdim);
    for (let start = 0; start < batch; start += this.chunkSize) {
      const n = Math.min(this.chunkSize, batch - start);
      const t = new Float32Array(n);
      const y = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        t[i] = this.timeScale * tau[start + i];
        y[i] = BigInt(labels[start + i]);
      }
      const out = await this.model.run({
        x: { data: x.subarray(start * dim, (start + n) * dim), shape: [n, ...this.dataShape] },
        t: { data: t, shape: [n] },
        y: { data: y, shape: [n] },
      });
      output.set(out[this.output].data as Float32Array, start * dim);
      features.set(out.features.data as Float32Array, start * fdim);
      this.forwards += n;
    }
    return { output, features };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
