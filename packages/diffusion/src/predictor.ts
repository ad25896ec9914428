/**
 * The noise-prediction model `DiffusionEnv` drives: core's `OdeModel` whose output is eps, the noise in
 * x_tau = alpha(tau)·x0 + sigma(tau)·eps, for times tau in [0, 1] (tau = 0 is data). An ONNX DiT (eps head,
 * last-block features, `loadNoisePredictor`) and the analytic Gaussian-mixture testbed both sit behind it.
 */
import { OnnxOdeModel, type OdeModel, type OnnxOdeModelOptions } from "@adagen/core";

export type NoisePredictor = OdeModel;

/** The ONNX graph's outputs and time input as a DiT exports them (the zoo's dit-tiny: eps, time 1000·tau). */
export type OnnxNoisePredictorOptions = Omit<OnnxOdeModelOptions, "output" | "timeScale"> & {
  /** Name of the noise output (default "eps"). */
  output?: string;
  /** The graph's time input is `timeScale · tau` (default 1000, DiT's discrete steps, docs/method.md §5.3). */
  timeScale?: number;
};

/** Opens a noise-prediction ONNX graph (contract in core's `OnnxOdeModel`) and checks it with one probe sample. */
export function loadNoisePredictor(file: string, options: OnnxNoisePredictorOptions): Promise<OnnxOdeModel> {
  return OnnxOdeModel.load(file, { ...options, output: options.output ?? "eps", timeScale: options.timeScale ?? 1000 });
}
