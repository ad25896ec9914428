/**
 * `OdeModel`: what the guided ODE samplers need from a generator. A diffusion model predicts the noise eps, a
 * flow model the velocity v; both are "the output" here, and the paradigm's `OdeSolver` knows what it means.
 * An ONNX graph (`OnnxOdeModel`) and the analytic testbeds (Gaussian mixture, Gaussian flow) sit behind it.
 */
export interface OdeModel {
  /** Shape of one sample, channel axis first (e.g. [4, 32, 32] for a DiT latent, [d] for vectors). */
  readonly dataShape: readonly number[];
  /** Shape [N, D] of the per-sample features handed to the policy (docs/method.md §5.3: last-block tokens). */
  readonly featureShape: readonly [number, number];
  /** Number of real classes; the label `numClasses` is the null (unconditional) class. */
  readonly numClasses: number;
  /**
   * Predicts for `batch` samples.
   * @param x states `[batch, ...dataShape]`, row-major.
   * @param tau per-sample times in [0, 1] in the solver's convention (an ONNX wrapper scales them for its graph).
   * @param labels per-sample class ids in 0..numClasses, where numClasses means unconditional.
   * @returns `output` shaped like `x`, and `features` `[batch, N, D]` of this pass.
   */
  predict(
    x: Float32Array,
    tau: Float32Array,
    labels: Int32Array,
    batch: number,
  ): Promise<{ output: Float32Array; features: Float32Array }>;
}

/** Number of values in one sample of `shape`. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, n) => p * n, 1);
}
