import { ActionDecoder, Random, initTensorflow, openPolicyCritic, residualTable, rollout, type ExecutedActions, type Observation } from "@adagen/core";
import { modelPath, zooPath } from "@adagen/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MaskGitEnv } from "./env.js";
import { maskGitSchedule, maskedCount } from "./heuristic.js";
import { OnnxMaskGitModel, type MaskGitModel } from "./model.js";

/** The zoo's maskgit-tiny graph (packages/zoo/README.md). */
const TINY = { tokens: 49, codebook: 512, maskId: 512, featureShape: [49, 128] as const, numClasses: 10 };

let model: OnnxMaskGitModel;
beforeAll(async () => {
  model = await OnnxMaskGitModel.load(modelPath("maskgit-tiny"), { ...TINY, chunkSize: 3 }); // small chunks: batches split
});
afterAll(async () => {
  await model?.dispose();
});

/**
 * docs/method.md §5.1 written out for one sample at a time (the env runs whole batches): the same per-sample stream
 * (seed → one uint32 per sample), drawing N categorical uniforms then N Gumbel uniforms per step.
 */
async function referenceSampler(m: MaskGitModel, rows: number[][], labels: Int32Array, seed: number): Promise<Int32Array[]> {
  const N = m.tokens;
  const K = m.codebook;
  const master = new Random(seed);
  const seeds = Array.from(labels, () => master.nextUint32());
  const out: Int32Array[] = [];
  for (let b = 0; b < labels.length; b++) {
    const rng = new Random(seeds[b]);
    let ids = new Int32Array(N).fill(m.maskId);
    let sampled = ids;
    for (const [ratio, beta, tau, w] of rows.map((r) => r.map(Math.fround))) {
      const lc = (await m.predict(ids, Int32Array.of(labels[b]), 1)).logits;
      const lu = (await m.predict(ids, Int32Array.of(m.numClasses), 1)).logits;
      const x = new Int32Array(N);
      const conf = new Array<number>(N);
      for (let i = 0; i < N; i++) {
        const L = Array.from({ length: K }, (_, j) => Math.fround(lc[i * K + j] + Math.fround(w * Math.fround(lc[i * K + j] - lu[i * K + j]))));
        const top = Math.max(...L);
        const p = L.map((l) => Math.exp((l - top) / tau));
        const total = p.reduce((a, c) => a + c, 0);
        let u = rng.uniform() * total;
        let pick = K - 1;
        for (let j = 0; j < K; j++) if ((u -= p[j]) < 0) { pick = j; break; }
        const logZ = Math.log(L.reduce((a, l) => a + Math.exp(l - top), 0));
        if (ids[i] !== m.maskId) {
          x[i] = ids[i];
          conf[i] = Infinity;
        } else {
          x[i] = pick;
          conf[i] = L[pick] - top - logZ;
        }
      }
      const noisy = conf.map((c) => c + beta * -Math.log(-Math.log(Math.min(Math.max(rng.uniform(), 1e-20), 1 - 1e-7))));
      const n = Math.min(Math.floor(N * ratio), N - 1);
      const cut = [...noisy].sort((a, c) => a - c)[n];
      sampled = x;
      ids = Int32Array.from(x, (v, i) => (noisy[i] < cut ? m.maskId : v));
    }
    out.push(sampled);
  }
  return out;
}

