import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { ActionDecoder } from "./actions/spec.js";
import { PolicyNetwork, policyNetworkConfig } from "./nn/policy.js";
import { isNonAdaptive, nonAdaptive, sharedFeaturesOf } from "./non-adaptive.js";
import { Random } from "./random.js";
import { rollout } from "./rollout.js";
import { setupTensorflow } from "./testing/setup.js";
import { ToyTargetEnv } from "./testing/toy-env.js";

beforeAll(setupTensorflow);

/** A toy env with an extra method, as the diffusion and flow envs have `executedSchedule`. */
class RecordingToyEnv extends ToyTargetEnv {
  readonly recorded: Float32Array[] = [];
  override async step(actions: Record<string, Float32Array>): Promise<void> {
    this.recorded.push(actions.value.slice());
    await super.step(actions);
  }
  executedSchedule(): Float32Array[] {
    return this.recorded;
  }
}

/** A fresh policy outputs exactly 0 whatever it reads; every weight set to random values makes it read its input. */
function perturbedPolicy(env: ToyTargetEnv): PolicyNetwork {
  const [tokens, featureDim] = env.featureShape;
  const net = new PolicyNetwork(
    policyNetworkConfig({ tokens, featureDim, outputs: 1 }, { hidden: 8, channels: 4, mlp: [16, 8], stepFeatures: 16, seed: 3 }),
  );
  const rng = new Random(11);
  const values: Record<string, { shape: number[]; data: Float32Array }> = {};
  net.params.names.forEach((name, i) => {
    const shape = net.variables[i].shape;
    values[name] = { shape, data: Float32Array.from({ length: net.variables[i].size }, () => 0.5 * rng.normal()) };
  });
  net.params.import(values);
  return net;
}

/** Executed actions of every decision, per sample: `rows[k][b]`. */
function actionRows(actions: Record<string, Float32Array>[]): number[][] {
  return actions.map((a) => Array.from(a.value));
}

