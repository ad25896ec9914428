export { MaskGitEnv, type MaskGitEnvOptions, type TokenRenderer } from "./env.js";
export { OnnxMaskGitModel, MAX_CHUNK, type MaskGitModel, type OnnxMaskGitModelOptions } from "./model.js";
export { maskGitSchedule, maskedCount, MASKGIT_KEYS, MASK_SCHEDULES, type FixedGuidance, type FixedMaskRatios, type MaskGitHeuristicOptions, type MaskScheduleName } from "./heuristic.js";
export { maskGitStep, type MaskGitStepInput } from "./step.js";
export { maskgitAdapter, readMaskGitSampler, MASKGIT_SCHEDULES, type MaskGitSampler } from "./card-adapter.js";
export { createSampler, train } from "./product.js";
