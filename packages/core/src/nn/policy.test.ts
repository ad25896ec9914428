import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { setupTensorflow } from "../testing/setup.js";
import { PolicyNetwork, policyNetworkConfig } from "./policy.js";

beforeAll(setupTensorflow);

describe("PolicyNetwork", () => {
  const config = policyNetworkConfig({ tokens: 9, featureDim: 5, outputs: 2 }, { hidden: 16, channels: 4, mlp: [32, 16], stepFeatures: 16 });

  it("outputs exactly zero at initialisation", () => {
    const net = new PolicyNetwork(config);
    const feats = Float32Array.from({ length: 3 * 9 * 5 }, (_, i) => Math.sin(i));
    expect([...net.predict(feats, 3, [0, 1, 2])]).toEqual([0, 0, 0, 0, 0, 0]);
    net.dispose();
  });

  it("trains on the wasm backend: features and step both steer the output", () => {
    expect(tf.getBackend()).toBe("wasm");
    const net = new PolicyNetwork(config);
    const opt = tf.train.adam(3e-3);
    const B = 16;
    const feats = Float32Array.from({ length: B * 9 * 5 }, (_, i) => Math.cos(i * 0.37));
    const steps = Float32Array.from({ length: B }, (_, i) => i % 4);
    // Target: output 0 follows the first feature of token 0, output 1 follows the step.
    const target = new Float32Array(B * 2);
    for (let b = 0; b < B; b++) {
      target[2 * b] = feats[b * 45];
      target[2 * b + 1] = steps[b] / 4;
    }
    const loss = () =>
      tf.tidy(() => tf.mean(tf.square(tf.sub(net.apply(tf.tensor3d(feats, [B, 9, 5]), steps), tf.tensor2d(target, [B, 2])))).dataSync()[0]);
    const before = loss();
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 150; i++) {
      tf.tidy(() => {
        opt.minimize(() => tf.mean(tf.square(tf.sub(net.apply(tf.tensor3d(feats, [B, 9, 5]), steps), tf.tensor2d(target, [B, 2])))) as tf.Scalar, false, net.variables);
      });
      if (i === 0) expect(tf.memory().numTensors).toBeGreaterThan(tensors); // Adam moments appear once
    }
    const after = loss();
    expect(after).toBeLessThan(before * 0.1);
    net.dispose();
    opt.dispose();
  });

  it("rejects features of the wrong shape with the expected shape in the message", () => {
    const net = new PolicyNetwork(config);
    expect(() => net.predict(new Float32Array(10), 1, [0])).toThrow(/expected 45 feature values \(\[1,9,5\]\), got 10/);
    net.dispose();
  });
});
