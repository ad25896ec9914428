export { CardFields, ModelCardError } from "./card-fields.js";
export {
  readModelCard,
  parseModelCard,
  MODEL_CARD_FORMAT,
  MODEL_CARD_VERSION,
  type ModelCard,
  type GeneratorSpec,
  type DecoderSpec,
} from "./model-card.js";
export { SEARCH_KEYS } from "./adapter.js";
export { linearRamp } from "./linear-ramp.js";
export type { GeneratorAdapter, OpenedGenerator, PolicyInit, SamplerFacts, ScheduleRequest, SearchKey } from "./adapter.js";
export { openRenderer, type CardRenderer } from "./render.js";
export { openOdeCard } from "./ode-card.js";