describe("nonAdaptive", () => {
  const labels = Int32Array.from({ length: 6 }, (_, i) => i % 2);

  it("observes the step's sinusoidal encoding in every token, the same for every sample, one buffer per batch size and step", async () => {
    const env = new ToyTargetEnv(3);
    const [N, D] = env.featureShape;
    const shared = nonAdaptive(env);
    await shared.reset(labels, 5);
    const obs = await shared.observe();
    await env.reset(labels, 5);
    const real = await env.observe();
    expect(real.features.data.some((x) => x !== 0)).toBe(true);
    expect(obs.step).toBe(real.step);
    expect(obs.features.shape).toEqual([6, N, D]);
    // Step 0: cos(0) = 1 in the first half, sin(0) = 0 in the second, in every token of every sample.
    const step0 = [...new Array(D / 2).fill(1), ...new Array(D / 2).fill(0)];
    for (let t = 0; t < 6 * N; t++) expect(Array.from(obs.features.data.subarray(t * D, (t + 1) * D))).toEqual(step0);
    await shared.step({ value: new Float32Array(6).fill(0.5) });
    const next = await shared.observe();
    expect(next.step).toBe(1);
    // Step 1, first frequency (1): cos(1) and sin(1); the last, 10000^(-2/3): cos and sin of 10000^(-2/3).
    expect(next.features.data[0]).toBeCloseTo(Math.cos(1), 6);
    expect(next.features.data[D / 2]).toBeCloseTo(Math.sin(1), 6);
    expect(next.features.data[D - 1]).toBeCloseTo(Math.sin(10000 ** (-2 / 3)), 6);
    expect(Array.from(next.features.data.subarray(5 * N * D, 5 * N * D + D))).toEqual(Array.from(next.features.data.subarray(0, D)));
    await shared.reset(labels, 5);
    expect((await shared.observe()).features.data).toBe(obs.features.data);
    await shared.reset(labels.subarray(0, 2), 5);
    const small = await shared.observe();
    expect(small.features.shape).toEqual([2, N, D]);
    expect(Array.from(small.features.data)).toEqual(Array.from(obs.features.data.subarray(0, 2 * N * D)));
  });

  it("observes constant features with features: \"constant\" (the files before step encodings), ones by default", async () => {
    const ones = nonAdaptive(new ToyTargetEnv(3), { features: "constant" });
    await ones.reset(labels, 5);
    expect((await ones.observe()).features.data.every((x) => x === 1)).toBe(true);
    await ones.step({ value: new Float32Array(6).fill(0.5) });
    expect((await ones.observe()).features.data.every((x) => x === 1)).toBe(true);
    const zero = nonAdaptive(new ToyTargetEnv(3), { features: "constant", value: 0 });
    await zero.reset(labels, 5);
    expect((await zero.observe()).features.data.every((x) => x === 0)).toBe(true);
    expect(() => nonAdaptive(new ToyTargetEnv(3), { features: "constant", value: NaN })).toThrow(/value must be finite/);
    expect(() => nonAdaptive(new ToyTargetEnv(3), { features: "ones" as never })).toThrow(/features must be "step" or "constant", got ones/);
    expect(sharedFeaturesOf(ones)).toBe("constant");
    expect(sharedFeaturesOf(nonAdaptive(new ToyTargetEnv(3)))).toBe("step");
    expect(sharedFeaturesOf(new ToyTargetEnv(3))).toBeUndefined();
  });

  it("a fresh policy can learn from constant features; from all-zero ones only its output bias could", async () => {
    const env = new ToyTargetEnv(3);
    const [N, D] = env.featureShape;
    const net = new PolicyNetwork(policyNetworkConfig({ tokens: N, featureDim: D, outputs: 1 }, { hidden: 8, channels: 4, mlp: [16, 8], stepFeatures: 16 }));
    const steps = [0, 1, 2, 0, 1, 2];
    // |d sum(output) / d parameter|, summed, per parameter, at the all-zero-output initialisation.
    const gradients = async (wrapped: typeof env) => {
      await wrapped.reset(labels, 1);
      const feats = (await wrapped.observe()).features.data;
      return tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(net.apply(tf.tensor3d(feats, [6, N, D]), steps)) as tf.Scalar, net.variables);
        return Object.fromEntries(net.params.names.map((name, i) => [name, tf.sum(tf.abs(grads[net.variables[i].name])).dataSync()[0]]));
      });
    };
    try {
      const ones = await gradients(nonAdaptive(env, { features: "constant" }));
      const zeros = await gradients(nonAdaptive(env, { features: "constant", value: 0 }));
      expect(ones["out/w"]).toBeGreaterThan(0);
      expect(zeros["out/w"]).toBe(0);
      expect(zeros["out/b"]).toBeGreaterThan(0);
    } finally {
      net.dispose();
    }
  });

  it("a fresh policy learns a per-step schedule from step encodings; from constant features it learns one offset first", async () => {
    // 30 Adam steps regressing the output on a per-step target (0.5, 1, 2.5): what the policy learns per step early on.
    const fit = async (features: "step" | "constant") => {
      const env = new ToyTargetEnv(3);
      const [N, D] = env.featureShape;
      const shared = nonAdaptive(env, { features });
      const net = new PolicyNetwork(policyNetworkConfig({ tokens: N, featureDim: D, outputs: 1 }, { hidden: 8, channels: 4, mlp: [16, 8], stepFeatures: 16, seed: 5 }));
      const optimizer = tf.train.adam(0.01);
      try {
        const three = Int32Array.from([0, 1, 2]);
        await shared.reset(three, 1);
        const feats: Float32Array[] = [];
        for (let k = 0; k < 3; k++) {
          feats.push((await shared.observe()).features.data.slice(0, N * D)); // sample 0's features at step k
          await shared.step({ value: new Float32Array(3).fill(0.5) });
        }
        const x = tf.tensor3d(Float32Array.from(feats.flatMap((f) => Array.from(f))), [3, N, D]);
        const target = tf.tensor2d([0.5, 1, 2.5], [3, 1]);
        for (let i = 0; i < 30; i++) optimizer.minimize(() => tf.mean(tf.square(tf.sub(net.apply(x, [0, 1, 2]), target))) as tf.Scalar, false, net.variables);
        const out = Array.from(tf.tidy(() => net.apply(x, [0, 1, 2]).dataSync()));
        x.dispose();
        target.dispose();
        return out[2] - out[0]; // the learned schedule's rise from step 0 to step 2 (target: 2)
      } finally {
        optimizer.dispose();
        net.dispose();
      }
    };
    const step = await fit("step");
    const constant = await fit("constant");
    expect(step).toBeGreaterThan(1.5); // 1.84 when written
    expect(constant).toBeLessThan(step / 3); // 0.40
  });

  it("forwards the env's members and extra methods, and wraps once", async () => {
    const env = new RecordingToyEnv(2);
    const shared = nonAdaptive(env);
    expect(isNonAdaptive(shared)).toBe(true);
    expect(isNonAdaptive(env)).toBe(false);
    expect(nonAdaptive(shared)).toBe(shared);
    expect(shared.horizon).toBe(2);
    expect(shared.actionSpec).toBe(env.actionSpec);
    expect(shared.featureShape).toEqual([4, 6]);
    expect(shared.numClasses).toBe(2);
    expect(shared.step).toBe(shared.step); // bound once
    const decoder = new ActionDecoder(shared.actionSpec);
    const result = await rollout(shared, undefined, decoder, labels, 1);
    expect(shared.executedSchedule()).toBe(env.recorded);
    expect(shared.executedSchedule().map((r) => Array.from(r))).toEqual(actionRows(result.actions));
    expect(result.samples.shape).toEqual([6, 4]);
  });

  it("a perturbed policy acts the same for every sample through it, per sample without it", async () => {
    const env = new ToyTargetEnv(3);
    const actor = perturbedPolicy(env);
    const decoder = new ActionDecoder(env.actionSpec);
    try {
      const adaptive = actionRows((await rollout(env, actor, decoder, labels, 9)).actions);
      const shared = actionRows((await rollout(nonAdaptive(env), actor, decoder, labels, 9)).actions);
      for (const row of adaptive) expect(new Set(row).size).toBeGreaterThan(1);
      for (const row of shared) expect(new Set(row).size).toBe(1);
      // The step still steers it: the shared schedule is not one constant.
      expect(new Set(shared.map((row) => row[0])).size).toBeGreaterThan(1);
      // Exploration noise stays per sample.
      const explored = actionRows(
        (await rollout(nonAdaptive(env), actor, decoder, labels, 9, { explore: { std: 0.3, rng: new Random(2) } })).actions,
      );
      for (const row of explored) expect(new Set(row).size).toBeGreaterThan(1);
    } finally {
      actor.dispose();
    }
  });
});
