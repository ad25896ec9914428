import { describe, expect, it } from "vitest";
import { ActionDecoder } from "./actions/spec.js";
import { DialEnv, DialReward, blendActions } from "./dial.js";
import { PolicyNetwork, policyNetworkConfig } from "./nn/policy.js";
import { FunctionReward } from "./rewards/reward.js";
import { rollout } from "./rollout.js";
import { initTensorflow } from "./runtime/backend.js";
import { ToyTargetEnv } from "./testing/toy-env.js";

/** A small actor for the toy env whose output layer is not zero (so two seeds give two different policies). */
async function actor(seed: number): Promise<PolicyNetwork> {
  await initTensorflow();
  const net = new PolicyNetwork(policyNetworkConfig({ tokens: 4, featureDim: 6, outputs: 1 }, { hidden: 8, channels: 4, mixedTokens: 2, mlp: [8, 8], stepFeatures: 8, seed }), "actor");
  const weights = await net.params.export();
  // Non-zero output weights: the fresh network's zero-initialised head would make every actor the heuristic.
  for (const [name, w] of Object.entries(weights)) if (/out/.test(name)) w.data.forEach((_, i) => (w.data[i] = Math.sin(seed * 7 + i) * 0.5));
  net.params.import(weights);
  return net;
}

describe("blendActions", () => {
  it("is (1 − λ)·base + λ·fidelity per sample, exactly the operand at λ = 0 and 1", () => {
    const out = blendActions({ a: Float32Array.of(0.1, 0.2, 0.3) }, { a: Float32Array.of(0.7, 0.9, 1.3) }, Float32Array.of(0, 1, 0.25));
    expect(out.a[0]).toBe(Math.fround(0.1));
    expect(out.a[1]).toBe(Math.fround(0.9));
    expect(out.a[2]).toBeCloseTo(0.75 * 0.3 + 0.25 * 1.3, 6);
    expect(() => blendActions({ a: Float32Array.of(1) }, { b: Float32Array.of(1) }, Float32Array.of(0))).toThrow(/no action "a"/);
  });
});

describe("DialEnv", () => {
  it("λ = 0 runs the base policy exactly, λ = 1 the acting policy, whatever the other one does", async () => {
    const inner = new ToyTargetEnv(3, 0.5); // with smoothing: each policy's decoder memory must stay its own
    const decoder = new ActionDecoder(inner.actionSpec);
    const [base, fid] = [await actor(1), await actor(2)];
    try {
      const labels = Int32Array.of(0, 1, 0, 1);
      const alone = async (a: PolicyNetwork) => (await rollout(inner, a, decoder, labels, 3)).samples.data;
      const dialed = async (lambda: number) => (await rollout(new DialEnv(inner, { actor: base, actionSpec: inner.actionSpec }, lambda), fid, decoder, labels, 3)).samples.data;
      const [b, f] = [await alone(base), await alone(fid)];
      expect(Array.from(b)).not.toEqual(Array.from(f));
      expect(Array.from(await dialed(0))).toEqual(Array.from(b));
      expect(Array.from(await dialed(1))).toEqual(Array.from(f));
      const half = await dialed(0.5);
      expect(Array.from(half)).not.toEqual(Array.from(b));
      expect(Array.from(half)).not.toEqual(Array.from(f));
      expect(() => new DialEnv(inner, { actor: base, actionSpec: inner.actionSpec }, 1.5)).toThrow(/lambda must be in \[0, 1\].*got 1.5/);
    } finally {
      base.dispose();
      fid.dispose();
    }
  });

  it("\"uniform\" draws one λ in [0, 1] per noise group from the seed", async () => {
    const inner = new ToyTargetEnv(2);
    const base = await actor(1);
    try {
      const env = new DialEnv(inner, { actor: base, actionSpec: inner.actionSpec }, "uniform");
      await env.reset(new Int32Array(8), 5, { noiseGroup: 2 });
      const l = env.lambdas;
      for (let b = 0; b < 8; b += 2) expect(l[b + 1]).toBe(l[b]);
      expect(l.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(new Set(l).size).toBe(4);
      await env.reset(new Int32Array(8), 5, { noiseGroup: 2 });
      expect(Array.from(env.lambdas)).toEqual(Array.from(l));
      await env.reset(new Int32Array(8), 6, { noiseGroup: 2 });
      expect(Array.from(env.lambdas)).not.toEqual(Array.from(l));
    } finally {
      base.dispose();
    }
  });
});

describe("DialReward", () => {
  it("is (1 − λ)·r_adv + λ·r_fid with each sample's λ", async () => {
    const reward = new DialReward(new FunctionReward(() => 1), new FunctionReward(() => 0), () => Float32Array.of(0, 0.25, 1));
    const r = await reward.score({ data: new Float32Array(3), shape: [3, 1] }, new Int32Array(3));
    expect(Array.from(r)).toEqual([1, 0.75, 0]);
    expect(reward.update).toBeUndefined(); // a fixed adversarial part: nothing to train
    await expect(reward.score({ data: new Float32Array(2), shape: [2, 1] }, new Int32Array(2))).rejects.toThrow(/3 dial weights for 2 samples/);
  });
});
