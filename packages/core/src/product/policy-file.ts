/**
 * Policy files (`savePolicy`, written by training) opened for a model: the file's info must name the model and step
 * count, and its action spec must be the env's; the schedule it was trained around (its residual, `init`) is read
 * first so the model can be opened with it.
 */
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import type { OpenedGenerator, PolicyInit } from "../card/adapter.js";
import { AdversarialReward } from "../rewards/adversarial.js";
import type { Discriminator } from "../rewards/discriminator.js";
import { PolicyNetwork, type PolicyNetworkConfig } from "../nn/policy.js";
import type { ActionSpec } from "../actions/spec.js";
import { isSharedFeatures, type SharedFeatures } from "../non-adaptive.js";
import { loadPolicy } from "../train/trainer.js";
import { readTensorFile, writeTensorFile, type NamedArray } from "../train/tensor-file.js";
import { makeDiscriminator, type DiscriminatorChoice } from "./discriminators.js";
import type { SampleSource } from "./generate.js";
import { InputError } from "./input-error.js";
import type { AdaGenModel } from "./model.js";

/**
 * The schedule a policy file was trained around (its residual), from its info: open the model with it so the env's
 * action spec matches the policy's. Undefined for the paper's heuristic or a missing file.
 */
export async function policyInitOf(path: string, model: AdaGenModel, steps: number): Promise<PolicyInit | undefined> {
  if (!existsSync(path)) return undefined;
  let meta: Record<string, unknown>;
  try {
    meta = (await readTensorFile(path)).meta;
  } catch (err) {
    throw new InputError(`${path}: not a readable policy (${(err as Error).message})`);
  }
  // A policy for another model or step count is refused by openPolicy, with that reason; its init is not used.
  return meta.model === model.name && meta.steps === steps ? (meta.init as PolicyInit | undefined) : undefined;
}

/** The step count a policy file was trained for (its info), if it says. */
export async function policyStepsOf(path: string): Promise<number | undefined> {
  if (!existsSync(path)) throw new InputError(`${path}: no such policy file`);
  try {
    const steps = (await readTensorFile(path)).meta.steps;
    return typeof steps === "number" ? steps : undefined;
  } catch (err) {
    throw new InputError(`${path}: not a readable policy (${(err as Error).message})`);
  }
}

/**
 * The shipped policy for a model and step count: M-T.adagen in the card's `policies` folder (the zoo's:
 * packages/zoo/policies); it may not exist, and a card without the folder ships none.
 */
export function shippedPolicyPath(model: AdaGenModel, steps: number): string {
  return join(model.card.policies ?? "(no policies folder)", `${model.name}-${steps}.adagen`);
}

/**
 * Loads a policy file and checks it belongs to this model and step count: its info (written by training) must name
 * them, and its action spec must be the env's (same keys, heuristic and smoothing, T+1 decisions).
 */
export async function openPolicy(path: string, model: AdaGenModel, steps: number, opened: OpenedGenerator): Promise<SampleSource & { kind: "policy" }> {
  if (!existsSync(path)) throw new InputError(`${path}: no such policy file`);
  let loaded: Awaited<ReturnType<typeof loadPolicy>>;
  try {
    loaded = await loadPolicy(path);
  } catch (err) {
    throw new InputError(`${path}: not a readable policy (${(err as Error).message})`);
  }
  const { actor, actionSpec, meta } = loaded;
  const fail = (why: string): never => {
    actor.dispose();
    throw new InputError(`${path}: ${why}`);
  };
  const trainedFor = (m: unknown, s: unknown) => `${String(m)} at ${String(s)} steps`;
  if (meta.model !== undefined || meta.steps !== undefined) {
    if (meta.model !== model.name || meta.steps !== steps)
      fail(`policy was trained for ${trainedFor(meta.model, meta.steps)}, not ${trainedFor(model.name, steps)}`);
  }
  if (JSON.stringify(actionSpec) !== JSON.stringify(opened.env.actionSpec))
    fail(`policy's action spec (${actionSpec.heuristic.length} decisions) does not match ${trainedFor(model.name, steps)}`);
  const [tokens, featureDim] = opened.env.featureShape;
  const cfg = actor.config;
  if (cfg.tokens !== tokens || cfg.featureDim !== featureDim)
    fail(`policy reads features [${cfg.tokens},${cfg.featureDim}], ${model.name} gives [${tokens},${featureDim}]`);
  let dial: { actor: PolicyNetwork; actionSpec: ActionSpec; lambda: number } | undefined;
  const dialBase = meta.dialBase as { network?: PolicyNetworkConfig } | undefined;
  if (dialBase) {
    const baseActor = new PolicyNetwork(dialBase.network as PolicyNetworkConfig, "actor");
    try {
      baseActor.params.import(scoped((await readTensorFile(path)).tensors, DIAL_BASE_KEYS));
    } catch (err) {
      baseActor.dispose();
      fail(`cannot restore the dial's base policy (${(err as Error).message})`);
    }
    dial = { actor: baseActor, actionSpec, lambda: 0 };
  }
  const adaptive = meta.adaptive !== false;
  const sharedFeatures = adaptive ? undefined : sharedFeaturesIn(meta, fail);
  return { kind: "policy", actor, actionSpec, path, adaptive, ...(sharedFeatures ? { sharedFeatures } : {}), ...(dial ? { dial } : {}) };
}

