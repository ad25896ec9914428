export type { Batch, Observation, ExecutedActions, GenerationEnv } from "./env.js";
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
  validateActionSpec,
  type ActionKeySpec,
  type ActionSpec,
} from "./actions/spec.js";
export { Random } from "./random.js";
