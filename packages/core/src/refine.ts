import type { ActionDecoder } from "./actions/spec.js";
import type { Batch, GenerationEnv } from "./env.js";
import type { PolicyNetwork } from "./nn/policy.js";
import { Random } from "./random.js";
import type { RewardModel } from "./rewards/reward.js";
import { rollout } from "./rollout.js";

/**
 * Inference-time refinement by repeated sampling (docs/method.md §12.1, paper Algorithm 2): generate `candidates`
 * samples per condition with the deterministic policy (they differ through the generator's randomness, i.e.
 * the env seed), score each with the reward model (the trained discriminator), keep the best per condition.
 * `candidates = 1` is plain sampling.
 */
export interface BestOfNResult {
  samples: Batch;
  /** Reward of the kept candidate per sample. */
  scores: Float32Array;
  /** Index of the kept candidate per sample. */
  chosen: Int32Array;
}

export async function bestOfN(
  env: GenerationEnv,
  actor: PolicyNetwork | undefined,
  decoder: ActionDecoder,
  labels: Int32Array,
  seed: number,
  options: { candidates: number; reward: RewardModel },
): Promise<BestOfNResult> {
  const { candidates, reward } = options;
  if (!(Number.isInteger(candidates) && candidates >= 1))
    throw new RangeError(`candidates must be a positive integer, got ${candidates}`);
  const B = labels.length;
  const seeds = new Random(seed);
  let best: BestOfNResult | undefined;
  for (let c = 0; c < candidates; c++) {
    const { samples } = await rollout(env, actor, decoder, labels, seeds.nextUint32());
    const scores = await reward.score(samples, labels);
    if (!best) {
      best = { samples: { data: samples.data.slice(), shape: samples.shape }, scores: scores.slice(), chosen: new Int32Array(B) };
      continue;
    }
    const size = samples.data.length / B;
    for (let b = 0; b < B; b++) {
      if (scores[b] > best.scores[b]) {
        best.scores[b] = scores[b];
        best.chosen[b] = c;
        best.samples.data.set(samples.data.subarray(b * size, (b + 1) * size), b * size);
      }
    }
  }
  return best!;
}
