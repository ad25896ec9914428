/**
 * Policy files (`savePolicy`, written by training) opened for a model: the file's info must name the model and step
 * count, and its action spec must be the env's; the schedule it was trained around (its residual, `init`) is read
 * first so the model can be opened with it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { OpenedGenerator, PolicyInit } from "../card/adapter.js";
import { loadPolicy } from "../train/trainer.js";
import { readTensorFile } from "../train/tensor-file.js";
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
  return { kind: "policy", actor, actionSpec, path, adaptive: meta.adaptive !== false };
}
