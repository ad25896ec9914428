/**
 * The two-line happy path for diffusion models: core's `createSampler` and `train` with `diffusionAdapter` bound.
 *
 *   const sampler = await createSampler({ model: "card.json", policy: "policy.adagen" });
 *   const { images, labels } = await sampler.sample({ labels: Int32Array.of(0, 1, 2), seed: 0 });
 */
import {
  createSampler as createCoreSampler,
  train as trainCore,
  type Sampler,
  type SamplerOptions,
  type TrainResult,
  type TrainRunOptions,
} from "@adagen/core";
import { diffusionAdapter } from "./card-adapter.js";

/** A sampler for a diffusion model card (a trained policy, or a fixed schedule). */
export function createSampler(options: Omit<SamplerOptions, "adapter">): Promise<Sampler> {
  return createCoreSampler({ ...options, adapter: diffusionAdapter });
}

/** One resumable training run for a diffusion model card (preset "cpu-small" by default, or "paper"). */
export function train(options: Omit<TrainRunOptions, "adapter">): Promise<TrainResult> {
  return trainCore({ ...options, adapter: diffusionAdapter });
}
