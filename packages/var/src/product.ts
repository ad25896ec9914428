/**
 * The two-line happy path for VAR models: core's `createSampler` and `train` with `varAdapter` bound.
 *
 *   const sampler = await createSampler({ model: "card.json", policy: "policy.adagen" });
 *   const { images, labels } = await sampler.sample({ labels: Int32Array.of(0, 1, 2), seed: 0 });
 */
import { bindAdapter } from "@adagen/core";
import { varAdapter } from "./card-adapter.js";

export const { createSampler, train } = bindAdapter(varAdapter);
