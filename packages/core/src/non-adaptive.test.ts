import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { ActionDecoder } from "./actions/spec.js";
import { PolicyNetwork, policyNetworkConfig } from "./nn/policy.js";
import { isNonAdaptive, nonAdaptive } from "./non-adaptive.js";
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

  it("observes constant features (ones) of the same shape and step, one cached buffer per batch size", async () => {
    const env = new ToyTargetEnv(3);
    const shared = nonAdaptive(env);
    await shared.reset(labels, 5);
    const obs = await shared.observe();
    await env.reset(labels, 5);
    const real = await env.observe();
    expect(real.features.data.some((x) => x !== 0)).toBe(true);
    expect(obs.step).toBe(real.step);
    expect(obs.features.shape).toEqual([6, 4, 6]);
    expect(obs.features.data.length).toBe(real.features.data.length);
    expect(obs.features.data.every((x) => x === 1)).toBe(true);
    await shared.step({ value: new Float32Array(6).fill(0.5) });
    const next = await shared.observe();
    expect(next.step).toBe(1);
    expect(next.features.data).toBe(obs.features.data);
    await shared.reset(labels.subarray(0, 2), 5);
    const small = await shared.observe();
    expect(small.features.shape).toEqual([2, 4, 6]);
    expect(small.features.data.length).toBe(2 * 4 * 6);
    expect(small.features.data.every((x) => x === 1)).toBe(true);
    const zero = nonAdaptive(new ToyTargetEnv(3), { value: 0 });
    await zero.reset(labels, 5);
    expect((await zero.observe()).features.data.every((x) => x === 0)).toBe(true);
    expect(() => nonAdaptive(new ToyTargetEnv(3), { value: NaN })).toThrow(/value must be finite/);
  });

  it("a fresh policy can learn from its constant features; from all-zero ones only its output bias could", async () => {
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
      const ones = await gradients(nonAdaptive(env));
      const zeros = await gradients(nonAdaptive(env, { value: 0 }));
      expect(ones["out/w"]).toBeGreaterThan(0);
      expect(zeros["out/w"]).toBe(0);
      expect(zeros["out/b"]).toBeGreaterThan(0);
    } finally {
      net.dispose();
    }
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
