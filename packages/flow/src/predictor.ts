/**
 * `VelocityPredictor`: the only thing `FlowEnv` needs from a generator, and `OnnxVelocityPredictor`, the zoo's
 * sit-tiny ONNX contract behind it (packages/zoo/README.md):
 *
 *   in  x        float32 [B,C,H,W]  x_tau = tau·x_data + (1 − tau)·noise, x_data in [-1,1]
 *   in  t        float32 [B]        tau in [0,1] directly (tau = 0 noise, tau = 1 data)
 *   in  y        int64   [B]        class id, numClasses (10) = null class
 *   out v        float32 [B,C,H,W]  velocity x_data − noise
 *   out features float32 [B,N,D]    last-block tokens ([49,128] for sit-tiny)
 *
 * The graph is opened through core's `OnnxModel` (names checked at load, shapes and dtypes at every call); `load`
 * runs one probe image so a wrong contract fails at load time. Batches are cut into chunks of at most `chunkSize`
 * (≤ 64) images per session call.
 */
import { OnnxModel, type OnnxContract, type OnnxModelOptions } from "@adagen/core";
import { sizeOf } from "@adagen/diffusion";

export interface VelocityPredictor {
  /** Shape of one sample, channel axis first ([1, 28, 28] for sit-tiny, [d] for vectors). */
  readonly dataShape: readonly number[];
  /** Shape [N, D] of the per-sample features handed to the policy (docs/method.md §5.4: last-block tokens). */
  readonly featureShape: readonly [number, number];
  /** Number of real classes; the label `numClasses` is the null (unconditional) class. */
  readonly numClasses: number;
  /**
   * Predicts the velocity for `batch` samples.
   * @param x states `[batch, ...dataShape]`, row-major.
   * @param tau per-sample flow times in [0, 1] (0 noise, 1 data).
   * @param labels per-sample class ids in 0..numClasses, where numClasses means unconditional.
   * @returns `v` shaped like `x`, and `features` `[batch, N, D]` of this pass.
   */
  predict(
    x: Float32Array,
    tau: Float32Array,
    labels: Int32Array,
    batch: number,
  ): Promise<{ v: Float32Array; features: Float32Array }>;
}

/** Largest chunk of images per session call. */
export const MAX_CHUNK = 64;

export interface OnnxVelocityPredictorOptions extends OnnxModelOptions {
  /** Shape of one image, channels first (sit-tiny: [1, 28, 28]). */
  imageShape?: readonly [number, number, number];
  /** Feature tokens [N, D] of the `features` output (sit-tiny: [49, 128]). */
  featureShape?: readonly [number, number];
  /** Real classes; label `numClasses` is the null class (sit-tiny: 10). */
  numClasses?: number;
  /** Images per session call, 1..64 (default 64). */
  chunkSize?: number;
}

/** The zoo's sit-tiny contract as core's `OnnxModel` checks it. */
export function velocityContract(
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
      v: { dtype: "float32", shape: ["B", ...imageShape] },
      features: { dtype: "float32", shape: ["B", ...featureShape] },
    },
  };
}

export class OnnxVelocityPredictor implements VelocityPredictor {
  readonly dataShape: readonly number[];
  readonly featureShape: readonly [number, number];
  readonly numClasses: number;
  readonly chunkSize: number;
  /** Images passed through the graph so far (a guided evaluation costs 2 per sample). */
  forwards = 0;

  private constructor(
    private readonly model: OnnxModel,
    imageShape: readonly [number, number, number],
    featureShape: readonly [number, number],
    numClasses: number,
    chunkSize: number,
  ) {
    this.dataShape = [...imageShape];
    this.featureShape = [featureShape[0], featureShape[1]];
    this.numClasses = numClasses;
    this.chunkSize = chunkSize;
  }

  /** Opens `file` (e.g. the zoo's `modelPath("sit-tiny")`) and checks it with one probe image. */
  static async load(file: string, options: OnnxVelocityPredictorOptions = {}): Promise<OnnxVelocityPredictor> {
    const imageShape = options.imageShape ?? [1, 28, 28];
    const featureShape = options.featureShape ?? [49, 128];
    const numClasses = options.numClasses ?? 10;
    const chunkSize = options.chunkSize ?? MAX_CHUNK;
    if (!(imageShape.length === 3 && imageShape.every((d) => Number.isInteger(d) && d > 0)))
      throw new RangeError(`imageShape must be three positive integers [C,H,W], got [${imageShape.join(",")}]`);
    if (!(featureShape.length === 2 && featureShape.every((d) => Number.isInteger(d) && d > 0)))
      throw new RangeError(`featureShape must be two positive integers [N,D], got [${featureShape.join(",")}]`);
    if (!(Number.isInteger(numClasses) && numClasses >= 1))
      throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
    if (!(Number.isInteger(chunkSize) && chunkSize >= 1 && chunkSize <= MAX_CHUNK))
      throw new RangeError(`chunkSize must be an integer in 1..${MAX_CHUNK}, got ${chunkSize}`);
    const model = await OnnxModel.load(file, velocityContract(imageShape, featureShape), options);
    const predictor = new OnnxVelocityPredictor(model, imageShape, featureShape, numClasses, chunkSize);
    try {
      await predictor.predict(new Float32Array(sizeOf(imageShape)), Float32Array.of(0.5), Int32Array.of(numClasses), 1);
    } catch (err) {
      await model.dispose();
      const why = (err as Error).message.split("\n")[0];
      throw new Error(
        `${file} does not fit the velocity contract with imageShape [${imageShape.join(",")}] and featureShape ` +
          `[${featureShape.join(",")}] (one probe image failed): ${why}`,
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
  ): Promise<{ v: Float32Array; features: Float32Array }> {
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
    const v = new Float32Array(batch * dim);
    const features = new Float32Array(batch * fdim);
    for (let start = 0; start < batch; start += this.chunkSize) {
      const n = Math.min(this.chunkSize, batch - start);
      const out = await this.model.run({
        x: { data: x.slice(start * dim, (start + n) * dim), shape: [n, ...this.dataShape] },
        t: { data: tau.slice(start, start + n), shape: [n] },
        y: { data: BigInt64Array.from(labels.subarray(start, start + n), (l) => BigInt(l)), shape: [n] },
      });
      v.set(out.v.data as Float32Array, start * dim);
      features.set(out.features.data as Float32Array, start * fdim);
      this.forwards += n;
    }
    return { v, features };
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
