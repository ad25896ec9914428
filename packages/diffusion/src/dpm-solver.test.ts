import { describe, expect, it } from "vitest";
import { dataPrediction, dpmSolver2M, dpmSolver2S, dpmSolverFirstOrder } from "@adagen/core";
import { VPCosineSchedule, VPLinearSchedule, type NoiseSchedule } from "./schedules.js";

/**
 * Gaussian target N(mu, s²·I): x_tau ~ N(alpha·mu, v·I) with v = alpha²s² + sigma², so the exact data prediction is
 * E[x0 | x_tau] = mu + (alpha·s²/v)·(x − alpha·mu), and the probability-flow ODE keeps the standardised coordinate
 * (x − alpha·mu)/sqrt(v) fixed, which gives the exact solution between any two times.
 */
class GaussianTarget {
  constructor(
    readonly sch: NoiseSchedule,
    readonly mu: number[],
    readonly s: number,
  ) {}
  private v(tau: number): number {
    return this.sch.alpha(tau) ** 2 * this.s ** 2 + this.sch.sigma(tau) ** 2;
  }
  x0(x: Float64Array, tau: ArrayLike<number>): Float64Array {
    const d = this.mu.length;
    const out = new Float64Array(x.length);
    for (let b = 0; b < tau.length; b++) {
      const a = this.sch.alpha(tau[b]);
      const k = (a * this.s ** 2) / this.v(tau[b]);
      for (let j = 0; j < d; j++) out[b * d + j] = this.mu[j] + k * (x[b * d + j] - a * this.mu[j]);
    }
    return out;
  }
  exact(x: Float64Array, from: number, to: number): Float64Array {
    const d = this.mu.length;
    const ratio = Math.sqrt(this.v(to) / this.v(from));
    const [af, at] = [this.sch.alpha(from), this.sch.alpha(to)];
    return x.map((xi, i) => at * this.mu[i % d] + ratio * (xi - af * this.mu[i % d]));
  }
}

type Method = "1" | "2S" | "2M";

/**
 * Integrates from grid[0] down to grid[N] with one solver step per interval and returns the state at every grid point (2S: intermediate at the lambda
 * midpoint). 2M starts from exact history: the state and data prediction one lambda step before grid[0] are taken
 * from the closed-form solution, the standard way to measure a multistep method's own order. (With a first-order
 * bootstrap step the global order is still 2, but at these step counts its error partly cancels the multistep
 * error, which makes the fitted slope erratic.)
 */
function integrate(target: GaussianTarget, method: Method, x: Float64Array, grid: number[], B: number): Float64Array[] {
  const sch = target.sch;
  const full = (v: number) => new Float64Array(B).fill(v);
  let xs = x;
  const path = [x];
  let x0Prev: Float64Array | undefined;
  let tPrev = NaN;
  if (method === "2M") {
    tPrev = sch.inverseLambda(2 * sch.lambda(grid[0]) - sch.lambda(grid[1]));
    x0Prev = target.x0(target.exact(x, grid[0], tPrev), full(tPrev));
  }
  for (let i = 0; i + 1 < grid.length; i++) {
    const s = full(grid[i]);
    const t = full(grid[i + 1]);
    const x0 = target.x0(xs, s);
    if (method === "1") {
      xs = dpmSolverFirstOrder(sch, { x: xs, x0, s, t });
    } else if (method === "2M") {
      xs = dpmSolver2M(sch, { x: xs, x0, x0Prev: x0Prev!, tPrev: full(tPrev), s, t });
    } else {
      const s1 = full(sch.inverseLambda(0.5 * (sch.lambda(grid[i]) + sch.lambda(grid[i + 1]))));
      const xMid = dpmSolverFirstOrder(sch, { x: xs, x0, s, t: s1 });
      xs = dpmSolver2S(sch, { x: xs, x0, x0Mid: target.x0(xMid, s1), s, s1, t });
    }
    x0Prev = x0;
    tPrev = grid[i];
    path.push(xs);
  }
  return path;
}

function logSnrGrid(sch: NoiseSchedule, from: number, to: number, n: number): number[] {
  const [l0, l1] = [sch.lambda(from), sch.lambda(to)];
  return Array.from({ length: n + 1 }, (_, i) => (i === 0 ? from : i === n ? to : sch.inverseLambda(l0 + ((l1 - l0) * i) / n)));
}

