export {
  VPLinearSchedule,
  VPCosineSchedule,
  noiseSchedule,
  ditTimestep,
  type NoiseSchedule,
  type ScheduleName,
} from "./schedules.js";
export { loadNoisePredictor, type NoisePredictor, type OnnxNoisePredictorOptions } from "./predictor.js";
export { DpmSolverScheduler, MIN_TIME, MIN_TIME_GAP, SOLVER_NAMES, type SolverName } from "./dpm-solver-scheduler.js";
export { DiffusionEnv, uniformTimes, type DiffusionEnvOptions } from "./env.js";
export {
  timeUniformGrid,
  logSnrUniformGrid,
  karrasGrid,
  sampleDiffusionSchedule,
  type DiffusionScheduleOptions,
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
export { diffusionAdapter, readDiffusionSampler, DIFFUSION_SCHEDULES, type DiffusionSampler } from "./card-adapter.js";
export { createSampler, train } from "./product.js";
