export {
  dataFromVelocity,
  noiseFromVelocity,
  toDiffusionTime,
  FlowNoiseSchedule,
  type FloatArray,
} from "./path.js";
export {
  eulerStep,
  rk2Step,
  heunStep,
  flowDpmSolverFirstOrder,
  flowDpmSolver2S,
  type EulerArgs,
  type RK2Args,
  type HeunArgs,
  type FlowDpmFirstOrderArgs,
  type FlowDpm2SArgs,
} from "./solvers.js";
export {
  OnnxVelocityPredictor,
  velocityContract,
  MAX_CHUNK,
  type VelocityPredictor,
  type OnnxVelocityPredictorOptions,
} from "./predictor.js";
export {
  FlowEnv,
  uniformTimes,
  checkHeuristicTimes,
  MAX_TIME,
  MIN_TIME_GAP,
  DEFAULT_START_TIME,
  SIT_GUIDANCE,
  SIT_SMOOTHING,
  type FlowEnvOptions,
  type FlowSolverName,
} from "./env.js";
export { timeUniformGrid, shiftedGrid, sampleWithSchedule, type ScheduledSamplingOptions } from "./baselines.js";
export {
  GaussianFlowTarget,
  GaussianVelocityPredictor,
  type GaussianFlowOptions,
} from "./testbed/gaussian.js";
/** Values in one sample of a shape (shared with @adagen/diffusion). */
export { sizeOf } from "@adagen/diffusion";