/** A non-adaptive policy file's `sharedFeatures`: "step", or "constant" (also when absent: files before "step"). */
export function sharedFeaturesIn(meta: Record<string, unknown>, fail: (why: string) => never): SharedFeatures {
  const kind = meta.sharedFeatures ?? "constant";
  if (!isSharedFeatures(kind)) fail(`its sharedFeatures is ${JSON.stringify(kind)}, not "step" or "constant"`);
  return kind;
}

/** Key prefixes of the discriminator's and the critic's weights in a policy file (the trainer checkpoint's, too). */
const DISCRIMINATOR_KEYS = "discriminator/";
const CRITIC_KEYS = "critic/";
const DIAL_BASE_KEYS = "base/";

/** What a policy file records of the discriminator it carries: the run's choice and the iteration it was taken at. */
export type CarriedDiscriminator = DiscriminatorChoice & { iteration: number };

/** One thing a policy file can carry beside its actor: an info entry and its arrays under their key prefix. */
export interface PolicyPart {
  infoKey: string;
  info: unknown;
  prefix: string;
  /** Keys with or without the prefix. */
  weights: Record<string, NamedArray>;
}

/**
 * Adds parts to a policy file in one atomic write (each replaces what the file held under its prefix), so a policy
 * can refine its samples or run the dial without its run.
 */
export async function attachToPolicy(policyFile: string, parts: PolicyPart[]): Promise<void> {
  const { meta, tensors } = await readTensorFile(policyFile);
  let kept = tensors;
  const info: Record<string, unknown> = {};
  const added: Record<string, NamedArray> = {};
  for (const { infoKey, info: value, prefix, weights } of parts) {
    if (Object.keys(weights).length === 0) throw new InputError(`${policyFile}: no ${infoKey} weights to attach`);
    kept = Object.fromEntries(Object.entries(kept).filter(([k]) => !k.startsWith(prefix)));
    for (const [k, v] of Object.entries(weights)) added[k.startsWith(prefix) ? k : prefix + k] = v;
    info[infoKey] = value;
  }
  await writeTensorFile(policyFile, { meta: { ...meta, ...info }, tensors: { ...kept, ...added } });
}

