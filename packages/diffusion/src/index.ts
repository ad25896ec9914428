export {
  VPLinearSchedule,
  VPCosineSchedule,
  noiseSchedule,
  ditTimestep,
  type NoiseSchedule,
  type ScheduleName,
} from "./schedules.js";
export {
  dataPrediction,
  dpmSolverFirstOrder,
  dpmSolver2S,
  dpmSolver2M,
  MIN_RATIO_STEP,
  type FloatArray,
  type FirstOrderArgs,
  type SingleStepArgs,
  type MultiStepArgs,
} from "./dpm-solver.js";
export { classifierFreeGuidance, channelMask } from "./guidance.js";
export { sizeOf, type NoisePredictor } from "./predictor.js";
export { ENDPOINTS, GuidedOdeEnv, type Endpoint, type GuidedOdeEnvConfig, type GuidedModelShape, type Evaluation } from "./guided-ode-env.js";
export {
  DiffusionEnv,
  uniformTimes,
  MIN_TIME,
  MIN_TIME_GAP,
  type DiffusionEnvOptions,
  type SolverName,
} from "./env.js";
export {
  timeUniformGrid,
  logSnrUniformGrid,
  karrasGrid,
  sampleWithSchedule,
  type ScheduledSamplingOptions,
} from "./baselines.js";
export {
  GaussianMixture,
  GmmNoisePredictor,
  type GaussianMixtureOptions,
  type MixtureDenoised,
} from "./testbed/gmm.js";
export {
  slicedWasserstein2,
  classConditionalSlicedWasserstein2,
  type SlicedWassersteinOptions,
} from "./testbed/sliced-wasserstein.js";
export {
  measureGmmBaselines,
  formatGmmBaselines,
  type GmmBaselineOptions,
  type GmmBaselineRow,
  type GmmBaselineReport,
} from "./testbed/gmm-baselines.js";
export { runGmmExperiment, type GmmExperimentOptions, type GmmExperimentResult } from "./testbed/gmm-experiment.js";
export {
  OnnxNoisePredictor,
  noisePredictionContract,
  type OnnxNoisePredictorOptions,
} from "./onnx-predictor.js";
export { statesToImages } from "./images.js";
export { ImageRealData, type EndPointNoise, type UInt8Images } from "./real-data.js";
