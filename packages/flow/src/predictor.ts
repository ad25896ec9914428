/**
 * The velocity model `FlowEnv` drives: core's `OdeModel` whose output is v = x_data − noise on the path
 * x_tau = tau·x_data + (1 − tau)·noise, for times tau in [0, 1] (tau = 0 noise, tau = 1 data). An ONNX SiT
 * (`loadVelocityPredictor`: the zoo's sit-tiny takes tau directly, output "v") and the analytic Gaussian testbed
 * sit behind it.
 */
import { OnnxOdeModel, type OdeModel, type OnnxOdeModelOptions } from "@adagen/core";

export type VelocityPredictor = OdeModel;

/** The ONNX graph's velocity output and time input (defaults: the zoo's sit-tiny, output "v", time tau). */
export type OnnxVelocityPredictorOptions = Omit<OnnxOdeModelOptions, "output" | "timeScale"> & {
  /** Name of the velocity output (default "v"). */
  output?: string;
  /** The graph's time input is `timeScale · tau` (default 1). */
  timeScale?: number;
};

/** Opens a velocity ONNX graph (contract in core's `OnnxOdeModel`) and checks it with one probe sample. */
export function loadVelocityPredictor(file: string, options: OnnxVelocityPredictorOptions): Promise<OnnxOdeModel> {
  return OnnxOdeModel.load(file, { ...options, output: options.output ?? "v", timeScale: options.timeScale ?? 1 });
}
