import type { GeneratorAdapter } from "../card/adapter.js";
import { createSampler, type Sampler, type SamplerOptions } from "./sampler.js";
import { train, type TrainResult, type TrainRunOptions } from "./train-run.js";

export interface BoundProduct {
  /** A sampler for a model card of the adapter's paradigm (a trained policy, or a fixed schedule). */
  createSampler(options: Omit<SamplerOptions, "adapter">): Promise<Sampler>;
  /** One resumable training run for a model card of the adapter's paradigm (preset "cpu-small" by default). */
  train(options: Omit<TrainRunOptions, "adapter">): Promise<TrainResult>;
}

/** `createSampler` and `train` with a paradigm's adapter bound: what each paradigm package exports. */
export function bindAdapter(adapter: GeneratorAdapter): BoundProduct {
  return {
    createSampler: (options) => createSampler({ ...options, adapter }),
    train: (options) => train({ ...options, adapter }),
  };
}
