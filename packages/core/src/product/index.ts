export { InputError } from "./input-error.js";
export { loadModel, openModel, type AdaGenModel } from "./model.js";
export {
  BASELINES_FORMAT,
  baselineFor,
  heuristicSchedule,
  bestBaseline,
  bestConstantGuidance,
  describeSchedule,
  describeSearchKeys,
  lowestFid,
  readBaselines,
  scheduleKey,
  topCandidates,
  type BaselineRescore,
  type BaselineRefinement,
  type BaselineResult,
  type BaselineSearch,
  type BaselinesFile,
  type ScoredSchedule,
} from "./baselines-file.js";
export { Scorer, type Scores, type StatsSplit } from "./scoring.js";
export { loadRealImages } from "./real-images.js";
export { CHUNK, checkImageCount, generateImages, policyEnv, quantizeImages, type GeneratedImages, type Refinement, type SampleSource } from "./generate.js";
export { attachToPolicy, carriedDiscriminatorPart, carriedDiscriminatorWeights, criticPart, dialBasePart, discriminatorPart, disposePolicy, openPolicy, openPolicyCritic, openPolicyReward, policyInitOf, policyStepsOf, shippedPolicyPath, type CarriedDiscriminator, type PolicyPart, type PolicyReward } from "./policy-file.js";
export { MAX_BEST_OF, MAX_LOOKAHEAD, createSampler, type Sampler, type SamplerOptions, type SampleRequest } from "./sampler.js";
export { AUGMENTS, PRESETS, preset, type Augment, type PresetName, type Recipe, type TrainingPreset, type Validation } from "./recipes.js";
export { DISCRIMINATORS, discriminatorFor, makeDiscriminator, type DiscriminatorChoice, type DiscriminatorName } from "./discriminators.js";
export { REWARDS, INIT_NAMES, train, policyInit, scheduleInit, type InitName, type RewardName, type TrainEvent, type TrainResult, type TrainRunOptions } from "./train-run.js";
export { bindAdapter, type BoundProduct } from "./bind.js";