describe("MaskGitEnv on the zoo's maskgit-tiny", () => {
  const labels = Int32Array.of(0, 3, 7, 9, 10); // 10 = unconditional

  it("an untrained policy reproduces the heuristic sampler sample for sample", async () => {
    const T = 4;
    const env = new MaskGitEnv(model, { heuristic: maskGitSchedule(T) });
    const before = model.forwards;
    const { samples, actions } = await rollout(env, undefined, new ActionDecoder(env.actionSpec), labels, 11);
    expect(model.forwards - before).toBe(labels.length * (1 + 2 * T - 1)); // reset pass, 2 per step, no pass after the last
    const want = await referenceSampler(model, maskGitSchedule(T), labels, 11);
    expect(samples.shape).toEqual([5, 49]);
    want.forEach((ids, b) => expect(Array.from(samples.data.subarray(b * 49, (b + 1) * 49))).toEqual(Array.from(ids)));
    // The executed actions are the heuristic's (float32).
    actions.forEach((a, k) => expect(a.maskRatio[0]).toBeCloseTo(maskGitSchedule(T)[k][0], 5));
    // Every position holds a real code.
    expect(samples.data.every((v) => v >= 0 && v < 512)).toBe(true);
  });

  it("gives each sample its own stream: the same seed gives the same tokens in another batch", async () => {
    const env = new MaskGitEnv(model, { heuristic: maskGitSchedule(2) });
    const decoder = new ActionDecoder(env.actionSpec);
    const all = await rollout(env, undefined, decoder, labels, 5);
    const firstTwo = await rollout(env, undefined, decoder, labels.subarray(0, 2), 5);
    expect(Array.from(firstTwo.samples.data)).toEqual(Array.from(all.samples.data.subarray(0, 2 * 49)));
    // noiseGroup 2: samples 0 and 1 share their draws, so equal labels give equal tokens.
    await env.reset(Int32Array.of(4, 4, 4), 5, { noiseGroup: 2 });
    decoder.reset(3);
    for (let k = 0; k < env.horizon; k++) await env.step(decoder.decode(new Float32Array(3 * 4), k));
    const grouped = (await env.render()).data;
    expect(Array.from(grouped.subarray(0, 49))).toEqual(Array.from(grouped.subarray(49, 98)));
    expect(Array.from(grouped.subarray(0, 49))).not.toEqual(Array.from(grouped.subarray(98, 147)));
  });

  it("moves with each action on a fixed seed: guidance, temperatures and Gumbel noise", async () => {
    const T = 4;
    const run = async (change: (row: number[]) => number[]) => {
      const env = new MaskGitEnv(model, { heuristic: maskGitSchedule(T).map(change), smoothing: 0 });
      return (await rollout(env, undefined, new ActionDecoder(env.actionSpec), Int32Array.of(1, 1, 1, 1, 1, 1, 1, 1), 3)).samples.data;
    };
    const base = await run((r) => r);
    const differs = (a: Float32Array, b: Float32Array) => a.some((v, i) => v !== b[i]);
    // Each parameter changes the tokens (they all enter the sampler).
    expect(differs(base, await run(([m, b, t, w]) => [m, b, t, w + 2]))).toBe(true);
    expect(differs(base, await run(([m, b, t, w]) => [m, b * 4, t, w]))).toBe(true);
    expect(differs(base, await run(([m, b, , w]) => [m, b, 0.5, w]))).toBe(true);
    // A near-zero sampling temperature is greedy: the draws no longer depend on the seed's uniforms much, so two seeds
    // agree on far more tokens than at temperature 1.
    const agreement = async (tau: number) => {
      const env = new MaskGitEnv(model, { heuristic: maskGitSchedule(T).map(([m, , , w]) => [m, 1e-4, tau, w]), smoothing: 0 });
      const d = new ActionDecoder(env.actionSpec);
      const labels8 = new Int32Array(8).fill(2);
      const a = (await rollout(env, undefined, d, labels8, 1)).samples.data;
      const b = (await rollout(env, undefined, d, labels8, 2)).samples.data;
      return a.filter((v, i) => v === b[i]).length / a.length;
    };
    expect(await agreement(0.01)).toBeGreaterThan((await agreement(1)) + 0.2);
  });

  it("lookahead: candidate 0 is plain sampling, each sample continues from the candidate chosen for it", async () => {
    const T = 3;
    const env = new MaskGitEnv(model, { heuristic: maskGitSchedule(T) });
    const decoder = new ActionDecoder(env.actionSpec);
    // The untrained policy's actions (the heuristic), decoded once in order (the decoder carries the smoothing).
    decoder.reset(labels.length);
    const executed = Array.from({ length: T }, (_, k) => decoder.decode(new Float32Array(labels.length * 4), k));
    const heuristicActions = (k: number) => executed[k];
    const plain = (await rollout(env, undefined, decoder, labels, 21)).samples.data;
    // Always choosing candidate 0 leaves the trajectory as plain sampling, however many candidates were drawn.
    await env.reset(labels, 21);
    const seen: number[] = [];
    for (let k = 0; k < T; k++)
      await env.stepWithLookahead(heuristicActions(k), 3, (next) => {
        seen.push(next.length);
        return new Int32Array(labels.length);
      });
    expect(Array.from((await env.render()).data)).toEqual(Array.from(plain));
    expect(seen).toEqual([3, 3]); // the last decision has no next state to value: a plain step
    // A mixed choice: sample b continues from candidate b mod 3, whose next features it was shown.
    await env.reset(labels, 21);
    let shown: Float32Array[] = [];
    const choice = Int32Array.from(labels, (_, b) => b % 3);
    await env.stepWithLookahead(heuristicActions(0), 3, (next) => {
      shown = next.map((o) => o.features.data);
      expect(next.every((o) => o.step === 1)).toBe(true);
      return choice;
    });
    const after = (await env.observe()).features.data;
    const size = after.length / labels.length;
    choice.forEach((c, b) => expect(Array.from(after.subarray(b * size, (b + 1) * size))).toEqual(Array.from(shown[c].subarray(b * size, (b + 1) * size))));
    // The candidates differ (their draws are independent), so the check above could fail.
    expect(shown[1].some((v, i) => v !== shown[0][i])).toBe(true);
    await expect(env.stepWithLookahead(heuristicActions(1), 2, () => Int32Array.of(0, 0, 2, 0, 0))).rejects.toThrow(/chose candidate 2, not one of 0\.\.1/);
  });

  it("rollout with lookahead keeps, per sample, the next state the critic values highest", async () => {
    await initTensorflow();
    const env = new MaskGitEnv(model, { heuristic: maskGitSchedule(4) });
    // A trained critic (the shipped 4-step policy's; a fresh one's zero-initialised head values every state alike).
    const critic = await openPolicyCritic(zooPath("policies/maskgit-tiny-4.adagen"));
    const checked: number[] = [];
    // The env as rollout sees it, with each choice checked against the critic's values computed here.
    const watched: MaskGitEnv = Object.assign(Object.create(env) as MaskGitEnv, {
      stepWithLookahead: (actions: ExecutedActions, K: number, choose: (next: Observation[]) => Int32Array | Promise<Int32Array>) =>
        MaskGitEnv.prototype.stepWithLookahead.call(watched, actions, K, async (next) => {
          const choice = await choose(next);
          const values = next.map((o) => critic.predict(o.features.data, labels.length, new Float32Array(labels.length).fill(o.step)));
          choice.forEach((c, b) => expect(values[c][b]).toBe(Math.max(...values.map((v) => v[b]))));
          checked.push(...choice);
          return choice;
        }),
    });
    try {
      const decoder = new ActionDecoder(env.actionSpec);
      const looked = await rollout(watched, undefined, decoder, labels, 4, { lookahead: { candidates: 4, critic } });
      expect(checked.length).toBe(3 * labels.length);
      expect(new Set(checked).size).toBeGreaterThan(1);
      const plain = await rollout(env, undefined, decoder, labels, 4, { lookahead: { candidates: 1, critic } });
      expect(Array.from(plain.samples.data)).toEqual(Array.from((await rollout(env, undefined, decoder, labels, 4)).samples.data));
      expect(Array.from(looked.samples.data)).not.toEqual(Array.from(plain.samples.data));
    } finally {
      critic.dispose();
    }
  });

  it("refuses bad heuristics, actions and conditions, naming them", async () => {
    expect(() => new MaskGitEnv(model, { heuristic: [[1.2, 1, 1, 1]] })).toThrow(/mask ratio at step 0 is 1.2/);
    expect(() => new MaskGitEnv(model, { heuristic: [[0.5, 1, 1]] })).toThrow(/3 values, expected 4/);
    const env = new MaskGitEnv(model, { heuristic: maskGitSchedule(2) });
    await expect(env.reset(Int32Array.of(11), 0)).rejects.toThrow(/condition 11/);
    await env.reset(Int32Array.of(1, 2), 0);
    await expect(env.step({ maskRatio: Float32Array.of(0.5, 0.5) })).rejects.toThrow(/missing action "maskTemperature"/);
    await expect(env.render()).rejects.toThrow(/0 of 2 decisions/);
  });
});

