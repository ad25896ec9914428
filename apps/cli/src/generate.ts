/**
 * Sample generation shared by `sample` and `compare`: N class-balanced images from a trained policy or a fixed
 * schedule, in chunks, as uint8 `[N,28,28,1]`.
 *
 * Seeding: chunk i (CHUNK images, in order) gets the i-th uint32 of `new Random(seed)` as its env seed, so the
 * output depends only on the seed and N, and a policy and a baseline run with the same seed start from the same
 * noise for the same labels.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  ActionDecoder,
  Random,
  balancedLabels,
  loadPolicy,
  nonAdaptive,
  readTensorFile,
  rollout,
  type ActionSpec,
  type GenerationEnv,
  type PolicyNetwork,
} from "@adagen/core";
import { UsageError, type ModelEntry, type OpenedModel, type PolicyInit, type ScheduleRequest } from "./models.js";

/** Images per env call. */
export const CHUNK = 64;

/**
 * A policy's `adaptive: false` (`adagen train --non-adaptive`, its file's info) marks one schedule shared by all
 * samples: it was trained on core's `nonAdaptive` env (constant features: the step index only) and runs on it too.
 */
export type SampleSource =
  | { kind: "policy"; actor: PolicyNetwork; actionSpec: ActionSpec; path: string; adaptive?: boolean }
  | { kind: "schedule"; schedule: ScheduleRequest };

export interface GeneratedImages {
  /** uint8 `[N,28,28,1]`, round(255·x) of the rendered [0,1] images. */
  images: Uint8Array;
  labels: Int32Array;
  shape: [number, number, number, number];
}

export async function generateImages(
  model: OpenedModel,
  source: SampleSource,
  n: number,
  seed: number,
  onProgress?: (done: number) => void,
): Promise<GeneratedImages> {
  const labels = balancedLabels(n, model.env.numClasses);
  const rng = new Random(seed);
  const decoder = source.kind === "policy" ? new ActionDecoder(source.actionSpec) : undefined;
  let images: Uint8Array | undefined;
  let shape: [number, number, number, number] = [n, 0, 0, 0];
  for (let start = 0; start < n; start += CHUNK) {
    const chunkLabels = labels.slice(start, Math.min(n, start + CHUNK));
    const chunkSeed = rng.nextUint32();
    const batch =
      source.kind === "policy"
        ? (await rollout(policyEnv(model.env, source), source.actor, decoder as ActionDecoder, chunkLabels, chunkSeed)).samples
        : await sampleFixed(model, source.schedule, chunkLabels, chunkSeed);
    if (batch.shape.length !== 4 || batch.shape[0] !== chunkLabels.length)
      throw new Error(`expected rendered images [${chunkLabels.length},H,W,C], got [${batch.shape.join(",")}]`);
    if (!images) {
      shape = [n, batch.shape[1], batch.shape[2], batch.shape[3]];
      images = new Uint8Array(n * shape[1] * shape[2] * shape[3]);
    }
    const offset = start * shape[1] * shape[2] * shape[3];
    for (let i = 0; i < batch.data.length; i++) images[offset + i] = Math.round(255 * Math.min(1, Math.max(0, batch.data[i])));
    onProgress?.(start + chunkLabels.length);
  }
  return { images: images as Uint8Array, labels, shape };
}

/** The env a policy runs on: the model's own, or core's `nonAdaptive` view of it for a shared-schedule policy. */
export function policyEnv<E extends GenerationEnv>(env: E, source: { adaptive?: boolean }): E {
  return source.adaptive === false ? nonAdaptive(env) : env;
}

/**
 * The schedule a policy file was trained around (its residual; `adagen train --init`), from its info: open the model
 * with it so the env's action spec matches the policy's. Undefined for the paper's heuristic or a missing file.
 */
export async function policyInitOf(path: string, entry: ModelEntry, steps: number): Promise<PolicyInit | undefined> {
  if (!existsSync(path)) return undefined;
  let meta: Record<string, unknown>;
  try {
    meta = (await readTensorFile(path)).meta;
  } catch (err) {
    throw new UsageError(`${path}: not a readable policy (${(err as Error).message})`);
  }
  // A policy for another model or step count is refused by loadPolicyFor, with that reason; its init is not used.
  return meta.model === entry.name && meta.steps === steps ? (meta.init as PolicyInit | undefined) : undefined;
}

/**
 * The shipped policy for a model and step count (`--policy default`): M-T.adagen in the card's `policies` folder
 * (the zoo's: packages/zoo/policies); it may not exist, and a card without the folder ships none.
 */
export function shippedPolicyPath(entry: ModelEntry, steps: number): string {
  return join(entry.card.policies ?? "(no policies folder)", `${entry.name}-${steps}.adagen`);
}

/**
 * A fixed schedule's samples; the env's time-grid checks (e.g. two points of a logSNR grid closer than the sampler's
 * 0.01 minimum gap at 16 steps) become a usage error that names the schedule.
 */
async function sampleFixed(model: OpenedModel, schedule: ScheduleRequest, labels: Int32Array, seed: number) {
  try {
    return await model.sampleSchedule(schedule, labels, seed);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`the ${schedule.name} schedule cannot run at this step count: ${err.message}`);
    throw err;
  }
}

/**
 * Loads a policy file and checks it belongs to this model and step count: its info (written by `adagen train`) must
 * name them, and its action spec must be the env's (same keys, heuristic and smoothing, T+1 decisions).
 */
export async function loadPolicyFor(path: string, entry: ModelEntry, steps: number, model: OpenedModel): Promise<SampleSource> {
  if (!existsSync(path)) throw new UsageError(`${path}: no such policy file`);
  let loaded: Awaited<ReturnType<typeof loadPolicy>>;
  try {
    loaded = await loadPolicy(path);
  } catch (err) {
    throw new UsageError(`${path}: not a readable policy (${(err as Error).message})`);
  }
  const { actor, actionSpec, meta } = loaded;
  const fail = (why: string): never => {
    actor.dispose();
    throw new UsageError(`${path}: ${why}`);
  };
  const trainedFor = (m: unknown, s: unknown) => `${String(m)} at ${String(s)} steps`;
  if (meta.model !== undefined || meta.steps !== undefined) {
    if (meta.model !== entry.name || meta.steps !== steps)
      fail(`policy was trained for ${trainedFor(meta.model, meta.steps)}, not ${trainedFor(entry.name, steps)}`);
  }
  if (JSON.stringify(actionSpec) !== JSON.stringify(model.env.actionSpec))
    fail(`policy's action spec (${actionSpec.heuristic.length} decisions) does not match ${trainedFor(entry.name, steps)}`);
  const [tokens, featureDim] = model.env.featureShape;
  const cfg = actor.config;
  if (cfg.tokens !== tokens || cfg.featureDim !== featureDim)
    fail(`policy reads features [${cfg.tokens},${cfg.featureDim}], ${entry.name} gives [${tokens},${featureDim}]`);
  return { kind: "policy", actor, actionSpec, path, adaptive: meta.adaptive !== false };
}
