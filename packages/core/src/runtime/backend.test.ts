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
