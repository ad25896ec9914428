import { describe, expect, it } from "vitest";
import { TokenSampler } from "./token-sampler.js";

/** How often each id is drawn over an even grid of n uniforms (the inverse CDF makes these the exact shares). */
function shares(sampler: TokenSampler, row: Float32Array, n: number, temperature: number, topK?: number, topP?: number): number[] {
  const counts = new Array(row.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampler.draw(row, (i + 0.5) / n, temperature, topK, topP)]++;
  return counts.map((c) => c / n);
}

const logitsOf = (probs: number[]) => Float32Array.from(probs, (p) => Math.log(p));

describe("TokenSampler", () => {
  const probs = [0.05, 0.5, 0.15, 0.3];
  const row = logitsOf(probs);

  it("without filters draws from softmax(row / τ), and logProbability is log softmax at temperature 1", () => {
    const s = new TokenSampler(4);
    shares(s, row, 10_000, 1).forEach((share, j) => expect(share).toBeCloseTo(probs[j], 3));
    // τ = 0.5: p^2 renormalised.
    const sq = probs.map((p) => p * p);
    const z = sq.reduce((a, b) => a + b);
    shares(s, row, 10_000, 0.5).forEach((share, j) => expect(share).toBeCloseTo(sq[j] / z, 3));
    const id = s.draw(row, 0.7, 0.5);
    expect(s.logProbability(row, id)).toBeCloseTo(Math.log(probs[id]), 6);
  });

  it("top-k = 1 gives the argmax for every uniform and temperature; k keeps the k largest", () => {
    const s = new TokenSampler(4);
    for (const u of [0, 0.3, 0.999999]) for (const tau of [0.1, 1, 5]) expect(s.draw(row, u, tau, 1)).toBe(1);
    const two = shares(s, row, 8000, 1, 2);
    expect(two[0] + two[2]).toBe(0);
    expect(two[1]).toBeCloseTo(0.5 / 0.8, 3);
    expect(two[3]).toBeCloseTo(0.3 / 0.8, 3);
    // K ≤ 0 and K ≥ V filter nothing.
    expect(shares(s, row, 1000, 1, 0)).toEqual(shares(s, row, 1000, 1, 4));
    expect(shares(s, row, 1000, 1, 0)).toEqual(shares(s, row, 1000, 1));
  });

  it("top-p keeps the smallest set whose mass exceeds p, and always the most likely token", () => {
    const s = new TokenSampler(4);
    // Increasing order 0.05, 0.15, 0.3, 0.5: cumulative 0.05, 0.2, 0.5, 1. p = 0.7 removes cumulative ≤ 0.3.
    const p70 = shares(s, row, 8000, 1, 0, 0.7);
    expect(p70[0] + p70[2]).toBe(0);
    expect(p70[1]).toBeCloseTo(0.5 / 0.8, 3);
    // p = 0.9 keeps 0.15 too (cumulative 0.2 > 0.1), p = 0.96 everything.
    expect(shares(s, row, 1000, 1, 0, 0.9)[0]).toBe(0);
    expect(shares(s, row, 1000, 1, 0, 0.9)[2]).toBeGreaterThan(0);
    expect(shares(s, row, 1000, 1, 0, 0.96).every((x) => x > 0)).toBe(true);
    // A tiny p keeps only the most likely token.
    expect(shares(s, row, 1000, 3, 0, 1e-6)[1]).toBe(1);
  });

  it("top-p applies to the top-k-filtered logits at temperature 1; the temperature comes after both", () => {
    const s = new TokenSampler(4);
    // top-k 3 renormalises to 0.5/0.95, 0.3/0.95, 0.15/0.95; in increasing order cumulative 0.158, 0.474, 1.
    // p = 0.6 removes cumulative ≤ 0.4: only the 0.15 token. A temperature of 10 then flattens what is left.
    const kept = shares(s, row, 8000, 10, 3, 0.6);
    expect(kept[0] + kept[2]).toBe(0);
    const w = [0.5, 0.3].map((p) => Math.pow(p, 1 / 10));
    expect(kept[1]).toBeCloseTo(w[0] / (w[0] + w[1]), 3);
  });

  it("refuses a row of the wrong length", () => {
    expect(() => new TokenSampler(4).draw(new Float32Array(5), 0.5, 1)).toThrow(/5 values, expected 4/);
  });
});
