/**
 * `OnnxNoisePredictor`: a class-conditional noise-prediction ONNX graph (the zoo's `dit-tiny` contract) behind the
 * `NoisePredictor` seam that `DiffusionEnv` reads.
 *
 * Contract (packages/zoo/README.md, "dit-tiny.onnx"), with C×H×W the image shape and N×D the feature tokens:
 *   in  x        float32 [B,C,H,W]  noisy state x_tau = alpha(tau)·x0 + sigma(tau)·eps, x0 in [-1,1]
 *   in  t        float32 [B]        timeScale·tau (1000·tau for DiT, docs/method.md §5.3: plain scaling, no shift)
 *   in  y        int64   [B]        class id, numClasses = null class
 *   out eps      float32 [B,C,H,W]  predicted noise
 *   out features float32 [B,N,D]    last-block tokens (conditional pass = what the policy reads)
 *
 * The file is opened through core's `OnnxModel`, which checks tensor names at load and every shape/dtype at each
 * call; `load` also runs one probe image so a wrong contract fails at load time, not in the middle of a rollout.
 * Large batches are cut into chunks of `chunkSize` images per session call (onnxruntime-node on 2 cores is
 * fastest at 16-64 images per call here).
 */
import { OnnxModel, type OnnxContract, type OnnxModelOptions } from "@adagen/core";
import { sizeOf, type NoisePredictor } from "./predictor.js";

export interface OnnxNoisePredictorOptions extends OnnxModelOptions {
  /** Shape of one sample, channels first (dit-tiny: [1, 28, 28]). */
  imageShape?: readonly [number, number, number];
  /** Feature tokens [N, D] of the `features` output (dit-tiny: 7×7 patches of width 128 → [49, 128]). */
  featureShape?: readonly [number, number];
  /** Real classes; label `numClasses` is the null class (dit-tiny: 10). */
  numClasses?: number;
  /** The graph's time input is `timeScale · tau` (DiT: 1000, docs/method.md §5.3). */
  timeScale?: number;
  /** Images per session call (default 64). */
  chunkSize?: number;
}

/** The zoo's dit-tiny contract as core's `OnnxModel` checks it. */
export function noisePredictionContract(
  imageShape: readonly [number, number, number],
  featureShape: readonly [number, number],
): OnnxContract {
  return {
    inputs: {
      x: { dtype: "float32", shape: ["B", ...imageShape] },
      t: { dtype: "float32", shape: ["B"] },
      y: { dtype: "int64", shape: ["B"] },
    },
    outputs: {
      eps: { dtype: "float32", shape: ["B", ...imageShape] },
      features: { dtype: "float32", shape: ["B", ...featureShape] },
    },
  };
}

export class OnnxNoisePredictor implements NoisePredictor {
  readonly dataShape: readonly number[];
  readonly featureShape: readonly [number, number];
  readonly numClasses: number;
  readonly timeScale: number;
  readonly chunkSize: number;
  /** Images passed through the graph so far (each guided evaluation costs 2 per sample), for NFE accounting. */
  forwards = 0;

  private constructor(
    readonly model: OnnxModel,
    imageShape: readonly [number, number, number],
    featureShape: readonly [number, number],
    numClasses: number,
    timeScale: number,
    chunkSize: number,
  ) {
    this.dataShape = imageShape;
    this.featureShape = featureShape;
    this.numClasses = numClasses;
    this.timeScale = timeScale;
    this.chunkSize = chunkSize;
  }

  /** Opens `file` (e.g. `modelPath("dit-tiny")` from `@adagen/zoo`), checks its contract and runs a probe image. */
  static async load(file: string, options: OnnxNoisePredictorOptions = {}): Promise<OnnxNoisePredictor> {
    const imageShape = options.imageShape ?? [1, 28, 28];
    const featureShape = options.featureShape ?? [49, 128];
    const numClasses = options.numClasses ?? 10;
    const timeScale = options.timeScale ?? 1000;
    const chunkSize = options.chunkSize ?? 64;
    if (!(Number.isInteger(chunkSize) && chunkSize >= 1)) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
    if (!(Number.isInteger(numClasses) && numClasses >= 1)) throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
    if (!(timeScale > 0)) throw new RangeError(`timeScale must be positive, got ${timeScale}`);
    const model = await OnnxModel.load(file, noisePredictionContract(imageShape, featureShape), {
      intraOpThreads: options.intraOpThreads,
    });
    const predictor = new OnnxNoisePredictor(model, imageShape, featureShape, numClasses, timeScale, chunkSize);
    try {
      // Probe: one unconditional image at tau = 0.5 checks every output shape against the declared contract.
      await predictor.predict(new Float32Array(sizeOf(imageShape)), Float32Array.of(0.5), Int32Array.of(numClasses), 1);
      predictor.forwards = 0;
    } catch (err) {
      await model.dispose();
      throw new Error(`${file} does not follow the noise-prediction contract: ${(err as Error).message}`);
    }
    return predictor;
  }

  async predict(
    x: Float32Array,
    tau: Float32Array,
    labels: Int32Array,
    batch: number,
  ): Promise<{ eps: Float32Array; features: Float32Array }> {
    const dim = sizeOf(this.dataShape);
    const [N, D] = this.featureShape;
    if (x.length !== batch * dim || tau.length !== batch || labels.length !== batch)
      throw new RangeError(
        `predict expected x [${batch},${this.dataShape}], tau [${batch}], labels [${batch}]; got ${x.length}, ${tau.length}, ${labels.length} values`,
      );
    for (const c of labels)
      if (!(c >= 0 && c <= this.numClasses))
        throw new RangeError(`label ${c} is out of range 0..${this.numClasses} (${this.numClasses} = null class)`);
    const eps = new Float32Array(batch * dim);
    const features = new Float32Array(batch * N * D);
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
      eps.set(out.eps.data as Float32Array, start * dim);
      features.set(out.features.data as Float32Array, start * N * D);
    }
    this.forwards += batch;
    return { eps, features };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
