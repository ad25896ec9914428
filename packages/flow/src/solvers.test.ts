import { Random } from "@adagen/core";
import { describe, expect, it } from "vitest";
import { dataFromVelocity, noiseFromVelocity } from "./path.js";
import { eulerStep, flowDpmSolver2S, flowDpmSolverFirstOrder, heunStep, rk2Step } from "./solvers.js";
import { GaussianFlowTarget } from "./testbed/gaussian.js";

const target = new GaussianFlowTarget({ dim: 3, numClasses: 2, std: 0.5, seed: 7 });
const B = 6;
const labels = Int32Array.from({ length: B }, (_, b) => b % 3); // includes the null class 2
const T0 = 0.01;
const T1 = 0.99;
const x0 = new Random(3).fillNormal(new Float64Array(B * target.dim)) as Float64Array;
const full = (v: number) => new Float64Array(B).fill(v);
const exact = target.transport(x0, full(T0), full(T1), labels);

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

type Method = "euler" | "heun" | "midpoint" | "ralston" | "dpm2S";
type Grid = "uniform" | "logSnr";

const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));
const logit = (p: number) => Math.log(p / (1 - p));

/**
 * Integrates from T0 to T1 with `n` steps of `method` on a grid uniform in tau or in lambda = log(tau/(1 − tau));
 * second-order steps put their stage at the grid's midpoint (Ralston: at 2/3 of the step). Returns the max abs error.
 */
function integrate(method: Method, n: number, grid: Grid = "uniform"): number {
  let x = Float64Array.from(x0);
  const at =
    grid === "uniform"
      ? (u: number) => (u >= n ? T1 : T0 + ((T1 - T0) * u) / n)
      : (u: number) => (u >= n ? T1 : sigmoid(logit(T0) + ((logit(T1) - logit(T0)) * u) / n));
  for (let i = 0; i < n; i++) {
    const [s, t] = [full(at(i)), full(at(i + 1))];
    const v = target.velocity(x, s, labels);
    if (method === "euler") {
      x = eulerStep({ x, v, s, t });
    } else if (method === "heun") {
      const vEnd = target.velocity(eulerStep({ x, v, s, t }), t, labels);
      x = heunStep({ x, v, vEnd, s, t });
    } else {
      const s1 = full(at(i + (method === "ralston" ? 2 / 3 : 0.5)));
      const stage = eulerStep({ x, v, s, t: s1 });
      const vStage = target.velocity(stage, s1, labels);
      x =
        method !== "dpm2S"
          ? rk2Step({ x, v, vStage, s, s1, t })
          : flowDpmSolver2S({
              x,
              xData: dataFromVelocity(x, v, s),
              xDataMid: dataFromVelocity(stage, vStage, s1),
              s,
              s1,
              t,
            });
    }
  }
  let err = 0;
  for (let i = 0; i < x.length; i++) err = Math.max(err, Math.abs(x[i] - exact[i]));
  return err;
}

