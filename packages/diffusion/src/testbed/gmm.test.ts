import { Random } from "@adagen/core";
import { describe, expect, it } from "vitest";
import { VPCosineSchedule, VPLinearSchedule } from "../schedules.js";
import { GaussianMixture, GmmNoisePredictor } from "./gmm.js";

/** log p_tau(x | class) of the noised mixture (class −1: all classes, equally likely), up to a constant. */
function logDensity(g: GaussianMixture, x: number[], alpha: number, sigma: number, cls: number): number {
  const d = g.dim;
  let total = 0;
  for (let k = 0; k < g.numComponents; k++) {
    if (cls >= 0 && g.classOf[k] !== cls) continue;
    const v = alpha * alpha * g.stds[k] ** 2 + sigma * sigma;
    let r2 = 0;
    for (let j = 0; j < d; j++) r2 += (x[j] - alpha * g.means[k * d + j]) ** 2;
    total += g.weight[k] * Math.exp(-0.5 * r2 / v) * v ** (-d / 2);
  }
  return Math.log(total);
}

describe("GaussianMixture", () => {
  it("is built from its seed: 4 classes × 2 components by default, weights summing to 1 per class", () => {
    const a = new GaussianMixture({ dim: 16, seed: 7 });
    const b = new GaussianMixture({ dim: 16, seed: 7 });
    const c = new GaussianMixture({ dim: 16, seed: 8 });
    expect(a.numComponents).toBe(8);
    expect(Array.from(a.means)).toEqual(Array.from(b.means));
    expect(a.means[0]).not.toBe(c.means[0]);
    for (let cls = 0; cls < 4; cls++) {
      let s = 0;
      for (let k = 0; k < 8; k++) if (a.classOf[k] === cls) s += a.weight[k];
      expect(s).toBeCloseTo(1, 12);
    }
  });

  it("samples each class with its mixture mean", () => {
    const g = new GaussianMixture({ dim: 2, seed: 1 });
    const n = 20000;
    const labels = new Int32Array(n).fill(2);
    const x = g.sample(labels, new Random(3));
    for (let j = 0; j < 2; j++) {
      let want = 0;
      for (let k = 0; k < g.numComponents; k++) if (g.classOf[k] === 2) want += g.weight[k] * g.means[k * 2 + j];
      let got = 0;
      for (let i = 0; i < n; i++) got += x[i * 2 + j] / n;
      expect(got).toBeCloseTo(want, 1);
      expect(Math.abs(got - want)).toBeLessThan(0.02);
    }
    expect(() => g.sample(Int32Array.of(4), new Random(0))).toThrow(/label 4/);
  });

  it.each([
    ["linear", new VPLinearSchedule(), 0.3],
    ["linear", new VPLinearSchedule(), 0.05],
    ["cosine", new VPCosineSchedule(), 0.6],
  ] as const)("denoises exactly (Tweedie: E[x0|x] = (x + sigma²·∇log p)/alpha) on %s at tau=%f", (_, sch, tau) => {
    const g = new GaussianMixture({ dim: 3, seed: 5 });
    const a = sch.alpha(tau);
    const s = sch.sigma(tau);
    const rng = new Random(2);
    for (let trial = 0; trial < 4; trial++) {
      const x = [0, 0, 0].map(() => rng.normal() * 0.7);
      const label = trial % 2 === 0 ? 1 : g.numClasses;
      const { x0Cond, x0Uncond } = g.denoise(x, [tau], Int32Array.of(label), sch);
      for (const [cls, got] of [
        [label === g.numClasses ? -1 : label, x0Cond],
        [-1, x0Uncond],
      ] as const) {
        for (let j = 0; j < 3; j++) {
          const e = 1e-5;
          const xp = x.slice();
          const xm = x.slice();
          xp[j] += e;
          xm[j] -= e;
          const grad = (logDensity(g, xp, a, s, cls) - logDensity(g, xm, a, s, cls)) / (2 * e);
          expect(got[j]).toBeCloseTo((x[j] + s * s * grad) / a, 4);
        }
      }
    }
  });
});

describe("GmmNoisePredictor", () => {
  it("returns eps = (x − alpha·x0_cond)/sigma and features [x_t | x0_cond | x0_uncond] with tau in the last channel", async () => {
    const g = new GaussianMixture({ dim: 2, seed: 5 });
    const sch = new VPLinearSchedule();
    const p = new GmmNoisePredictor(g, sch);
    expect(p.featureShape).toEqual([3, 3]);
    const x = Float32Array.from([0.3, -0.2, 1.0, 0.5]);
    const tau = Float32Array.from([0.4, 0.7]);
    const labels = Int32Array.from([0, 4]);
    const { output: eps, features } = await p.predict(x, tau, labels, 2);
    const { x0Cond, x0Uncond } = g.denoise(x, tau, labels, sch);
    for (let b = 0; b < 2; b++) {
      for (let j = 0; j < 2; j++) {
        const i = b * 2 + j;
        expect(eps[i]).toBeCloseTo((x[i] - sch.alpha(tau[b]) * x0Cond[i]) / sch.sigma(tau[b]), 5);
        expect(features[b * 9 + j]).toBeCloseTo(x[i], 6);
        expect(features[b * 9 + 3 + j]).toBeCloseTo(x0Cond[i], 6);
        expect(features[b * 9 + 6 + j]).toBeCloseTo(x0Uncond[i], 6);
      }
      for (const t of [2, 5, 8]) expect(features[b * 9 + t]).toBeCloseTo(tau[b], 6);
    }
    // The null class's conditional prediction is the unconditional one; a real class's is not.
    expect(features[9 + 3]).toBeCloseTo(features[9 + 6], 6);
    expect(Math.abs(features[3] - features[6])).toBeGreaterThan(1e-3);
    await expect(p.predict(x, tau, Int32Array.of(0), 2)).rejects.toThrow(/labels \[2\]/);
  });
});
