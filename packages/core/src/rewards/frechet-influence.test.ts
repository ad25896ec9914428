import { describe, expect, it } from "vitest";
import { frechetDistance } from "@adagen/metrics";
import { Random } from "../random.js";
import { influenceAt, influenceTerms, symmetricRoot } from "./frechet-influence-reward.js";

/** A random symmetric positive definite d × d matrix, B Bᵀ / d + 0.1 I. */
function spd(d: number, rng: Random, scale = 1): Float64Array {
  const B = Float64Array.from({ length: d * d }, () => rng.normal());
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += B[i * d + k] * B[j * d + k];
      out[i * d + j] = scale * (s / d + (i === j ? 0.1 : 0));
    }
  return out;
}

const d = 5;

describe("the Fréchet distance's influence function", () => {
  it("is the derivative of FD when a sliver of the distribution moves onto a point (finite differences)", () => {
    const rng = new Random(3);
    const realMean = Float64Array.from({ length: d }, () => rng.normal());
    const realSigma = spd(d, rng);
    const mean = Float64Array.from({ length: d }, () => rng.normal());
    const sigma = spd(d, rng, 0.6);
    const inf = influenceTerms(mean, sigma, realMean, symmetricRoot(realSigma, d, 0.5), d);
    const real = { mu: realMean, sigma: realSigma };
    for (let t = 0; t < 4; t++) {
      const x = Float64Array.from({ length: d }, () => 2 * rng.normal());
      const eps = 1e-6;
      // The mixture (1 − ε) P + ε δ_x: mean μ + εΔ, covariance (1 − ε) Σ + ε (1 − ε) Δ Δᵀ; a central difference.
      const delta = Float64Array.from(x, (v, i) => v - mean[i]);
      const mixed = (e: number) => ({
        mu: Float64Array.from(mean, (v, i) => v + e * delta[i]),
        sigma: Float64Array.from(sigma, (v, k) => (1 - e) * v + e * (1 - e) * delta[Math.floor(k / d)] * delta[k % d]),
      });
      const numeric = (frechetDistance(mixed(eps), real).fid - frechetDistance(mixed(-eps), real).fid) / (2 * eps);
      expect(influenceAt(inf, x)).toBeCloseTo(numeric, 5);
    }
  });

  it("averages to zero over the distribution it is taken at", () => {
    const rng = new Random(4);
    const points = Array.from({ length: 400 }, () => Float64Array.from({ length: d }, () => rng.normal() * 1.5 + 0.3));
    const mean = new Float64Array(d);
    for (const p of points) p.forEach((v, i) => (mean[i] += v / points.length));
    const sigma = new Float64Array(d * d);
    for (const p of points) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) sigma[i * d + j] += ((p[i] - mean[i]) * (p[j] - mean[j])) / points.length;
    const inf = influenceTerms(mean, sigma, new Float64Array(d), symmetricRoot(spd(d, rng), d, 0.5), d);
    const average = points.reduce((a, p) => a + influenceAt(inf, p), 0) / points.length;
    expect(Math.abs(average)).toBeLessThan(1e-9);
  });

  it("rewards spread when the policy is too narrow and the centre when it is too wide", () => {
    const realSigma = Float64Array.from({ length: d * d }, (_, k) => (Math.floor(k / d) === k % d ? 1 : 0));
    const root = symmetricRoot(realSigma, d, 0.5);
    const zero = new Float64Array(d);
    const far = Float64Array.from({ length: d }, () => 2);
    for (const [scale, farIsBetter] of [
      [0.25, true],
      [4, false],
    ] as const) {
      const inf = influenceTerms(zero, realSigma.map((v) => v * scale), zero, root, d);
      // Reward is minus the influence: lower influence is better.
      expect(influenceAt(inf, far) < influenceAt(inf, zero)).toBe(farIsBetter);
    }
    // A mean shift: a point on the reals' side of the policy's mean lowers the distance.
    const shifted = influenceTerms(Float64Array.from({ length: d }, () => 1), realSigma, zero, root, d);
    expect(influenceAt(shifted, zero)).toBeLessThan(influenceAt(shifted, Float64Array.from({ length: d }, () => 2)));
  });

  it("takes matrix square roots whose square is the matrix", () => {
    const S = spd(d, new Random(9));
    const R = symmetricRoot(S, d, 0.5);
    const Rinv = symmetricRoot(S, d, -0.5);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let rr = 0;
        let rinv = 0;
        for (let k = 0; k < d; k++) {
          rr += R[i * d + k] * R[k * d + j];
          rinv += R[i * d + k] * Rinv[k * d + j];
        }
        expect(rr).toBeCloseTo(S[i * d + j], 10);
        expect(rinv).toBeCloseTo(i === j ? 1 : 0, 10);
      }
  });
});
