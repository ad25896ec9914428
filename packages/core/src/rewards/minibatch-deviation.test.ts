import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { setupTensorflow } from "../testing/setup.js";
import { minibatchDeviation } from "./projected-discriminator.js";

beforeAll(setupTensorflow);

describe("minibatchDeviation", () => {
  it("is each feature's distance from its strided group's mean (hand-computed)", () => {
    // B = 4, N = 1, H = 2, groups of 2: K = 2, so samples {0, 2} and {1, 3} are grouped (b mod 2).
    const hidden = tf.tensor3d([[[0, 0]], [[1, 1]], [[2, 4]], [[1, 1]]]);
    const got = Array.from(minibatchDeviation(hidden, 2).dataSync());
    // Group {0,2}: mean (1, 2); samples 0 and 2 are (1, 2) away in each feature. Group {1,3}: equal, 0 away.
    const expected = [1, 2, 0, 0, 1, 2, 0, 0];
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 3));
    hidden.dispose();
  });

  it("puts a batch smaller than the group in one group, and leaves no tensor behind", () => {
    const before = tf.memory().numTensors;
    const hidden = tf.tensor3d([[[1], [5]], [[3], [5]]]); // B = 2, N = 2, H = 1
    const out = minibatchDeviation(hidden, 8);
    expect(out.shape).toEqual([2, 2, 1]);
    const got = Array.from(out.dataSync());
    [1, 0, 1, 0].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 3));
    tf.dispose([hidden, out]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
