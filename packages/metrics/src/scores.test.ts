import { describe, expect, it } from "vitest";
import { kernelInceptionDistance } from "./kid.js";
import { inceptionScore } from "./inception-score.js";
import { precisionRecall } from "./precision-recall.js";
import { NumpyRandomState } from "./numpy-random.js";
import { loadFeatures, reference, relErr } from "./test-support.js";

describe("numpy RandomState", () => {
  it("reproduces permutation and choice bit-exactly", () => {
    const r = reference.randomstate;
    expect(Array.from(new NumpyRandomState(2020).permutation(1000).subarray(0, 20))).toEqual(r.perm2020_1000_head);
    expect(Array.from(new NumpyRandomState(7).permutation(10))).toEqual(r.perm7_10);
    expect(Array.from(new NumpyRandomState(2020).choiceWithoutReplacement(200, 50).subarray(0, 10))).toEqual(r.choice2020);
  });
});

describe("KID (torch-fidelity algorithm)", () => {
  const a = loadFeatures("kid_a.npy");
  const b = loadFeatures("kid_b.npy");
  for (const [subsets, size] of [
    [10, 50],
    [5, 150],
  ]) {
    it(`${subsets} subsets of ${size}`, () => {
      const r = kernelInceptionDistance(a, b, { subsets, subsetSize: size });
      const want = reference.kid[`${subsets}x${size}`];
      expect(relErr(r.kidMean, want.mean)).toBeLessThan(1e-9);
      expect(relErr(r.kidStd, want.std)).toBeLessThan(1e-9);
    });
  }
  it("caps the subset size at the smaller sample count", () => {
    const r = kernelInceptionDistance(a, b, { subsets: 2 });
    expect(r.subsetSize).toBe(150);
  });
  it("rejects mismatched dimensions", () => {
    expect(() => kernelInceptionDistance(a, { data: new Float64Array(30), rows: 10, dims: 3 })).toThrow(/dimensions differ/);
  });
});

describe("Inception Score", () => {
  const logits = loadFeatures("logits.npy");
  it("equals the reference (10 splits, RandomState(2020) shuffle)", () => {
    const r = inceptionScore(logits);
    expect(relErr(r.isMean, reference.is.mean)).toBeLessThan(1e-12);
    expect(relErr(r.isStd, reference.is.std)).toBeLessThan(1e-10);
  });
  it("handles N not divisible by the splits", () => {
    const part = { data: logits.data.subarray(0, 537 * 10), rows: 537, dims: 10 };
    const r = inceptionScore(part);
    expect(relErr(r.isMean, reference.is_537.mean)).toBeLessThan(1e-12);
  });
});

describe("precision / recall (k = 3)", () => {
  it("equals brute force", () => {
    const r = precisionRecall(loadFeatures("pr_gen.npy"), loadFeatures("pr_ref.npy"));
    expect(r.precision).toBe(reference.pr.precision);
    expect(r.recall).toBe(reference.pr.recall);
  });
});
