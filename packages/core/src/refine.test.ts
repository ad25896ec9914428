import { describe, expect, it } from "vitest";
import { ActionDecoder } from "./actions/spec.js";
import { bestOfN, candidateSeed, pickBest } from "./refine.js";
import { rollout } from "./rollout.js";
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

  it("one candidate is plain sampling with the same seed", async () => {
    const env = new ToyTargetEnv(2);
    const decoder = new ActionDecoder(env.actionSpec);
    const labels = Int32Array.from({ length: 8 }, (_, i) => i % 2);
    const one = await bestOfN(env, undefined, decoder, labels, 9, { candidates: 1, reward: new FunctionReward(toyReward) });
    const plain = await rollout(env, undefined, decoder, labels, 9);
    expect([...one.samples.data]).toEqual([...plain.samples.data]);
    expect([...one.chosen]).toEqual(new Array(8).fill(0));
  });
});

describe("candidateSeed", () => {
  it("candidate 0 is the plain seed; the others differ from it and from each other", () => {
    expect(candidateSeed(1234, 0)).toBe(1234);
    const seeds = [0, 1, 2, 3, 4, 5].map((c) => candidateSeed(1234, c));
    expect(new Set(seeds).size).toBe(6);
    expect(candidateSeed(1234, 3)).toBe(seeds[3]);
    expect(() => candidateSeed(1, -1)).toThrow(/got -1/);
  });
});

describe("pickBest", () => {
  it("keeps each sample's highest-scoring candidate, the earliest on ties", () => {
    const batch = (v: number) => ({ data: Float32Array.from([v, v, v + 0.5, v + 0.5, v + 0.25, v + 0.25]), shape: [3, 2] });
    const r = pickBest([batch(0), batch(10), batch(20)], [Float32Array.of(1, 5, 2), Float32Array.of(3, 5, 0), Float32Array.of(2, 4, 2)]);
    expect([...r.chosen]).toEqual([1, 0, 0]);
    expect([...r.scores]).toEqual([3, 5, 2]);
    expect([...r.samples.data]).toEqual([10, 10, 0.5, 0.5, 0.25, 0.25]);
    expect(() => pickBest([batch(0)], [])).toThrow(/1 batches and 0 score arrays/);
  });
});

function mean(x: Float32Array): number {
  return x.reduce((a, b) => a + b, 0) / x.length;
}
