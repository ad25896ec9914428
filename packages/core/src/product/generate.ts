/**
 * Image generation shared by sampling, comparisons, validation and the baseline search: N class-balanced images from
 * a trained policy or a fixed schedule, in chunks, as uint8 `[N,H,W,C]`.
 *
 * Seeding: chunk i (CHUNK images, in order) gets the i-th uint32 of `new Random(seed)` as its env seed, so the
 * output depends only on the seed and N, and a policy and a baseline run with the same seed start from the same
 * noise for the same labels.
 *
 * Refinement (`Refinement`, docs/method.md §12): best-of-N draws each chunk `candidates` times, candidate c from
 * `candidateSeed(chunk seed, c)`, and keeps for each image the candidate its reward scores highest (candidate 0 is
 * the plain chunk, so one candidate is plain sampling); lookahead runs inside each draw (core's `rollout`).
 */
import { kMaxLength } from "node:buffer";
import { ActionDecoder, type ActionSpec } from "../actions/spec.js";
import type { OpenedGenerator, ScheduleRequest } from "../card/adapter.js";
import type { Batch, GenerationEnv } from "../env.js";
import type { PolicyNetwork } from "../nn/policy.js";
import { DialEnv } from "../dial.js";
import { nonAdaptive, type SharedFeatures } from "../non-adaptive.js";
import { Random } from "../random.js";
import { candidateSeed, checkCandidates, pickBest } from "../refine.js";
import type { RewardModel } from "../rewards/reward.js";
import { balancedLabels, rollout } from "../rollout.js";
import { InputError } from "./input-error.js";

/** Images per env call. */
export const CHUNK = 64;

/**
 * A policy's `adaptive: false` (trained with the non-adaptive option, its file's info) marks one schedule shared by
 * all samples: it was trained on core's `nonAdaptive` env (features of the step index only, `sharedFeatures`; files
 * without it read constant ones) and runs on it.
 */
export type SampleSource =
  | {
      kind: "policy";
      actor: PolicyNetwork;
      actionSpec: ActionSpec;
      path: string;
      adaptive?: boolean;
      /** What a non-adaptive policy reads (core's `nonAdaptive`); absent: "constant", as files before "step" existed. */
      sharedFeatures?: SharedFeatures;
      /** A dial's fidelity policy: its frozen base policy and the blend weight λ (0: the base policy exactly). */
      dial?: { actor: PolicyNetwork; actionSpec: ActionSpec; lambda: number };
    }
  | { kind: "schedule"; schedule: ScheduleRequest };

export interface GeneratedImages {
  /** uint8 `[N,H,W,C]`, round(255·x) of the rendered [0,1] images. */
  images: Uint8Array;
  labels: Int32Array;
  shape: [number, number, number, number];
}

/**
 * Refuses an image count whose uint8 output `[N, ...imageShape]` cannot be one array (Node's limit, 4 GiB on
 * 64-bit), before any work: the request names the count and the most that fits. `imageShape` omitted: 1 byte each.
 */
export function checkImageCount(n: number, imageShape: readonly number[] = []): void {
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new InputError(`the number of images must be a positive integer, got ${n}`);
  const bytesEach = imageShape.reduce((a, b) => a * b, 1);
  if (n * bytesEach > kMaxLength)
    throw new InputError(
      `${n} images of ${imageShape.length ? imageShape.join("×") : "1"} bytes each do not fit in one array (at most ${kMaxLength} bytes); ` +
        `generate at most ${Math.floor(kMaxLength / bytesEach)} at a time`,
    );
}

/** Inference-time refinement of a policy's samples (docs/method.md §12). */
export interface Refinement {
  /** Best-of-N: draws per image (N + 1 for "best of N more"); 1 (the default) is plain sampling. */
  candidates?: number;
  /** Scores rendered images for best-of-N (the policy's trained discriminator); higher is kept. */
  reward?: RewardModel;
  /** Every chunk's candidates and their scores, before the pick (benchmarks score every N from one set of draws). */
  onCandidates?: (start: number, batches: Batch[], scores: Float32Array[]) => void;
  /** Lookahead with the value network at every transition but the last (a policy on a `LookaheadEnv` only). */
  lookahead?: { candidates: number; critic: PolicyNetwork };
}

