import { describe, expect, it } from "vitest";
import { averageRanks, rocAuc, spearman } from "./rank.js";

/** O(m·n) reference: count the pairs a positive wins, ties ½. */
function aucByPairs(pos: number[], neg: number[]): number {
  let wins = 0;
  for (const p of pos) for (const q of neg) wins += p > q ? 1 : p === q ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

/** Small deterministic generator (LCG) for the cross-checks. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe("averageRanks", () => {
  it("gives 1-based ranks and averages ties", () => {
    expect(averageRanks([30, 10, 20])).toEqual([3, 1, 2]);
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    // Three-way tie at positions 2..4 → (2+3+4)/3 = 3; the two 9s take positions 5, 6 → 5.5.
    expect(averageRanks([9, 4, 4, 1, 4, 9])).toEqual([5.5, 3, 3, 1, 3, 5.5]);
    expect(averageRanks([7, 7, 7])).toEqual([2, 2, 2]);
    expect(averageRanks(new Float32Array([0.5, -1]))).toEqual([2, 1]);
    expect(averageRanks([])).toEqual([]);
  });

  it("rejects non-finite values", () => {
    expect(() => averageRanks([1, NaN])).toThrow(/values\[1\] is NaN/);
    expect(() => averageRanks([Infinity])).toThrow(RangeError);
  });
});

describe("spearman", () => {
  it("is +1 / -1 for monotone relations, whatever their shape", () => {
    expect(spearman([1, 2, 3, 4], [2, 4, 6, 8])).toBe(1);
    expect(spearman([1, 2, 3], [1, 10, 1000])).toBe(1);
    expect(spearman([1, 2, 3, 4], [8, 6, 4, 2])).toBe(-1);
    expect(spearman([0.3, 0.1, 0.2], [-5, 7, 0])).toBe(-1);
  });

  it("matches a 5-element case with a tie worked out by hand", () => {
    // a = [10, 20, 20, 40, 30] → ranks [1, 2.5, 2.5, 5, 4]   (the two 20s share positions 2, 3)
    // b = [ 1,  3,  2,  5,  4] → ranks [1, 3,   2,   5, 4]
    // Both rank vectors have mean 3. Deviations: a [-2, -0.5, -0.5, 2, 1], b [-2, 0, -1, 2, 1].
    // Σ da·db = 4 + 0 + 0.5 + 4 + 1 = 9.5;  Σ da² = 4 + .25 + .25 + 4 + 1 = 9.5;  Σ db² = 4 + 0 + 1 + 4 + 1 = 10.
    // rho = 9.5 / sqrt(9.5 · 10) = sqrt(0.95) = 0.97467943…
    // (The no-ties shortcut 1 − 6Σd²/(n(n²−1)) with Σd² = 0.5 would give 0.975 — wrong with ties.)
    const rho = spearman([10, 20, 20, 40, 30], [1, 3, 2, 5, 4]);
    expect(rho).toBeCloseTo(Math.sqrt(0.95), 14);
    expect(rho).not.toBeCloseTo(0.975, 6);
  });

  it("is symmetric, sign-flips under negation and takes typed arrays", () => {
    const a = [3, 1, 4, 1, 5, 9, 2, 6];
    const b = [2, 7, 1, 8, 2, 8, 1, 8];
    expect(spearman(a, b)).toBeCloseTo(spearman(b, a), 15);
    expect(spearman(a, b.map((x) => -x))).toBeCloseTo(-spearman(a, b), 15);
    expect(spearman(new Float32Array(a), new Float64Array(b))).toBeCloseTo(spearman(a, b), 15);
  });

  it("is NaN when one side is constant", () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it("rejects bad input with clear messages", () => {
    expect(() => spearman([1, 2, 3], [1, 2])).toThrow(/lengths 3 and 2/);
    expect(() => spearman([1], [1])).toThrow(/at least 2 pairs, got 1/);
    expect(() => spearman([], [])).toThrow(RangeError);
    expect(() => spearman([1, NaN], [1, 2])).toThrow(/a\[1\] is NaN/);
    expect(() => spearman([1, 2], [-Infinity, 2])).toThrow(/b\[0\] is -Infinity/);
  });
});

describe("rocAuc", () => {
  it("matches a small case counted by pairs", () => {
    // positives [0.9, 0.8, 0.4] vs negatives [0.7, 0.5, 0.3, 0.1]:
    // 0.9 beats all 4, 0.8 beats all 4, 0.4 beats 0.3 and 0.1 → 10 of 12 pairs = 5/6.
    expect(rocAuc([0.9, 0.8, 0.4], [0.7, 0.5, 0.3, 0.1])).toBeCloseTo(5 / 6, 15);
  });

  it("counts ties as 1/2", () => {
    // positives [1, 2, 3] vs negatives [2, 2, 0]:
    // 1: loses to 2, 2, beats 0 → 1;  2: ties 2, 2 (½ + ½), beats 0 → 2;  3: beats all → 3.  6 of 9 = 2/3.
    expect(rocAuc([1, 2, 3], [2, 2, 0])).toBeCloseTo(2 / 3, 15);
    // Everything tied: every pair is ½.
    expect(rocAuc([5, 5], [5, 5, 5])).toBe(0.5);
    expect(rocAuc([1], [1])).toBe(0.5);
  });

  it("is 1 for perfect separation, 0 reversed, and 1 − AUC with the sides swapped", () => {
    expect(rocAuc([3, 4, 5], [0, 1, 2])).toBe(1);
    expect(rocAuc([0, 1, 2], [3, 4, 5])).toBe(0);
    const [p, n] = [[0.2, 0.9, 0.5, 0.5], [0.5, 0.1, 0.7]];
    expect(rocAuc(n, p)).toBeCloseTo(1 - rocAuc(p, n), 15);
  });

  it("agrees with pair counting on random scores with many ties", () => {
    const rnd = lcg(42);
    for (let trial = 0; trial < 20; trial++) {
      const m = 1 + Math.floor(rnd() * 40);
      const n = 1 + Math.floor(rnd() * 40);
      const pos = Array.from({ length: m }, () => Math.floor(rnd() * 8));
      const neg = Array.from({ length: n }, () => Math.floor(rnd() * 8) - 1);
      expect(rocAuc(pos, neg)).toBeCloseTo(aucByPairs(pos, neg), 12);
      expect(rocAuc(new Float32Array(pos), neg)).toBeCloseTo(aucByPairs(pos, neg), 12);
    }
  });

  it("rejects bad input with clear messages", () => {
    expect(() => rocAuc([], [1])).toThrow(/at least 1 positive and 1 negative, got 0 and 1/);
    expect(() => rocAuc([1], [])).toThrow(RangeError);
    expect(() => rocAuc([1, NaN], [0])).toThrow(/positives\[1\] is NaN/);
    expect(() => rocAuc([1], [Infinity])).toThrow(/negatives\[0\] is Infinity/);
  });
});