/** The arrays of a tensor file under `prefix`, with the prefix removed. */
function scoped(tensors: Record<string, NamedArray>, prefix: string): Record<string, NamedArray> {
  return Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

/**
 * The discriminator a policy was trained against, for best-of-N: `weights` are its parameters (a checkpoint's
 * `discriminator/…` keys, prefix included or not). A projected discriminator's backbone is recorded by file name
 * only: it is the model card's, which the policy is opened with.
 */
export function discriminatorPart(choice: DiscriminatorChoice, weights: Record<string, NamedArray>, iteration: number): PolicyPart {
  const recorded: CarriedDiscriminator = { ...(choice.kind === "projected" ? { ...choice, backbone: basename(choice.backbone) } : choice), iteration };
  return { infoKey: "discriminator", info: recorded, prefix: DISCRIMINATOR_KEYS, weights };
}

/**
 * The critic (value network) trained beside a policy, for lookahead (docs/method.md §12.2): `config` is its network
 * config (a checkpoint's info `critic`), `weights` its parameters (`critic/…` keys).
 */
export function criticPart(config: PolicyNetworkConfig, weights: Record<string, NamedArray>): PolicyPart {
  return { infoKey: "critic", info: config, prefix: CRITIC_KEYS, weights };
}

/**
 * The frozen base policy a dial's fidelity policy blends with (docs/method.md §12.3; `base/…` weights, its network in
 * the info `dialBase`), so sampling at any λ needs the fidelity policy's file alone.
 */
export async function dialBasePart(base: PolicyNetwork): Promise<PolicyPart> {
  return { infoKey: "dialBase", info: { network: base.config }, prefix: DIAL_BASE_KEYS, weights: await base.params.export() };
}

/** The discriminator weights a policy file carries (none: an empty record). */
export async function carriedDiscriminatorWeights(path: string): Promise<Record<string, NamedArray>> {
  return scoped((await readPolicyFile(path)).tensors, DISCRIMINATOR_KEYS);
}

/** The discriminator a policy file carries, as a part for another policy file (its info unchanged); none: undefined. */
export async function carriedDiscriminatorPart(path: string): Promise<PolicyPart | undefined> {
  const { meta, tensors } = await readPolicyFile(path);
  const carried = meta.discriminator as CarriedDiscriminator | undefined;
  const weights = scoped(tensors, DISCRIMINATOR_KEYS);
  if (!carried || Object.keys(weights).length === 0) return undefined;
  return discriminatorPart(carried, weights, carried.iteration);
}

/** A policy file's info and arrays; a missing or unreadable file is an input error naming it. */
async function readPolicyFile(path: string): Promise<Awaited<ReturnType<typeof readTensorFile>>> {
  if (!existsSync(path)) throw new InputError(`${path}: no such policy file`);
  try {
    return await readTensorFile(path);
  } catch (err) {
    throw new InputError(`${path}: not a readable policy (${(err as Error).message})`);
  }
}

/** The critic a policy file carries; a file without one is an input error that says so. Dispose it after use. */
export async function openPolicyCritic(path: string): Promise<PolicyNetwork> {
  const file = await readPolicyFile(path);
  const config = file.meta.critic as PolicyNetworkConfig | undefined;
  if (!config || typeof config !== "object")
    throw new InputError(`${path} carries no critic (it was written before policy files carried theirs); lookahead needs one: retrain, or attach the run's with tooling/zoo/attach-scorers.ts`);
  const critic = new PolicyNetwork(config, "critic");
  try {
    critic.params.import(scoped(file.tensors, CRITIC_KEYS));
  } catch (err) {
    critic.dispose();
    throw new InputError(`${path}: cannot restore its critic (${(err as Error).message})`);
  }
  return critic;
}

/** A policy file's discriminator as a reward (sigmoid of its mean logit, as in training), for best-of-N. */
export interface PolicyReward {
  reward: AdversarialReward;
  /** The iteration of the run it was taken at. */
  iteration: number;
  dispose(): void;
}

/**
 * The discriminator a policy file carries, rebuilt for `model` (a projected one on the card's backbone). A file
 * without one (written before policies carried theirs, or not by training) is an input error that says so.
 */
export async function openPolicyReward(path: string, model: AdaGenModel): Promise<PolicyReward> {
  const file = await readPolicyFile(path);
  const carried = file.meta.discriminator as CarriedDiscriminator | undefined;
  if (!carried || typeof carried !== "object")
    throw new InputError(`${path} carries no discriminator (it was written before policy files carried theirs); refinement needs one: retrain, or attach the run's with tooling/zoo/attach-scorers.ts`);
  let choice: DiscriminatorChoice = carried;
  if (carried.kind === "projected") {
    const backbone = model.card.discriminator?.backbone;
    if (!backbone) throw new InputError(`${path}: its discriminator needs a backbone, and ${model.card.file} names no "discriminator.backbone"`);
    if (basename(backbone) !== carried.backbone)
      throw new InputError(`${path}: its discriminator was trained on the backbone ${carried.backbone}, ${model.card.file} names ${basename(backbone)}`);
    choice = { ...carried, backbone };
  }
  let discriminator: Discriminator | undefined;
  try {
    discriminator = await makeDiscriminator(choice, 0);
    discriminator.params.import(scoped(file.tensors, DISCRIMINATOR_KEYS));
  } catch (err) {
    disposeDiscriminator(discriminator);
    if (err instanceof InputError) throw err;
    throw new InputError(`${path}: cannot restore its discriminator (${(err as Error).message})`);
  }
  const reward = new AdversarialReward(discriminator);
  return {
    reward,
    iteration: carried.iteration,
    dispose() {
      reward.dispose();
      disposeDiscriminator(discriminator);
    },
  };
}

/** Discriminators that hold more than their parameters (a projected one's backbone) dispose it themselves. */
function disposeDiscriminator(d: Discriminator | undefined): void {
  if (!d) return;
  const own = (d as { dispose?: () => void }).dispose;
  if (own) own.call(d);
  else d.params.dispose();
}

/** Releases what `openPolicy` loaded: the actor, and a dial's base policy. */
export function disposePolicy(source: { actor: PolicyNetwork; dial?: { actor: PolicyNetwork } }): void {
  source.actor.dispose();
  source.dial?.actor.dispose();
}
