export { sizeOf, type OdeModel } from "./model.js";
export { ENDPOINTS, type Endpoint, type OdeSolver } from "./solver.js";
export { GuidedOdeEnv, type GuidedOdeEnvConfig, type RenderTransform } from "./guided-ode-env.js";
export { guidancePerDecision, guidancePerEvaluation, scheduleGuidance } from "./guidance-ramp.js";
export { sampleWithSchedule, type ScheduledSamplingOptions } from "./sample-with-schedule.js";
export { OnnxOdeModel, odeModelContract, MAX_CHUNK, type OnnxOdeModelOptions, type OdeGraphNames } from "./onnx-ode-model.js";
export type { NoiseSchedule } from "./noise-schedule.js";
export {
  dataPrediction,
  dpmSolverFirstOrder,
  dpmSolver2S,
  dpmSolver2M,
  MIN_RATIO_STEP,
  type FirstOrderArgs,
  type SingleStepArgs,
  type MultiStepArgs,
} from "./dpm-solver.js";
export { batchDim, checkSameLength } from "./batch.js";
export { descendTimePoints, moveTimePoint, type TimePointDescentOptions, type TimePointTrial } from "./time-point-descent.js";
