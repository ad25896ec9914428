/**
 * `createSampler`: the two-line happy path for sampling a generator with a trained policy (or a fixed schedule).
 *
 *   const sampler = await createSampler({ adapter: diffusionAdapter, model: "card.json", policy: "policy.adagen" });
 *   const { images, labels } = await sampler.sample({ labels: Int32Array.of(0, 1, 2), seed: 0 });
 *
 * The paradigm packages bind the adapter (`createSampler` of `@adagen/diffusion` and `@adagen/flow` take the same
 * options without it). Images are uint8 `[N,H,W,C]`; the same seed gives the same initial noise whatever the sampler,
 * and the output is what `adagen sample` writes for the same labels and seed.
 *
 * `bestOf: N` refines a policy's samples (docs/method.md §12.1): N more candidates per image from other initial
 * randomness, the one the policy's own discriminator (carried in its file) scores highest kept; N = 0 is plain sampling.
 * `lookahead: K` (§12.2, stochastic paradigms) tries every transition but the last K times and continues from the
 * next state the policy's critic (carried in its file) values highest; K = 1 is plain sampling. `lambda` sets the
 * fidelity-diversity dial of a dial's fidelity policy (§12.3): 0 is its base policy exactly, 1 the fidelity policy.
 */
import type { GeneratorAdapter, OpenedGenerator, ScheduleRequest } from "../card/adapter.js";
import type { ModelCard } from "../card/model-card.js";
import { initTensorflow } from "../runtime/backend.js";
import { bestBaseline } from "./baselines-file.js";
import { checkImageCount, generateImages, type GeneratedImages, type SampleSource } from "./generate.js";
import { InputError } from "./input-error.js";
import { loadModel, openModel, type AdaGenModel } from "./model.js";
import type { PolicyNetwork } from "../nn/policy.js";
import { disposePolicy, openPolicy, openPolicyCritic, openPolicyReward, policyInitOf, policyStepsOf, shippedPolicyPath, type PolicyReward } from "./policy-file.js";

export interface SamplerOptions {
  /** Runs the card's paradigm (`diffusionAdapter`, `flowAdapter`). */
  adapter: GeneratorAdapter;
  /** The model card, or its file. */
  model: ModelCard | string;
  /** A policy file; "default" for the card's shipped one. Omit for a fixed schedule. */
  policy?: string;
  /** Model evaluations per sample; a policy's own when omitted. */
  steps?: number;
  /** Without a policy: a fixed schedule by name ("best": the card's searched best); default the heuristic. */
  schedule?: ScheduleRequest | "best";
}

export interface SampleRequest {
  /** Class labels, one per image (0..classes − 1); or `n` for class-balanced labels. */
  labels?: Int32Array;
  n?: number;
  seed: number;
  onProgress?: (done: number) => void;
  /** Extra candidates per image for best-of-N refinement (a policy's only); 0 or omitted: plain sampling. */
  bestOf?: number;
  /** Candidate next states per transition for lookahead (a policy's, MaskGIT/VAR); 1 or omitted: plain sampling. */
  lookahead?: number;
  /** The dial's λ in [0, 1] for a dial's fidelity policy (0, the default: its base policy; 1: the fidelity policy). */
  lambda?: number;
}

export interface Sampler {
  readonly model: AdaGenModel;
  readonly steps: number;
  /** What samples: "policy PATH" or the schedule. */
  readonly description: string;
  sample(request: SampleRequest): Promise<GeneratedImages>;
  dispose(): Promise<void>;
}

/** The most extra candidates per image (each costs a full sampling pass). */
export const MAX_BEST_OF = 64;
/** The most candidate next states per transition (each costs a generator pass). */
export const MAX_LOOKAHEAD = 16;