/** Least-squares slope of −log(error) against log(N). */
function convergenceSlope(ns: number[], errors: number[]): number {
  const xs = ns.map(Math.log);
  const ys = errors.map((e) => -Math.log(e));
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * (ys[i] - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

describe("DPM-Solver++ order of convergence on a Gaussian target (closed-form ODE solution)", () => {
  const Ns = [4, 8, 16, 32, 64];
  const cases: [string, NoiseSchedule][] = [
    ["linear", new VPLinearSchedule()],
    ["cosine", new VPCosineSchedule()],
  ];
  const expected: [Method, number][] = [
    ["1", 1],
    ["2S", 2],
    ["2M", 2],
  ];
  for (const [schName, sch] of cases) {
    for (const [method, order] of expected) {
      it(`${method} on ${schName} has order ${order}`, () => {
        const target = new GaussianTarget(sch, [1.5, -0.7, 0.3], 0.5);
        const x = Float64Array.from([0.3, -1.2, 2.0, -0.5, 0.8, 0.1]); // B = 2 samples, d = 3
        const [from, to] = [0.8, 0.05];
        // Global error, max over the samples and over the checkpoints at 1/4, 2/4, 3/4 and all of the lambda range
        // (shared by every grid): one checkpoint alone can sit near a sign change of the error and look too good.
        const errors = Ns.map((n) => {
          const grid = logSnrGrid(sch, from, to, n);
          const path = integrate(target, method, x, grid, 2);
          let err = 0;
          for (let q = 1; q <= 4; q++) {
            const exact = target.exact(x, from, grid[(n * q) / 4]);
            path[(n * q) / 4].forEach((g, i) => (err = Math.max(err, Math.abs(g - exact[i]))));
          }
          return err;
        });
        const slope = convergenceSlope(Ns, errors);
        console.log(`order ${method} ${schName}: slope ${slope.toFixed(3)}, errors ${errors.map((e) => e.toExponential(2)).join(" ")}`);
        expect(slope).toBeGreaterThan(order - 0.3);
        expect(slope).toBeLessThan(order + 0.3);
      });
    }
  }
});

describe("DPM-Solver++ steps", () => {
  const sch = new VPLinearSchedule();
  const x = Float64Array.from([0.5, -1, 2, 0.25]);
  const x0 = Float64Array.from([0.1, 0.2, -0.3, 0.4]);
  const x0b = Float64Array.from([0.0, 0.3, -0.1, 0.2]);

  it("leave x unchanged when t = s", () => {
    const s = [0.01, 0.4];
    expect(Array.from(dpmSolverFirstOrder(sch, { x, x0, s, t: s }))).toEqual(Array.from(x));
    const got2S = dpmSolver2S(sch, { x, x0, x0Mid: x0b, s, s1: s, t: s });
    got2S.forEach((v, i) => expect(v).toBeCloseTo(x[i], 12));
  });

  it("use each sample's own times", () => {
    const s = [0.8, 0.5];
    const t = [0.6, 0.2];
    const both = dpmSolverFirstOrder(sch, { x, x0, s, t });
    const second = dpmSolverFirstOrder(sch, { x: x.slice(2), x0: x0.slice(2), s: [0.5], t: [0.2] });
    expect(Array.from(both.slice(2))).toEqual(Array.from(second));
    expect(both[0]).not.toBeCloseTo(dpmSolverFirstOrder(sch, { x: x.slice(0, 2), x0: x0.slice(0, 2), s: [0.5], t: [0.2] })[0], 3);
  });

  it("2S reduces to first order when the intermediate prediction equals the start one, and clamps h1", () => {
    const s = [0.8, 0.8];
    const t = [0.3, 0.3];
    const first = dpmSolverFirstOrder(sch, { x, x0, s, t });
    const same = dpmSolver2S(sch, { x, x0, x0Mid: x0, s, s1: [0.5, 0.5], t });
    same.forEach((v, i) => expect(v).toBeCloseTo(first[i], 12));
    // s1 = s gives h1 = 0: the correction uses h1 = 0.01, finite, as in the paper's code.
    const clamped = dpmSolver2S(sch, { x, x0, x0Mid: x0b, s, s1: s, t });
    const h = sch.lambda(0.3) - sch.lambda(0.8);
    const c0 = -sch.alpha(0.3) * Math.expm1(-h);
    const want = (sch.sigma(0.3) / sch.sigma(0.8)) * x[1] + c0 * (x0[1] + (h / 0.02) * (x0b[1] - x0[1]));
    expect(clamped[1]).toBeCloseTo(want, 10);
  });

  it("2M extrapolates with 1/(2r), r = h_prev/h", () => {
    const [tPrev, s, t] = [0.9, 0.6, 0.3];
    const got = dpmSolver2M(sch, { x, x0, x0Prev: x0b, tPrev: [tPrev, tPrev], s: [s, s], t: [t, t] });
    const h = sch.lambda(t) - sch.lambda(s);
    const r = (sch.lambda(s) - sch.lambda(tPrev)) / h;
    const D = (1 + 1 / (2 * r)) * x0[2] - (1 / (2 * r)) * x0b[2];
    const want = (sch.sigma(t) / sch.sigma(s)) * x[2] - sch.alpha(t) * Math.expm1(-h) * D;
    expect(got[2]).toBeCloseTo(want, 12);
  });

  it("dataPrediction inverts the forward noising", () => {
    const eps = Float64Array.from([0.3, -0.2, 1.1, 0.7]);
    const tau = [0.3, 0.7];
    const xt = x0.map((v, i) => sch.alpha(tau[i >> 1]) * v + sch.sigma(tau[i >> 1]) * eps[i]);
    dataPrediction(sch, xt, eps, tau).forEach((v, i) => expect(v).toBeCloseTo(x0[i], 10));
  });

  it("rejects mismatched shapes, naming them", () => {
    expect(() => dpmSolverFirstOrder(sch, { x, x0: x0.slice(1), s: [0.5, 0.5], t: [0.2, 0.2] })).toThrow(/x0.*3 values, expected 4/);
    expect(() => dpmSolverFirstOrder(sch, { x, x0, s: [0.5, 0.5, 0.5], t: [0.2, 0.2, 0.2] })).toThrow(/3 per-sample/);
  });
});
