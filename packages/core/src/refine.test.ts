import { describe, expect, it } from "vitest";
import { ActionDecoder } from "./actions/spec.js";
import { bestOfN } from "./refine.js";
import { FunctionReward } from "./rewards/reward.js";
import { ToyTargetEnv, toyReward } from "./testing/toy-env.js";

describe("bestOfN", () => {
  it("keeps the best-scoring candidate per sample and never scores below plain sampling", async () => {
    const env = new ToyTargetEnv(2);
    const decoder = new ActionDecoder(env.actionSpec);
    const reward = new FunctionReward(toyReward);
    const labels = Int32Array.from({ length: 32 }, (_, i) => i % 2);
    const one = await bestOfN(env, undefined, decoder, labels, 5, { candidates: 1, reward });
    const four = await bestOfN(env, undefined, decoder, labels, 5, { candidates: 4, reward });
    // Candidate 0 uses the same seed in both runs, so four candidates can only match or improve each sample.
    four.scores.forEach((s, b) => expect(s).toBeGreaterThanOrEqual(one.scores[b]));
    expect(mean(four.scores)).toBeGreaterThan(mean(one.scores));
    expect(new Set(four.chosen).size).toBeGreaterThan(1);
    // The kept samples are the ones the scores belong to.
    const rescored = await reward.score(four.samples, labels);
    expect([...rescored]).toEqual([...four.scores]);
    await expect(bestOfN(env, undefined, decoder, labels, 5, { candidates: 0, reward })).rejects.toThrow(/got 0/);
  });
});

function mean(x: Float32Array): number {
  return x.reduce((a, b) => a + b, 0) / x.length;
}
