export {
  dataFromVelocity,
  noiseFromVelocity,
  toDiffusionTime,
  FlowNoiseSchedule,
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
export { loadVelocityPredictor, type VelocityPredictor, type OnnxVelocityPredictorOptions } from "./predictor.js";
export { FlowSolverScheduler, FLOW_SOLVER_NAMES, MAX_TIME, MIN_TIME_GAP, type FlowSolverName } from "./flow-solver-scheduler.js";
export {
  FlowEnv,
  uniformTimes,
  DEFAULT_START_TIME,
  SIT_GUIDANCE,
  SIT_SMOOTHING,
  type FlowEnvOptions,
} from "./env.js";
export { timeUniformGrid, shiftedGrid, sampleFlowSchedule, type FlowScheduleOptions } from "./baselines.js";
export {
  GaussianFlowTarget,
  GaussianVelocityPredictor,
  type GaussianFlowOptions,
} from "./testbed/gaussian.js";
export { flowAdapter, readFlowSampler, FLOW_SCHEDULES, DEFAULT_SHIFT, type FlowSampler } from "./card-adapter.js";
export { createSampler, train } from "./product.js";
