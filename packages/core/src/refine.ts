import type { ActionDecoder } from "./actions/spec.js";
import type { Batch, GenerationEnv } from "./env.js";
import type { PolicyNetwork } from "./nn/policy.js";
import { Random } from "./random.js";
import type { RewardModel } from "./rewards/reward.js";
import { rollout } from "./rollout.js";

/**
 * Inference-time refinement by repeated sampling (docs/method.md §12.1, paper Algorithm 2): draw `candidates`
 * samples per condition from different initial randomness, score each with the reward model (the trained
 * discriminator), keep the best per condition. `candidates = 1` is plain sampling.
 */
export interface BestOfNResult {
  samples: Batch;
  /** Reward of the kept candidate per sample. */
  scores: Float32Array;
  /** Index of the kept candidate per sample. */
  chosen: Int32Array;
}

/** Salt of the candidate seed stream, so it is not the stream an env seeded with `seed` draws from. */
const CANDIDATE_SALT = 0x5bd1e995;

/**
 * The seed of candidate `c` for a batch whose plain seed is `seed`: candidate 0 is plain sampling (the seed itself),
 * so refinement only adds candidates; candidate c ≥ 1 is the c-th draw of a salted stream of `seed`.
 */
export function candidateSeed(seed: number, c: number): number {
  if (!(Number.isInteger(c) && c >= 0)) throw new RangeError(`candidate index must be a non-negative integer, got ${c}`);
  if (c === 0) return seed >>> 0;
  const stream = new Random((seed ^ CANDIDATE_SALT) >>> 0);
  let s = 0;
  for (let i = 0; i < c; i++) s = stream.nextUint32();
  return s;
}

/** Checks a candidate count (N + 1 for "best of N more"). */
export function checkCandidates(candidates: number): void {
  if (!(Number.isInteger(candidates) && candidates >= 1))
    throw new RangeError(`candidates must be a positive integer, got ${candidates}`);
}

/**
 * Per sample, the candidate with the highest score (the first on ties, so candidate 0 is kept unless beaten).
 * `batches[c]` and `scores[c]` are candidate c's samples `[B, …]` and their scores.
 */
export function pickBest(batches: Batch[], scores: Float32Array[]): BestOfNResult {
  if (batches.length === 0 || batches.length !== scores.length)
    throw new RangeError(`pickBest needs one score array per candidate batch, got ${batches.length} batches and ${scores.length} score arrays`);
  const { shape } = batches[0];
  const B = shape[0];
  const size = batches[0].data.length / B;
  const chosen = new Int32Array(B);
  const best = scores[0].slice();
  for (let c = 1; c < batches.length; c++) {
    if (batches[c].shape.join(",") !== shape.join(",") || scores[c].length !== B)
      throw new RangeError(`candidate ${c} has shape [${batches[c].shape}] and ${scores[c].length} scores, candidate 0 [${shape}] and ${B}`);
    for (let b = 0; b < B; b++)
      if (scores[c][b] > best[b]) {
        best[b] = scores[c][b];
        chosen[b] = c;
      }
  }
  const data = new Float32Array(batches[0].data.length);
  for (let b = 0; b < B; b++) data.set(batches[chosen[b]].data.subarray(b * size, (b + 1) * size), b * size);
  return { samples: { data, shape: [...shape] }, scores: best, chosen };
}

/** Best of `candidates` rollouts of the deterministic policy (no actor: the heuristic) on one batch of labels. */
export async function bestOfN(
  env: GenerationEnv,
  actor: PolicyNetwork | undefined,
  decoder: ActionDecoder,
  labels: Int32Array,
  seed: number,
  options: { candidates: number; reward: RewardModel },
): Promise<BestOfNResult> {
  const { candidates, reward } = options;
  checkCandidates(candidates);
  const batches: Batch[] = [];
  const scores: Float32Array[] = [];
  for (let c = 0; c < candidates; c++) {
    const { samples } = await rollout(env, actor, decoder, labels, candidateSeed(seed, c));
    batches.push(samples);
    scores.push(await reward.score(samples, labels));
  }
  return pickBest(batches, scores);
}