/** N images with class-balanced labels (label i is floor(K·i/N)), or the given labels. */
export async function generateImages(
  model: OpenedGenerator,
  source: SampleSource,
  n: number,
  seed: number,
  onProgress?: (done: number) => void,
  givenLabels?: Int32Array,
  refine?: Refinement,
): Promise<GeneratedImages> {
  checkImageCount(n);
  const candidates = refine?.candidates ?? 1;
  checkCandidates(candidates);
  if (candidates > 1 && !refine?.reward) throw new RangeError("best-of-N needs a reward to score its candidates");
  if (refine?.lookahead && source.kind !== "policy") throw new InputError("lookahead evaluates next states with a policy's critic: sample with a policy");
  const labels = givenLabels ?? balancedLabels(n, model.env.numClasses);
  const rng = new Random(seed);
  const decoder = source.kind === "policy" ? new ActionDecoder(source.actionSpec) : undefined;
  const draw = async (chunkLabels: Int32Array, chunkSeed: number): Promise<Batch> =>
    source.kind === "policy"
      ? (await rollout(policyEnv(model.env, source), source.actor, decoder as ActionDecoder, chunkLabels, chunkSeed, { lookahead: refine?.lookahead })).samples
      : await sampleFixed(model, source.schedule, chunkLabels, chunkSeed);
  let images: Uint8Array | undefined;
  let shape: [number, number, number, number] = [n, 0, 0, 0];
  for (let start = 0; start < n; start += CHUNK) {
    const chunkLabels = labels.slice(start, Math.min(n, start + CHUNK));
    const chunkSeed = rng.nextUint32();
    let batch: Batch;
    if (candidates === 1) batch = await draw(chunkLabels, chunkSeed);
    else {
      const batches: Batch[] = [];
      const scores: Float32Array[] = [];
      for (let c = 0; c < candidates; c++) {
        batches.push(await draw(chunkLabels, candidateSeed(chunkSeed, c)));
        scores.push(await (refine!.reward as RewardModel).score(batches[c], chunkLabels));
      }
      refine!.onCandidates?.(start, batches, scores);
      batch = pickBest(batches, scores).samples;
    }
    if (batch.shape.length !== 4 || batch.shape[0] !== chunkLabels.length)
      throw new Error(`expected rendered images [${chunkLabels.length},H,W,C], got [${batch.shape.join(",")}]`);
    if (!images) {
      checkImageCount(n, batch.shape.slice(1));
      shape = [n, batch.shape[1], batch.shape[2], batch.shape[3]];
      images = new Uint8Array(n * shape[1] * shape[2] * shape[3]);
    }
    const offset = start * shape[1] * shape[2] * shape[3];
    quantizeImages(batch.data, images, offset);
    onProgress?.(start + chunkLabels.length);
  }
  return { images: images as Uint8Array, labels, shape };
}

/** Rendered [0,1] values as the uint8 images every output holds, round(255·x) clamped, written at `offset`. */
export function quantizeImages(values: Float32Array, out: Uint8Array, offset = 0): void {
  for (let i = 0; i < values.length; i++) out[offset + i] = Math.round(255 * Math.min(1, Math.max(0, values[i])));
}

/**
 * The env a policy runs on: the model's own, core's `nonAdaptive` view of it for a shared-schedule policy, or a
 * `DialEnv` blending a dial's fidelity policy with its base at the source's λ.
 */
export function policyEnv(
  env: GenerationEnv,
  source: { adaptive?: boolean; sharedFeatures?: SharedFeatures; dial?: { actor: PolicyNetwork; actionSpec: ActionSpec; lambda: number } },
): GenerationEnv {
  if (source.dial) return new DialEnv(env, source.dial, source.dial.lambda);
  return source.adaptive === false ? nonAdaptive(env, { features: source.sharedFeatures ?? "constant" }) : env;
}

/**
 * A fixed schedule's samples; the adapter's checks (e.g. two points of a logSNR grid closer than the sampler's
 * 0.01 minimum gap at 16 steps) become an input error that names the schedule.
 */
async function sampleFixed(model: OpenedGenerator, schedule: ScheduleRequest, labels: Int32Array, seed: number) {
  try {
    return await model.sampleSchedule(schedule, labels, seed);
  } catch (err) {
    if (err instanceof RangeError) throw new InputError(`the ${schedule.name} schedule cannot run: ${err.message}`);
    throw err;
  }
}
