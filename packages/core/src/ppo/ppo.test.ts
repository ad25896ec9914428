import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { setupTensorflow } from "../testing/setup.js";
import { standardizeReturns } from "./buffer.js";
import { explorationStdAt, resolvePPOConfig } from "./config.js";
import { gaussianLogProb, gaussianLogProbValues } from "./gaussian.js";
import { ppoLoss } from "./ppo.js";

beforeAll(setupTensorflow);

describe("PPO pieces", () => {
  it("computes the clipped surrogate and value loss like the hand calculation", () => {
    // Ratios e^0.5 = 1.6487 (clipped to 1.2 for A>0), e^-0.5 = 0.6065 (clipped to 0.8; min picks clipped for A<0... )
    const out = tf.tidy(() => {
      const t = ppoLoss({
        newLogProbs: tf.tensor1d([0.5, -0.5, 0.1, 0]),
        oldLogProbs: tf.tensor1d([0, 0, 0, 0]),
        advantages: tf.tensor1d([1, 1, -2, 0.5]),
        values: tf.tensor1d([0.5, -1, 0, 2]),
        targets: tf.tensor1d([1, 1, 1, 1]),
        clip: 0.2,
        valueCoef: 0.5,
      });
      return [t.total, t.policyLoss, t.valueLoss, t.clipFraction].map((x) => x.dataSync()[0]);
    });
    const r = [Math.exp(0.5), Math.exp(-0.5), Math.exp(0.1), 1];
    const A = [1, 1, -2, 0.5];
    const terms = r.map((q, i) => Math.min(q * A[i], Math.min(Math.max(q, 0.8), 1.2) * A[i]));
    // by hand: [1.2, 0.60653, -2.21034, 0.5]
    expect(terms[0]).toBeCloseTo(1.2, 6);
    expect(terms[1]).toBeCloseTo(0.606531, 5);
    expect(terms[2]).toBeCloseTo(-2.210342, 5);
    const policy = -(terms.reduce((a, b) => a + b) / 4);
    const value = (0.25 + 4 + 1 + 1) / 4;
    expect(out[1]).toBeCloseTo(policy, 5);
    expect(out[2]).toBeCloseTo(value, 5);
    expect(out[0]).toBeCloseTo(policy + 0.5 * value, 5);
    expect(out[3]).toBeCloseTo(0.5, 6); // ratios 1.65 and 0.61 lie outside [0.8, 1.2]
  });

  it("Gaussian log-prob matches the closed form in both implementations", () => {
    const a = [0.3, -1.2];
    const m = [0.1, -1];
    const std = 0.6;
    const want = -0.5 * ((0.2 / std) ** 2 + (0.2 / std) ** 2 + 2 * Math.log(2 * Math.PI * std * std));
    expect(gaussianLogProbValues(a, m, std)).toBeCloseTo(want, 10);
    const got = tf.tidy(() => gaussianLogProb(tf.tensor2d([a]), tf.tensor2d([m]), std).dataSync()[0]);
    expect(got).toBeCloseTo(want, 5);
  });

  it("standardises returns with the unbiased std", () => {
    const z = standardizeReturns(Float32Array.from([1, 2, 3, 4]));
    const std = Math.sqrt(5 / 3);
    expect(z[0]).toBeCloseTo(-1.5 / std, 5);
    expect(z[3]).toBeCloseTo(1.5 / std, 5);
  });

  it("decays the exploration std after iteration 500 with a floor", () => {
    const c = resolvePPOConfig();
    expect(explorationStdAt(c, 0)).toBe(0.6);
    expect(explorationStdAt(c, 500)).toBe(0.6);
    expect(explorationStdAt(c, 501)).toBeCloseTo(0.3, 12);
    expect(explorationStdAt(resolvePPOConfig({ stdDecayAt: [1, 2, 3] }), 10)).toBe(0.1);
    expect(() => resolvePPOConfig({ clip: 0 })).toThrow(/clip must be > 0, got 0/);
  });
});
