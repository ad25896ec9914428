import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { setupTensorflow } from "../testing/setup.js";
import { gelu } from "./layers.js";

beforeAll(setupTensorflow);

/** The textbook tanh-approximate GELU in float64, which the sigmoid form in layers.ts must equal. */
const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

describe("gelu", () => {
  const xs = Array.from({ length: 81 }, (_, i) => -10 + i / 4);

  it("equals 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) over [-10, 10]", () => {
    const got = tf.tidy(() => gelu(tf.tensor1d(xs)).dataSync());
    xs.forEach((x, i) => expect(got[i]).toBeCloseTo(geluTanh(x), 5));
  });

  it("has the derivative of that formula (central differences in float64)", () => {
    const got = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(gelu(x)))(tf.tensor1d(xs)).dataSync());
    const h = 1e-5;
    xs.forEach((x, i) => expect(got[i]).toBeCloseTo((geluTanh(x + h) - geluTanh(x - h)) / (2 * h), 4));
  });
});
