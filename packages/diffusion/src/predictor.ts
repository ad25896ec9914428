/**
 * A class-conditional noise-prediction model, the only thing `DiffusionEnv` needs from a generator. An ONNX DiT
 * (eps head, last-block features) and the analytic Gaussian-mixture testbed both sit behind it.
 */
export interface NoisePredictor {
  /** Shape of one sample, channel axis first (e.g. [4, 32, 32] for a DiT latent, [d] for vectors). */
  readonly dataShape: readonly number[];
  /** Shape [N, D] of the per-sample features handed to the policy (docs/method.md §5.3: last-block tokens). */
  readonly featureShape: readonly [number, number];
  /** Number of real classes; the label `numClasses` is the null (unconditional) class. */
  readonly numClasses: number;
  /**
   * Predicts the noise for `batch` samples.
   * @param x noisy states `[batch, ...dataShape]`, row-major.
   * @param tau per-sample continuous times in [0, 1] (tau = 0 is data); a DiT wrapper feeds `1000·tau`.
   * @param labels per-sample class ids in 0..numClasses, where numClasses means unconditional.
   * @returns `eps` shaped like `x`, and `features` `[batch, N, D]` of this pass.
   */
  predict(
    x: Float32Array,
    tau: Float32Array,
    labels: Int32Array,
    batch: number,
  ): Promise<{ eps: Float32Array; features: Float32Array }>;
}

/** Number of values in one sample of `shape`. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, n) => p * n, 1);
}
