export type { Batch, Observation, ExecutedActions, GenerationEnv, LookaheadEnv, ResetOptions } from "./env.js";
export { supportsLookahead } from "./env.js";
export { actionValues, checkConditions, checkDecisionLeft } from "./env-checks.js";
export {
  sigmoid,
  logit,
  softplus,
  inverseSoftplus,
  activate,
  inverseActivate,
  type ActivationName,
} from "./actions/activations.js";
export { smoothSequence, unsmoothSequence } from "./actions/smoothing.js";
export {
  ActionDecoder,
  residualTable,
  residualOffsets,
  validateActionSpec,
  type ActionKeySpec,
  type ActionSpec,
} from "./actions/spec.js";
export { Random, branchStream, sampleStreams } from "./random.js";
export {
  coordinateDescent,
  descendKnobs,
  moveKnob,
  type ConfirmMove,
  type CoordinateDescentOptions,
  type DescentStage,
  type DescentTrial,
  type KnobDescentOptions,
  type KnobTrial,
  type Knobs,
} from "./coordinate-descent.js";
export { resamplePoints } from "./resample-points.js";
export { initTensorflow, BACKEND_ENV_VAR, type TfBackendName } from "./runtime/backend.js";
export { installFastWasmBatchMatMul } from "./runtime/wasm-matmul.js";
export {
  OnnxModel,
  type OnnxContract,
  type OnnxDType,
  type TensorContract,
  type FeedValue,
  type OnnxModelOptions,
} from "./runtime/onnx.js";
export { ParamStore } from "./nn/params.js";
export { linear, layerNorm, gelu, silu, adaLN, sinusoidalFeatures, oneHotRows } from "./nn/layers.js";
export { PolicyNetwork, policyNetworkConfig, type PolicyNetworkConfig } from "./nn/policy.js";
export { DEFAULT_PPO_CONFIG, explorationStdAt, resolvePPOConfig, type PPOConfig } from "./ppo/config.js";
export { gaussianLogProb, gaussianLogProbValues } from "./ppo/gaussian.js";
export { RolloutBuffer, standardizeReturns, type TransitionBatch } from "./ppo/buffer.js";
export { ppoLoss, ppoUpdate, type PPOLossTerms, type PPOUpdateStats } from "./ppo/ppo.js";
export {
  FunctionReward,
  type RewardModel,
  type LabeledBatch,
  type RealDataSource,
} from "./rewards/reward.js";
export type { Discriminator } from "./rewards/discriminator.js";
export { MLPDiscriminator, type MLPDiscriminatorConfig } from "./rewards/mlp-discriminator.js";
export { ViTDiscriminator, type ViTDiscriminatorConfig } from "./rewards/vit-discriminator.js";
export { ProjectedDiscriminator, loadViTBackbone, saveViTBackbone, DEFAULT_PROJECTED_HEAD, type ProjectedHeadConfig } from "./rewards/projected-discriminator.js";
export { ViTEncoder, DEFAULT_VIT, type ViTEncoderConfig } from "./nn/vit.js";
export { AdversarialReward, DISCRIMINATOR_LOSSES, discriminatorLoss, type AdversarialRewardConfig, type DiscriminatorLoss } from "./rewards/adversarial.js";
export { ClassifierReward, type ClassifierRewardOptions } from "./rewards/classifier-reward.js";
export { FeatureFidReward, pooledFeatures } from "./rewards/feature-fid-reward.js";
export { featureSpaceFile, openFeatureSpace, type FeatureSpace } from "./rewards/feature-space.js";
export { MeanReward } from "./rewards/mean-reward.js";
export { FrechetInfluenceReward, classFeatures, influenceTerms, influenceAt, symmetricRoot, type FrechetInfluenceOptions, type Influence } from "./rewards/frechet-influence-reward.js";
export { DIFFAUGMENT_DEFAULTS, translateCutout, type ImageAugment, type TranslateCutoutOptions } from "./rewards/augment.js";
export { LowPassDiscriminator, blockLowPass } from "./rewards/low-pass.js";
export {
  NEGATIVES,
  NEGATIVE_FRACTION,
  NOISED_REALS_DEFAULTS,
  SHARPENED_REALS_DEFAULTS,
  discriminatorNegatives,
  noisedOrSharpenedReals,
  noisedReals,
  sharpenedReals,
  withNegatives,
  type DiscriminatorNegatives,
  type Negatives,
  type NoisedRealsOptions,
  type SharpenedRealsOptions,
} from "./rewards/negatives.js";
export {
  rollout,
  uniformLabels,
  balancedLabels,
  type RolloutOptions,
  type RolloutResult,
  type RecordedTransitions,
} from "./rollout.js";
export {
  AdaGenTrainer,
  savePolicy,
  loadPolicy,
  type TrainerOptions,
  type TrainOptions,
  type IterationMetrics,
} from "./train/trainer.js";
export { NonFiniteError } from "./train/non-finite.js";
export { writeTensorFile, readTensorFile, type TensorFile, type NamedArray } from "./train/tensor-file.js";
export { bestOfN, candidateSeed, pickBest, type BestOfNResult } from "./refine.js";
export { DialEnv, DialReward, blendActions, checkLambda, type DialLambda } from "./dial.js";
export { nonAdaptive, isNonAdaptive, sharedFeaturesOf, type NonAdaptiveOptions, type SharedFeatures } from "./non-adaptive.js";
export { classifierFreeGuidance, channelMask, type FloatArray } from "./guidance.js";
export { TokenSampler } from "./tokens/token-sampler.js";
export { statesToImages } from "./images/states-to-images.js";
export { ImageRealData, type UInt8Images } from "./images/image-real-data.js";
export {
  sizeOf,
  ENDPOINTS,
  GuidedOdeEnv,
  sampleWithSchedule,
  OnnxOdeModel,
  odeModelContract,
  MAX_CHUNK,
  type OdeModel,
  type Endpoint,
  type OdeSolver,
  type GuidedOdeEnvConfig,
  type ScheduledSamplingOptions,
  type OnnxOdeModelOptions,
  type OdeGraphNames,
  type RenderTransform,
  type NoiseSchedule,
  dataPrediction,
  dpmSolverFirstOrder,
  dpmSolver2S,
  dpmSolver2M,
  MIN_RATIO_STEP,
  type FirstOrderArgs,
  type SingleStepArgs,
  type MultiStepArgs,
  batchDim,
  checkSameLength,
  guidancePerDecision,
  guidancePerEvaluation,
  scheduleGuidance,
  descendTimePoints,
  moveTimePoint,
  type TimePointDescentOptions,
  type TimePointTrial,
} from "./ode/index.js";
export {
  CardFields,
  ModelCardError,
  readModelCard,
  parseModelCard,
  MODEL_CARD_FORMAT,
  MODEL_CARD_VERSION,
  openRenderer,
  openOdeCard,
  linearRamp,
  SEARCH_KEYS,
  type SearchKey,
  type ModelCard,
  type GeneratorSpec,
  type DecoderSpec,
  type GeneratorAdapter,
  type OpenedGenerator,
  type PolicyInit,
  type SamplerFacts,
  type ScheduleRequest,
  type CardRenderer,
} from "./card/index.js";
export * from "./product/index.js";
