import { ActionDecoder, Random, rollout } from "@adagen/core";
import { zooPath } from "@adagen/zoo";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VarEnv } from "./env.js";
import { varSchedule } from "./heuristic.js";
import { OnnxVarModel, type VarModel } from "./model.js";

/** The zoo's var-tiny graphs (packages/zoo/README.md) and its defaults. */
const TINY = { scales: [1, 2, 3, 4, 5, 7], codebook: 512, inputWidth: 32, featureDim: 128, latentShape: [32, 7, 7], numClasses: 10 };
const DEFAULTS = { cfg: 1.5, topK: 112, topP: 0.96, temperature: 1 };
const S = TINY.scales.length;

let model: OnnxVarModel;
beforeAll(async () => {
  // Small chunks: batches split across session calls.
  model = await OnnxVarModel.load({ transformer: zooPath("models/var-tiny.onnx"), inputs: zooPath("models/var-tiny.next.onnx") }, { ...TINY, chunkSize: 3 });
});
afterAll(async () => {
  await model?.dispose();
});

/**
 * docs/method.md §5.2 written out one sample at a time, the filters as the zoo's PyTorch sampler writes them
 * (tooling/zoo/var_tiny.py: kth-largest mask, ascending sort, softmax, cumsum, drop ≤ 1 − p but the last), then
 * softmax(L/τ) and one inverse-CDF draw per token from the sample's stream (seed → one uint32 per sample).
 */
async function referenceSampler(m: VarModel, rows: number[][], labels: Int32Array, seed: number): Promise<Int32Array[]> {
  const { offsets } = m.layout;
  const V = m.codebook;
  const master = new Random(seed);
  const seeds = Array.from(labels, () => master.nextUint32());
  return Promise.all(
    Array.from(labels, async (label, b) => {
      const rng = new Random(seeds[b]);
      const ids = new Int32Array(m.layout.tokens);
      for (let k = 0; k < S; k++) {
        const [w, topK, topP, tau] = rows[k].map(Math.fround);
        const { xIn } = await m.inputs(ids, 1);
        const L = offsets[k + 1];
        const lc = (await m.predict(xIn, L, Int32Array.of(label), 1)).logits;
        const lu = k > 0 ? (await m.predict(xIn, L, Int32Array.of(m.numClasses), 1)).logits : lc;
        const t = Math.fround((w * k) / (S - 1));
        for (let i = offsets[k]; i < L; i++) {
          let row = Array.from({ length: V }, (_, j) => Math.fround(lc[i * V + j] + t * (lc[i * V + j] - lu[i * V + j])));
          const kth = [...row].sort((a, c) => c - a)[Math.floor(topK + 0.5) - 1];
          row = row.map((l) => (l < kth ? -Infinity : l));
          const order = row.map((_, j) => j).sort((a, c) => row[a] - row[c]);
          const top = Math.max(...row);
          const z = row.reduce((a, l) => a + Math.exp(l - top), 0);
          let cum = 0;
          const drop = new Set<number>();
          order.forEach((j, r) => {
            cum += Math.exp(row[j] - top) / z;
            if (cum <= 1 - topP && r < V - 1) drop.add(j);
          });
          const p = row.map((l, j) => (drop.has(j) ? 0 : Math.exp((l - top) / tau)));
          const total = p.reduce((a, c) => a + c, 0);
          let u = rng.uniform() * total;
          let pick = V - 1;
          for (let j = 0; j < V; j++) if ((u -= p[j]) < 0) { pick = j; break; }
          ids[i] = pick;
        }
      }
      return ids;
    }),
  );
}

async function sampleIds(env: VarEnv, labels: Int32Array, seed: number): Promise<Int32Array> {
  await rollout(env, undefined, new ActionDecoder(env.actionSpec), labels, seed);
  return env.sampledIds();
}

