export { VarEnv, type VarEnvOptions, type LatentRenderer } from "./env.js";
export { OnnxVarModel, MAX_CHUNK, type VarModel, type OnnxVarModelOptions } from "./model.js";
export { VAR_KEYS, varSchedule, topKCount, rampedGuidance, type VarDefaults, type VarRamps } from "./heuristic.js";
export { ScaleLayout, bicubicMatrix, resizeTokenGrid } from "./scales.js";
export { varScaleStep, type VarScaleInput } from "./step.js";
export { varAdapter, readVarSampler, VAR_SCHEDULES, type VarSampler } from "./card-adapter.js";
export { createSampler, train } from "./product.js";
