import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { setupTensorflow } from "../testing/setup.js";

beforeAll(setupTensorflow);

describe("fast wasm BatchMatMul", () => {
  it("gives the same products as explicit transposes, for every flag combination", () => {
    const a = tf.randomNormal([3, 5, 7], 0, 1, "float32", 1);
    const b = tf.randomNormal([3, 7, 4], 0, 1, "float32", 2);
    const at = tf.transpose(a, [0, 2, 1]);
    const bt = tf.transpose(b, [0, 2, 1]);
    const ref = tf.matMul(a, b);
    const cases = [tf.matMul(at, b, true, false), tf.matMul(a, bt, false, true), tf.matMul(at, bt, true, true)];
    for (const c of cases) expect(tf.max(tf.abs(tf.sub(c, ref))).dataSync()[0]).toBeLessThan(1e-5);
    const before = tf.memory().numTensors;
    tf.matMul(at, bt, true, true).dispose();
    expect(tf.memory().numTensors).toBe(before); // the temporary transposes are released
    tf.dispose([a, b, at, bt, ref, ...cases]);
  });
});