describe("VarEnv on the zoo's var-tiny", () => {
  const labels = Int32Array.of(0, 3, 7, 10); // 10 = unconditional

  it("an untrained policy reproduces the heuristic sampler sample for sample", async () => {
    const env = new VarEnv(model, { heuristic: varSchedule(S, DEFAULTS), featureGrid: 7 });
    const before = model.forwards;
    const { samples, actions } = await rollout(env, undefined, new ActionDecoder(env.actionSpec), labels, 11);
    // One conditional pass per scale, one unconditional per guided scale (k ≥ 1).
    expect(model.forwards - before).toBe(labels.length * (S + S - 1));
    const want = await referenceSampler(model, varSchedule(S, DEFAULTS), labels, 11);
    const got = env.sampledIds();
    want.forEach((ids, b) => expect(Array.from(got.subarray(b * 104, (b + 1) * 104))).toEqual(Array.from(ids)));
    expect(samples.shape).toEqual([4, 32, 7, 7]); // no renderer: the accumulated latent
    actions.forEach((a) => {
      expect(a.topK[0]).toBeCloseTo(112, 3);
      expect(a.topP[0]).toBeCloseTo(0.96, 6);
    });
  });

  it("lookahead: candidate 0 is plain sampling, each sample continues from the candidate chosen for it", async () => {
    const env = new VarEnv(model, { heuristic: varSchedule(S, DEFAULTS), featureGrid: 7 });
    const decoder = new ActionDecoder(env.actionSpec);
    await rollout(env, undefined, decoder, labels, 21);
    const plain = env.sampledIds();
    // The untrained policy's actions (the defaults), decoded once in order (the decoder carries the smoothing).
    decoder.reset(labels.length);
    const executed = Array.from({ length: S }, (_, k) => decoder.decode(new Float32Array(labels.length * 4), k));
    await env.reset(labels, 21);
    for (let k = 0; k < S; k++) await env.stepWithLookahead(executed[k], 3, () => new Int32Array(labels.length));
    expect(Array.from(env.sampledIds())).toEqual(Array.from(plain));
    // A mixed choice at scale 1: sample b continues from candidate b mod 3, whose next features it was shown.
    await env.reset(labels, 21);
    await env.step(executed[0]);
    let shown: Float32Array[] = [];
    const choice = Int32Array.from(labels, (_, b) => b % 3);
    await env.stepWithLookahead(executed[1], 3, (next) => {
      shown = next.map((o) => o.features.data);
      expect(next.every((o) => o.step === 2)).toBe(true);
      return choice;
    });
    const after = (await env.observe()).features.data;
    const size = after.length / labels.length;
    choice.forEach((c, b) => expect(Array.from(after.subarray(b * size, (b + 1) * size))).toEqual(Array.from(shown[c].subarray(b * size, (b + 1) * size))));
    expect(shown[1].some((v, i) => v !== shown[0][i])).toBe(true);
    // And the rest of the trajectory runs from there.
    for (let k = 2; k < S; k++) await env.step(executed[k]);
    expect((await env.render()).shape).toEqual([4, 32, 7, 7]);
  });

  it("top-k = 1 gives the guided argmax at every token: two seeds agree", async () => {
    const env = new VarEnv(model, { heuristic: varSchedule(S, { ...DEFAULTS, topK: 1 }), featureGrid: 7 });
    const a = await sampleIds(env, labels, 1);
    const b = await sampleIds(env, labels, 2);
    expect(Array.from(a)).toEqual(Array.from(b));
    const want = await referenceSampler(model, varSchedule(S, { ...DEFAULTS, topK: 1 }), labels, 3);
    want.forEach((ids, s) => expect(Array.from(a.subarray(s * 104, (s + 1) * 104))).toEqual(Array.from(ids)));
  });

  it("gives each sample its own stream: a batch-size change does not change a seed's ids", async () => {
    const env = new VarEnv(model, { heuristic: varSchedule(S, DEFAULTS), featureGrid: 7 });
    const all = await sampleIds(env, labels, 5);
    const firstTwo = await sampleIds(env, labels.subarray(0, 2), 5);
    expect(Array.from(firstTwo)).toEqual(Array.from(all.subarray(0, 2 * 104)));
  });

  it("observes the current scale's features on the fixed 7×7 grid; each knob moves the ids", async () => {
    const env = new VarEnv(model, { heuristic: varSchedule(S, DEFAULTS), featureGrid: 7 });
    await env.reset(labels, 0);
    const obs = await env.observe();
    expect(obs.features.shape).toEqual([4, 49, 128]);
    // Scale 0 is one token: its features are constant over the grid.
    expect(obs.features.data[128 * 48 + 5]).toBeCloseTo(obs.features.data[5], 4);
    const base = await sampleIds(env, labels, 9);
    const differs = async (change: Partial<typeof DEFAULTS>) => {
      const other = new VarEnv(model, { heuristic: varSchedule(S, { ...DEFAULTS, ...change }), featureGrid: 7 });
      const ids = await sampleIds(other, labels, 9);
      return ids.some((v, i) => v !== base[i]);
    };
    expect(await differs({ cfg: 4 })).toBe(true);
    expect(await differs({ topK: 20 })).toBe(true);
    expect(await differs({ topP: 0.5 })).toBe(true);
    expect(await differs({ temperature: 0.5 })).toBe(true);
  });

  it("refuses a heuristic with another number of rows than scales, and out-of-range values", () => {
    expect(() => new VarEnv(model, { heuristic: varSchedule(4, DEFAULTS), featureGrid: 7 })).toThrow(/4 rows; 6 scales/);
    expect(() => new VarEnv(model, { heuristic: varSchedule(S, DEFAULTS).map(([w, , p, t]) => [w, 600, p, t]), featureGrid: 7 })).toThrow(/topK at scale 0 is 600/);
  });
});
