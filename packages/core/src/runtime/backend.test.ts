import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { BACKEND_ENV_VAR, initTensorflow } from "./backend.js";

describe("initTensorflow", () => {
  afterAll(async () => {
    delete process.env[BACKEND_ENV_VAR];
    await initTensorflow({ backend: "wasm" });
  });

  it("picks wasm here (no tfjs-node installed) and honours an override", async () => {
    expect(await initTensorflow()).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    process.env[BACKEND_ENV_VAR] = "cpu";
    expect(await initTensorflow()).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
  });

  it("rejects an unknown backend name, naming it", () => {
    process.env[BACKEND_ENV_VAR] = "gpu";
    expect(() => initTensorflow()).toThrow(/ADAGEN_TF_BACKEND must be one of tensorflow, wasm, cpu; got "gpu"/);
  });

  it("fails clearly when a forced backend cannot start", async () => {
    delete process.env[BACKEND_ENV_VAR];
    await expect(initTensorflow({ backend: "tensorflow" })).rejects.toThrow(/no TensorFlow.js backend could be started \(tried tensorflow\)/);
  });
});

// Gradients come from tfjs-core's own registration (./tfjs-extensions.ts), not the @tensorflow/tfjs umbrella.
describe("gradients and chained tensor methods", () => {
  afterAll(async () => {
    await initTensorflow({ backend: "wasm" });
  });

  for (const backend of ["cpu", "wasm"] as const) {
    it(`are registered on ${backend}: analytic gradients of sum(x²), prod(x) and a softmax cross-entropy`, async () => {
      await initTensorflow({ backend });
      const x = tf.tensor1d([1, 2, 3]);
      expect(Array.from(tf.grad((v: tf.Tensor) => tf.sum(tf.square(v)))(x).dataSync())).toEqual([2, 4, 6]);
      // Prod's gradient calls x.reshape(): it needs the chained ops too.
      expect(Array.from(tf.grad((v: tf.Tensor) => tf.prod(v))(x).dataSync())).toEqual([6, 3, 2]);
      // d/dlogits of -log softmax(logits)[0] = softmax(logits) - onehot(0).
      const logits = tf.tensor1d([0.5, -1, 2]);
      const onehot = tf.tensor1d([1, 0, 0]);
      const g = tf.grad((v: tf.Tensor) => tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(v)))))(logits).dataSync();
      const p = tf.softmax(logits).dataSync();
      expect(Array.from(g).map((v, i) => v - (p[i] - (i === 0 ? 1 : 0))).every((d) => Math.abs(d) < 1e-5)).toBe(true);
      expect(Array.from(x.square().dataSync())).toEqual([1, 4, 9]);
    });
  }
});
