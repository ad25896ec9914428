import { describe, expect, it } from "vitest";
import { VPCosineSchedule, VPLinearSchedule, ditTimestep, noiseSchedule } from "./schedules.js";

describe("VP linear schedule", () => {
  const sch = new VPLinearSchedule();

  // docs/method.md §16, "DiT VP-linear schedule sanity values".
  it.each([
    [1.0, -5.025, undefined, undefined, -5.02498],
    [0.9, -4.07475, 0.016996, 0.999856, -4.07461],
    [0.5, -1.26875, 0.281183, 0.959654, -1.22757],
    [0.01, -0.0009975, undefined, 0.044643, 3.10806],
  ])("tau=%f matches the docs/method.md values", (tau, logAlpha, alpha, sigma, lambda) => {
    expect(sch.logAlpha(tau)).toBeCloseTo(logAlpha, 5);
    if (alpha !== undefined) expect(sch.alpha(tau)).toBeCloseTo(alpha, 6);
    if (sigma !== undefined) expect(sch.sigma(tau)).toBeCloseTo(sigma, 6);
    expect(sch.lambda(tau)).toBeCloseTo(lambda, 5);
  });

  it("is variance preserving and lambda decreases with tau", () => {
    let prev = Infinity;
    for (let tau = 0.001; tau <= 1; tau += 0.037) {
      expect(sch.alpha(tau) ** 2 + sch.sigma(tau) ** 2).toBeCloseTo(1, 12);
      const l = sch.lambda(tau);
      expect(l).toBeLessThan(prev);
      prev = l;
    }
  });

  it("inverts lambda in closed form", () => {
    for (const tau of [1e-4, 0.01, 0.2, 0.5, 0.9, 1]) {
      expect(sch.inverseLambda(sch.lambda(tau))).toBeCloseTo(tau, 10);
    }
  });

  it("is the continuum limit of DiT's discrete linear betas 1e-4..0.02 over 1000 steps", () => {
    // alpha_bar_n = prod_{i<=n}(1 − beta_i); continuous alpha(tau)² at tau = n/1000.
    let logAlphaBar = 0;
    for (let i = 0; i < 1000; i++) {
      const beta = 1e-4 + ((0.02 - 1e-4) * i) / 999;
      logAlphaBar += Math.log1p(-beta);
      const n = i + 1;
      if (n === 500 || n === 1000) {
        const cont = 2 * sch.logAlpha(n / 1000);
        expect(Math.abs(cont - logAlphaBar) / Math.abs(logAlphaBar)).toBeLessThan(0.02);
      }
    }
  });

  it("maps tau to DiT's model time input by plain scaling", () => {
    expect(ditTimestep(0.9)).toBeCloseTo(900, 10);
  });

  it("rejects times outside [0, 1]", () => {
    expect(() => sch.alpha(1.2)).toThrow(/got 1.2/);
  });
});

describe("VP cosine schedule", () => {
  const sch = new VPCosineSchedule();
  it("starts at alpha = 1, is variance preserving and inverts lambda", () => {
    expect(sch.alpha(0)).toBeCloseTo(1, 12);
    for (const tau of [0.001, 0.1, 0.5, 0.9, 0.99]) {
      expect(sch.alpha(tau) ** 2 + sch.sigma(tau) ** 2).toBeCloseTo(1, 12);
      expect(sch.inverseLambda(sch.lambda(tau))).toBeCloseTo(tau, 9);
    }
    // alpha(0.5)² = cos²(π/2·0.508/1.008) / cos²(π/2·0.008/1.008) = 0.4938436 (computed by hand in float64).
    expect(sch.alpha(0.5) ** 2).toBeCloseTo(0.4938436, 6);
    expect(sch.lambda(sch.tauMax)).toBeCloseTo(-5.0, 0);
  });
  it("is selected by name", () => {
    expect(noiseSchedule("cosine")).toBeInstanceOf(VPCosineSchedule);
    expect(noiseSchedule("linear")).toBeInstanceOf(VPLinearSchedule);
    expect(() => noiseSchedule("sqrt" as never)).toThrow(/sqrt/);
  });
});