/** Least-squares slope of log(error) against log(1/steps): the observed order of convergence. */
function order(method: Method, grid: Grid = "uniform"): number {
  const xs = STEPS.map((n) => Math.log(1 / n));
  const ys = STEPS.map((n) => Math.log(integrate(method, n, grid)));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * (ys[i] - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

/** Step counts of the order fits: past the pre-asymptotic range, below the paper's 2S clamp (see the last test). */
const STEPS = [16, 32, 64, 128];

describe("flow solvers on a Gaussian target with a closed-form flow", () => {
  it("Euler converges with order 1", () => {
    expect(Math.abs(order("euler") - 1)).toBeLessThan(0.3);
  });

  it("Heun converges with order 2", () => {
    expect(Math.abs(order("heun") - 2)).toBeLessThan(0.3);
  });

  it("the two-stage RK2 of FlowEnv's rk2 solver is second order for any stage point", () => {
    expect(Math.abs(order("ralston") - 2)).toBeLessThan(0.3);
    // The midpoint stage is at least second order; on this linear test problem it is even third order.
    expect(order("midpoint")).toBeGreaterThan(1.7);
  });

  it("DPM-Solver++(2S) with alpha = tau, sigma = 1 − tau converges with order 2 (lambda-uniform grid)", () => {
    expect(Math.abs(order("dpm2S", "logSnr") - 2)).toBeLessThan(0.3);
  });

  it("the exact transport is what the fine solvers approach", () => {
    expect(integrate("heun", 256)).toBeLessThan(2e-5);
    expect(integrate("ralston", 256)).toBeLessThan(1e-5);
    expect(integrate("dpm2S", 256, "logSnr")).toBeLessThan(2e-4);
  });

  it("first-order DPM-Solver++ on the flow path is the Euler step", () => {
    const s = Float64Array.from({ length: B }, (_, b) => 0.1 + 0.1 * b);
    const t = Float64Array.from(s, (v) => v + 0.05 + 0.01 * v);
    const v = target.velocity(x0, s, labels);
    const viaDpm = flowDpmSolverFirstOrder({ x: x0, xData: dataFromVelocity(x0, v, s), s, t });
    const viaEuler = eulerStep({ x: x0, v, s, t });
    viaDpm.forEach((a, i) => expect(a).toBeCloseTo(viaEuler[i], 12));
  });

  it("x = tau·x_data + (1 − tau)·eps for the data and noise predictions of a velocity", () => {
    const tau = Float64Array.from({ length: B }, (_, b) => 0.05 + 0.15 * b);
    const v = target.velocity(x0, tau, labels);
    const xd = dataFromVelocity(x0, v, tau);
    const eps = noiseFromVelocity(x0, v, tau);
    const d = target.dim;
    for (let i = 0; i < x0.length; i++) {
      const t = tau[Math.floor(i / d)];
      expect(t * xd[i] + (1 - t) * eps[i]).toBeCloseTo(x0[i], 12);
      expect(xd[i] - eps[i]).toBeCloseTo(v[i], 12);
    }
  });

  it("the paper's 2S clamp max(h1, 0.01) stops DPM-Solver++ from improving once half-steps go below 0.01 in lambda", () => {
    // Uniform in tau, 256 pairs put lambda half-steps of ≈ 0.0077 around tau = 0.5: the clamp shrinks the correction.
    expect(integrate("dpm2S", 256)).toBeGreaterThan(integrate("dpm2S", 128));
    expect(integrate("dpm2S", 256, "logSnr")).toBeLessThan(integrate("dpm2S", 128, "logSnr") / 3);
  });

  it("DPM-Solver++(2S) from tau = 0 (pure noise) stays finite instead of ∞/∞", () => {
    const s = full(0);
    const [s1, t] = [full(0.2), full(0.4)];
    const v = target.velocity(x0, s, labels);
    const xData = dataFromVelocity(x0, v, s);
    const stage = flowDpmSolverFirstOrder({ x: x0, xData, s, t: s1 });
    expect(maxAbs(stage, eulerStep({ x: x0, v, s, t: s1 }))).toBeLessThan(1e-10);
    const xDataMid = dataFromVelocity(stage, target.velocity(stage, s1, labels), s1);
    const out = flowDpmSolver2S({ x: x0, xData, xDataMid, s, s1, t });
    expect(out.every(Number.isFinite)).toBe(true);
    const floored = flowDpmSolver2S({ x: x0, xData, xDataMid, s: full(1e-12), s1, t });
    expect(maxAbs(out, floored)).toBe(0);
    // A sensible step: closer to the exact transport than one Euler step over the same interval.
    const exactT = target.transport(x0, s, t, labels);
    expect(maxAbs(out, exactT)).toBeLessThan(maxAbs(eulerStep({ x: x0, v, s, t }), exactT));
  });

  it("a zero-length step leaves x unchanged and bad arguments name the offending value", () => {
    const s = full(0.99);
    const v = target.velocity(x0, s, labels);
    expect(Array.from(rk2Step({ x: x0, v, vStage: v, s, s1: s, t: s }))).toEqual(Array.from(x0));
    expect(() => eulerStep({ x: x0, v: v.subarray(1), s, t: s })).toThrow(/"v" has 17 values, expected 18/);
    expect(() => eulerStep({ x: x0, v, s: full(0.1).subarray(1), t: full(0.2).subarray(1) })).toThrow(/not a multiple of the 5/);
    expect(() => rk2Step({ x: x0, v, vStage: v, s: full(0.1), s1: full(0.3), t: full(0.2) })).toThrow(
      /sample 0 needs s < s1 ≤ t, got s=0.1, s1=0.3, t=0.2/,
    );
  });
});