describe("the MaskGIT heuristic (docs/method.md §16, T = 16)", () => {
  const rows = maskGitSchedule(16);
  it("matches the test vectors: mask ratio, kept-masked counts on 256 tokens, temperatures, guidance", () => {
    const ratio = rows.map((r) => r[0]);
    [0.995194, 0.980804, 0.956969, 0.923917, 0.881968, 0.831524, 0.773073, 0.707176, 0.634469, 0.555652, 0.471483, 0.382774, 0.290379, 0.195187, 0.098115, 9.817e-5].forEach(
      (v, k) => expect(ratio[k]).toBeCloseTo(v, 5),
    );
    expect(ratio.map((m) => maskedCount(m, 256))).toEqual([254, 251, 244, 236, 225, 212, 197, 181, 162, 142, 120, 97, 74, 49, 25, 0]);
    expect(rows[0][1]).toBeCloseTo(0.937562, 5);
    expect(rows[15][1]).toBeCloseTo(6.25e-5, 8);
    expect(rows.every((r) => r[2] === 1)).toBe(true);
    [6.25e-5, 0.0625625, 0.125063, 0.187563].forEach((v, k) => expect(rows[k][3]).toBeCloseTo(v, 5));
    expect(rows[15][3]).toBeCloseTo(0.937562, 5);
  });

  it("matches the residuals an untrained policy adds (rho = 0.8)", () => {
    const spec = {
      keys: [
        { name: "maskRatio", activation: "sigmoid" as const },
        { name: "maskTemperature", activation: "softplus" as const },
        { name: "sampleTemperature", activation: "softplus" as const },
        { name: "guidanceScale", activation: "softplus" as const },
      ],
      heuristic: rows,
      smoothing: 0.8,
    };
    const h = residualTable(spec);
    [5.33314, -1.66411, -0.22554, 0.07661].forEach((v, k) => expect(h[k][0]).toBeCloseTo(v, 3));
    expect(h[15][0]).toBeCloseTo(-37.26992, 2);
    expect(h.every((r) => Math.abs(r[2] - 0.541325) < 1e-5)).toBe(true);
    [-9.68031, 25.0205, 0.881786, 0.171053].forEach((v, k) => expect(h[k][3]).toBeCloseTo(v, 3));
    expect(h[15][3]).toBeCloseTo(0.860251, 4);
  });
});