export async function createSampler(options: SamplerOptions): Promise<Sampler> {
  const model = loadModel(options.model, options.adapter);
  if (options.policy !== undefined && options.schedule !== undefined) throw new InputError("give a policy or a schedule, not both");
  let policyPath = options.policy;
  let steps = options.steps;
  if (policyPath === "default") {
    if (steps === undefined) throw new InputError(`policy "default" needs the step count (the shipped policies are per step count)`);
    policyPath = shippedPolicyPath(model, steps);
  }
  if (policyPath !== undefined) steps ??= await policyStepsOf(policyPath);
  if (!(Number.isInteger(steps) && steps! >= 1)) throw new InputError(`steps must be a positive integer (give steps, or a policy whose file names them), got ${String(steps)}`);
  const T = steps as number;
  await initTensorflow();
  const opened: OpenedGenerator = await openModel(model, T, policyPath !== undefined ? await policyInitOf(policyPath, model, T) : undefined);
  let source: SampleSource;
  try {
    if (policyPath !== undefined) source = await openPolicy(policyPath, model, T, opened);
    else if (options.schedule === "best") {
      const best = bestBaseline(model, T);
      if (!best) throw new InputError(`no searched baseline for ${model.name} at ${T} steps in ${model.card.baselines ?? "its card (no baselines file)"}`);
      source = { kind: "schedule", schedule: best.best.schedule };
    } else source = { kind: "schedule", schedule: options.schedule ?? { name: model.facts.schedules[0] } };
  } catch (err) {
    await opened.dispose();
    throw err;
  }
  const classes = model.card.classes.count;
  let policyReward: PolicyReward | undefined;
  let critic: PolicyNetwork | undefined;
  return {
    model,
    steps: T,
    description: source.kind === "policy" ? `policy ${source.path}` : `${source.schedule.name} schedule`,
    async sample({ labels, n, seed, onProgress, bestOf = 0, lookahead = 1, lambda }) {
      if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) throw new InputError(`seed must be an integer in 0..4294967295, got ${seed}`);
      if (labels) {
        if (labels.length === 0) throw new InputError("labels must hold at least one class label");
        for (const l of labels) if (!(Number.isInteger(l) && l >= 0 && l < classes)) throw new InputError(`label ${l} is outside 0..${classes - 1}`);
      } else if (!(Number.isInteger(n) && n! >= 1)) throw new InputError(`give labels, or n ≥ 1 class-balanced samples (got n = ${String(n)})`);
      if (!(Number.isInteger(bestOf) && bestOf >= 0 && bestOf <= MAX_BEST_OF))
        throw new InputError(`best-of must be an integer in 0..${MAX_BEST_OF} (extra candidates per image), got ${bestOf}`);
      const count = labels ? labels.length : (n as number);
      checkImageCount(count, model.card.image.shape);
      if (!(Number.isInteger(lookahead) && lookahead >= 1 && lookahead <= MAX_LOOKAHEAD))
        throw new InputError(`lookahead must be an integer in 1..${MAX_LOOKAHEAD} (candidate next states per transition), got ${lookahead}`);
      let drawn = source;
      if (lambda !== undefined) {
        if (source.kind !== "policy" || !source.dial)
          throw new InputError(`lambda blends a dial's fidelity policy with its base; ${source.kind === "policy" ? `${source.path} is not one (train one: adagen train --fidelity-of, or train({ fidelityOf }))` : "sample with one"}`);
        if (!(Number.isFinite(lambda) && lambda >= 0 && lambda <= 1)) throw new InputError(`lambda must be in [0, 1] (0: the base policy, 1: the fidelity policy), got ${lambda}`);
        drawn = { ...source, dial: { ...source.dial, lambda } };
      }
      if (lookahead > 1 && drawn.kind === "policy" && drawn.dial)
        throw new InputError(`${drawn.path}: lookahead does not combine with the dial (its critic values the fidelity policy's states alone)`);
      if (bestOf === 0 && lookahead === 1) return generateImages(opened, drawn, count, seed, onProgress, labels);
      if (source.kind !== "policy")
        throw new InputError(`${bestOf > 0 ? "best-of refinement scores with a policy's discriminator" : "lookahead values next states with a policy's critic"}: sample with a policy`);
      if (lookahead > 1 && !opened.env.stochastic)
        throw new InputError(`lookahead redraws stochastic transitions; ${model.name}'s (${model.card.paradigm}) are deterministic: use best-of instead`);
      if (lookahead > 1 && source.adaptive === false)
        throw new InputError(`${source.path}: lookahead needs an adaptive policy (this one was trained non-adaptive: one schedule for all samples)`);
      if (bestOf > 0) policyReward ??= await openPolicyReward(source.path, model);
      if (lookahead > 1) critic ??= await openPolicyCritic(source.path);
      return generateImages(opened, drawn, count, seed, onProgress, labels, {
        candidates: bestOf + 1,
        reward: policyReward?.reward,
        lookahead: lookahead > 1 ? { candidates: lookahead, critic: critic as PolicyNetwork } : undefined,
      });
    },
    async dispose() {
      policyReward?.dispose();
      critic?.dispose();
      if (source.kind === "policy") disposePolicy(source);
      await opened.dispose();
    },
  };
}
