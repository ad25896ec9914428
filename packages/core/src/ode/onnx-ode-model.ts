/**
 * `OnnxOdeModel`: a class-conditional ONNX generator graph behind the `OdeModel` seam, for diffusion (output eps)
 * and flow (output v) alike. The contract, with C×H×W the sample shape and N×D the feature tokens:
 *
 *   in  x        float32 [B,...S]   the state at time tau (S = sampleShape)
 *   in  t        float32 [B]        timeScale·tau (DiT: 1000·tau, docs/method.md §5.3; SiT: tau, §5.4)
 *   in  y        int64   [B]        class id; the null (unconditional) class is `nullClass`
 *   out <output> float32 [B,...S]   the prediction ("eps" for the zoo's dit-tiny, "v" for sit-tiny)
 *   out features float32 [B,N,D]    last-block tokens (the conditional pass is what the policy reads)
 *
 * The names x, t, y and features are defaults (`inputNames`, `featuresOutput` rename them). Callers always pass
 * the label `numClasses` for "unconditional"; the graph gets `nullClass` there (default numClasses).
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

export interface OdeGraphNames {
  /** Input names of the state, the time and the label (default x, t, y). */
  inputNames?: { state: string; time: string; label: string };
  /** Output name of the policy's features (default "features"). */
  featuresOutput?: string;
}

const DEFAULT_INPUTS = { state: "x", time: "t", label: "y" } as const;

export interface OnnxOdeModelOptions extends OnnxModelOptions, OdeGraphNames {
  /** Name of the prediction output ("eps", "v", ...). */
  output: string;
  /** Shape of one sample, channels first (the zoo's models: [1, 28, 28]). */
  sampleShape: readonly number[];
  /** Feature tokens [N, D] of the `features` output (the zoo's models: [49, 128]). */
  featureShape: readonly [number, number];
  /** Real classes; label `numClasses` means unconditional. */
  numClasses: number;
  /** The label the graph takes for "unconditional" (default numClasses). */
  nullClass?: number;
  /** The graph's time input is `timeScale · tau` (default 1). */
  timeScale?: number;
  /** Samples per session call, 1..64 (default 64). */
  chunkSize?: number;
}

/** The contract `OnnxModel` checks for a guided ODE generator whose prediction output is named `output`. */
export function odeModelContract(
  output: string,
  sampleShape: readonly number[],
  featureShape: readonly [number, number],
  names: OdeGraphNames = {},
): OnnxContract {
  const inputs = names.inputNames ?? DEFAULT_INPUTS;
  return {
    inputs: {
      [inputs.state]: { dtype: "float32", shape: ["B", ...sampleShape] },
      [inputs.time]: { dtype: "float32", shape: ["B"] },
      [inputs.label]: { dtype: "int64", shape: ["B"] },
    },
    outputs: {
      [output]: { dtype: "float32", shape: ["B", ...sampleShape] },
      [names.featuresOutput ?? "features"]: { dtype: "float32", shape: ["B", ...featureShape] },
    },
  };
}

type Settings = Required<Omit<OnnxOdeModelOptions, keyof OnnxModelOptions>>;

export class OnnxOdeModel implements OdeModel {
  readonly dataShape: readonly number[];
  readonly featureShape: readonly [number, number];
  readonly numClasses: number;
  readonly output: string;
  readonly timeScale: number;
  readonly chunkSize: number;
  readonly nullClass: number;
  private readonly inputNames: { state: string; time: string; label: string };
  private readonly featuresOutput: string;
  /** Samples passed through the graph so far (each guided evaluation costs 2 per sample), for NFE accounting. */
  forwards = 0;

  private constructor(
    readonly model: OnnxModel,
    options: Settings,
  ) {
    this.dataShape = [...options.sampleShape];
    this.featureShape = [options.featureShape[0], options.featureShape[1]];
    this.numClasses = options.numClasses;
    this.output = options.output;
    this.timeScale = options.timeScale;
    this.chunkSize = options.chunkSize;
    this.nullClass = options.nullClass;
    this.inputNames = options.inputNames;
    this.featuresOutput = options.featuresOutput;
  }

  /** Opens `file`, checks its contract and runs a probe sample. */
  static async load(file: string, options: OnnxOdeModelOptions): Promise<OnnxOdeModel> {
    const { output, sampleShape, featureShape, numClasses } = options;
    const inputNames = options.inputNames ?? DEFAULT_INPUTS;
    const featuresOutput = options.featuresOutput ?? "features";
    const nullClass = options.nullClass ?? numClasses;
    const timeScale = options.timeScale ?? 1;
    const chunkSize = options.chunkSize ?? MAX_CHUNK;
    if (!(typeof output === "string" && output.length > 0 && output !== featuresOutput))
      throw new RangeError(`output must name the prediction output (not the features "${featuresOutput}"), got ${JSON.stringify(output)}`);
    if (!(sampleShape.length >= 1 && sampleShape.every((d) => Number.isInteger(d) && d > 0)))
      throw new RangeError(`sampleShape must be positive integers, got [${sampleShape.join(",")}]`);
    if (!(featureShape.length === 2 && featureShape.every((d) => Number.isInteger(d) && d > 0)))
      throw new RangeError(`featureShape must be two positive integers [N,D], got [${featureShape.join(",")}]`);
    if (!(Number.isInteger(numClasses) && numClasses >= 1))
      throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
    if (!(Number.isInteger(nullClass) && nullClass >= numClasses))
      throw new RangeError(`nullClass must be an integer ≥ numClasses (${numClasses}), got ${nullClass}`);
    if (!(timeScale > 0 && Number.isFinite(timeScale))) throw new RangeError(`timeScale must be positive, got ${timeScale}`);
    if (!(Number.isInteger(chunkSize) && chunkSize >= 1 && chunkSize <= MAX_CHUNK))
      throw new RangeError(`chunkSize must be an integer in 1..${MAX_CHUNK}, got ${chunkSize}`);
    const model = await OnnxModel.load(file, odeModelContract(output, sampleShape, featureShape, { inputNames, featuresOutput }), {
      intraOpThreads: options.intraOpThreads,
    });
    const settings = { output, sampleShape, featureShape, numClasses, nullClass, timeScale, chunkSize, inputNames, featuresOutput };
    const predictor = new OnnxOdeModel(model, settings);
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
        const label = labels[start + i];
        y[i] = BigInt(label === this.numClasses ? this.nullClass : label);
      }
      const { state, time, label } = this.inputNames;
      const out = await this.model.run({
        [state]: { data: x.subarray(start * dim, (start + n) * dim), shape: [n, ...this.dataShape] },
        [time]: { data: t, shape: [n] },
        [label]: { data: y, shape: [n] },
      });
      output.set(out[this.output].data as Float32Array, start * dim);
      features.set(out[this.featuresOutput].data as Float32Array, start * fdim);
      this.forwards += n;
    }
    return { output, features };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
