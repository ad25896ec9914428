import {
  ActionDecoder,
  Random,
  classifierFreeGuidance,
  dataPrediction,
  dpmSolver2M,
  dpmSolver2S,
  dpmSolverFirstOrder,
  residualTable,
  type Endpoint,
  type GenerationEnv,
} from "@adagen/core";
import { describe, expect, it } from "vitest";
import type { SolverName } from "./dpm-solver-scheduler.js";
import { DiffusionEnv } from "./env.js";
import type { NoisePredictor } from "./predictor.js";
import { VPLinearSchedule } from "./schedules.js";
import { GaussianMixture, GmmNoisePredictor } from "./testbed/gmm.js";

const schedule = new VPLinearSchedule();
const mixture = new GaussianMixture({ dim: 2, seed: 3 });
const predictor = new GmmNoisePredictor(mixture, schedule);
const labels = Int32Array.from([0, 1, 2, 3, 4, 1]); // 4 = null class: unconditional samples work too

/**
 * The docs/method.md §5.3 procedure written out directly: one guided model call per time point but the last, 2S in
 * pairs (odd count: last step first order), 2M from the second step on, DDIM for "1". With the data endpoint the
 * step that would end at the last time point returns the last call's data prediction instead.
 */
async function referenceSampler(
  pred: NoisePredictor,
  times: number[],
  w: number,
  solver: SolverName,
  conds: Int32Array,
  seed: number,
  endpoint: Endpoint = "data",
): Promise<Float32Array> {
  const toData = endpoint === "data";
  const B = conds.length;
  const dim = pred.dataShape[0];
  const T = times.length - 1;
  const tf = times.map(Math.fround); // executed actions are float32
  const full = (v: number) => new Float64Array(B).fill(v);
  const nulls = new Int32Array(B).fill(pred.numClasses);
  const x0At = async (x: Float32Array, tau: number) => {
    const t32 = new Float32Array(B).fill(tau);
    const c = await pred.predict(x, t32, conds, B);
    const u = await pred.predict(x, t32, nulls, B);
    return dataPrediction(schedule, x, classifierFreeGuidance(c.output, u.output, new Float32Array(B).fill(w)), full(tau));
  };
  let x = new Random(seed).fillNormal(new Float32Array(B * dim)) as Float32Array;
  if (solver === "2S") {
    let i = 0;
    while (i < T) {
      const s = tf[i];
      const x0s = await x0At(x, s);
      if (i + 1 < T) {
        const [s1, t] = [tf[i + 1], tf[i + 2]];
        const xm = dpmSolverFirstOrder(schedule, { x, x0: x0s, s: full(s), t: full(s1) });
        const x0m = await x0At(xm, s1);
        x = toData && i + 2 === T ? x0m : dpmSolver2S(schedule, { x, x0: x0s, x0Mid: x0m, s: full(s), s1: full(s1), t: full(t) });
        i += 2;
      } else {
        x = toData ? x0s : dpmSolverFirstOrder(schedule, { x, x0: x0s, s: full(s), t: full(tf[T]) });
        i += 1;
      }
    }
  } else {
    let prev: Float32Array | undefined;
    for (let i = 0; i < T; i++) {
      const x0 = await x0At(x, tf[i]);
      const [s, t] = [full(tf[i]), full(tf[i + 1])];
      x =
        toData && i === T - 1
          ? x0
          : solver === "2M" && prev
          ? dpmSolver2M(schedule, { x, x0, x0Prev: prev, tPrev: full(tf[i - 1]), s, t })
          : dpmSolverFirstOrder(schedule, { x, x0, s, t });
      prev = x0;
    }
  }
  return x;
}

/** Rolls out `env` with an untrained policy: zero raw outputs through the core ActionDecoder. */
async function rolloutUntrained(env: GenerationEnv, conds: Int32Array, seed: number): Promise<Float32Array> {
  const decoder = new ActionDecoder(env.actionSpec);
  decoder.reset(conds.length);
  await env.reset(conds, seed);
  for (let k = 0; k < env.horizon; k++) {
    const obs = await env.observe();
    expect(obs.step).toBe(k);
    await env.step(decoder.decode(new Float32Array(conds.length * decoder.numKeys), k));
  }
  return (await env.render()).data;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("DiffusionEnv", () => {
  it("has T+1 decisions and the DiT heuristic of docs/method.md §16 (T = 16, rho = 0.4)", () => {
    const env = new DiffusionEnv(predictor, { steps: 16 });
    expect(env.horizon).toBe(17);
    expect(env.stochastic).toBe(false);
    expect(env.featureShape).toEqual([3, 3]);
    expect(env.actionSpec.keys.map((k) => k.name)).toEqual(["nextTime", "guidanceScale"]);
    const h = residualTable(env.actionSpec);
    [2.19722, 1.35376, 1.06825, 0.80595].forEach((v, k) => expect(h[k][0]).toBeCloseTo(v, 4));
    expect(h[15][0]).toBeCloseTo(-3.1061, 4);
    expect(h[16][0]).toBeCloseTo(-5.88792, 4);
    expect(env.actionSpec.heuristic[4][0]).toBeCloseTo(0.6775, 10);
    h.forEach((row) => expect(row[1]).toBeCloseTo(0.541325, 5));
  });

  const cases: [SolverName, number, Endpoint][] = [
    ["2S", 4, "data"],
    ["2S", 3, "data"],
    ["2M", 5, "data"],
    ["1", 3, "data"],
    ["2S", 4, "last-time"],
    ["2M", 5, "last-time"],
  ];
  it.each(cases)("an untrained policy reproduces the heuristic %s sampler with %i NFE sample for sample (endpoint %s)", async (solver, T, endpoint) => {
    const w = 0.75;
    const env = new DiffusionEnv(predictor, { steps: T, solver, guidanceInit: w, smoothing: 0.4, endpoint });
    const got = await rolloutUntrained(env, labels, 11);
    const times = Array.from({ length: T + 1 }, (_, k) => 0.9 - (k * 0.89) / T);
    const want = await referenceSampler(predictor, times, w, solver, labels, 11, endpoint);
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    // The comparison has teeth: a different guidance weight, solver or endpoint moves the samples far more.
    expect(maxAbsDiff(got, await referenceSampler(predictor, times, w + 0.5, solver, labels, 11, endpoint))).toBeGreaterThan(1e-2);
    expect(maxAbsDiff(got, await referenceSampler(predictor, times, w, solver === "1" ? "2S" : "1", labels, 11, endpoint))).toBeGreaterThan(1e-4);
    const other: Endpoint = endpoint === "data" ? "last-time" : "data";
    expect(maxAbsDiff(got, await referenceSampler(predictor, times, w, solver, labels, 11, other))).toBeGreaterThan(1e-3);
    const executed = env.executedSchedule().times.map((t) => t[0]);
    executed.forEach((t, k) => expect(t).toBeCloseTo(k === T && endpoint === "data" ? 0 : times[k], 6));
  });

  it("lands on the exact data when the model is exact (Gaussian data, closed-form x0)", async () => {
    // Data x0 ~ N(m, s²) per coordinate, VP forward x_tau = alpha·x0 + sigma·n. The exact denoiser is the posterior
    // mean E[x0 | x_tau] = m + alpha·s²·(x_tau − alpha·m)/(alpha²s² + sigma²); eps = (x − alpha·x0_hat)/sigma. At the
    // data end the sampler must return exactly that posterior mean of its last state, not a state with noise left.
    const [m, sd] = [0.3, 0.5];
    const gaussian: NoisePredictor = {
      dataShape: [2],
      featureShape: [1, 1],
      numClasses: 1,
      async predict(x, tau, _labels, B) {
        const eps = new Float32Array(x.length);
        for (let b = 0; b < B; b++) {
          const [a, sg] = [schedule.alpha(tau[b]), schedule.sigma(tau[b])];
          for (let i = 2 * b; i < 2 * b + 2; i++) {
            const x0 = m + (a * sd * sd * (x[i] - a * m)) / (a * a * sd * sd + sg * sg);
            eps[i] = (x[i] - a * x0) / sg;
          }
        }
        return { output: eps, features: new Float32Array(B) };
      },
    };
    const steps = 3;
    const env = new DiffusionEnv(gaussian, { steps, solver: "1", smoothing: 0 });
    const B = 4;
    await env.reset(new Int32Array(B), 2);
    const times = [0.9, 0.5, 0.2, 0.01];
    let lastX = new Float32Array(0);
    for (let k = 0; k <= steps; k++) {
      if (k === steps) lastX = Float32Array.from((env as unknown as { x: Float32Array }).x);
      await env.step({ nextTime: new Float32Array(B).fill(times[k]), guidanceScale: new Float32Array(B).fill(0) });
    }
    const out = (await env.render()).data;
    const tau = Math.fround(0.2);
    const [a, sg] = [schedule.alpha(tau), schedule.sigma(tau)];
    for (let i = 0; i < out.length; i++)
      expect(out[i]).toBeCloseTo(m + (a * sd * sd * (lastX[i] - a * m)) / (a * a * sd * sd + sg * sg), 4);
    // The noisy endpoint instead keeps sigma(0.01)·eps of noise: a different state.
    const noisy = new DiffusionEnv(gaussian, { steps, solver: "1", smoothing: 0, endpoint: "last-time" });
    await noisy.reset(new Int32Array(B), 2);
    for (let k = 0; k <= steps; k++) await noisy.step({ nextTime: new Float32Array(B).fill(times[k]), guidanceScale: new Float32Array(B).fill(0) });
    expect(maxAbsDiff((await noisy.render()).data, out)).toBeGreaterThan(1e-3);
  });

  it("shows zero features at decision 0, then the conditional pass's features", async () => {
    const env = new DiffusionEnv(predictor, { steps: 2 });
    await env.reset(Int32Array.from([0, 1]), 1);
    const obs0 = await env.observe();
    expect(obs0.features.shape).toEqual([2, 3, 3]);
    expect(obs0.features.data.every((v) => v === 0)).toBe(true);
    await env.step({ nextTime: Float32Array.from([0.8, 0.6]), guidanceScale: Float32Array.from([1, 1]) });
    const obs1 = await env.observe();
    expect(obs1.step).toBe(1);
    expect(obs1.features.data[2]).toBeCloseTo(0.8, 6); // tau channel of sample 0, token 0
    expect(obs1.features.data[9 + 2]).toBeCloseTo(0.6, 6); // sample 1 has its own start time
  });

  it("clamps each proposed time to [0.01, tau − 0.01], the lower bound winning, and then stands still", async () => {
    // The noisy endpoint, so the last decision's time goes through the clamps too.
    const env = new DiffusionEnv(predictor, { steps: 4, solver: "1", endpoint: "last-time" });
    const B = 3;
    await env.reset(Int32Array.from([0, 1, 2]), 5);
    const w = new Float32Array(B).fill(1);
    await env.step({ nextTime: Float32Array.from([0.5, 0.999, 0.001]), guidanceScale: w }); // start: only ≥ 0.01
    await env.step({ nextTime: Float32Array.from([0.7, 0.3, 0.9]), guidanceScale: w });
    await env.step({ nextTime: Float32Array.from([0.2, 0.0, 0.0]), guidanceScale: w });
    const frozen = Float32Array.from((await env.observe()).features.data); // x_t of every sample
    await env.step({ nextTime: Float32Array.from([0.1, 0.5, 0.5]), guidanceScale: w });
    await env.step({ nextTime: Float32Array.from([0.0, 0.0, 0.0]), guidanceScale: w });
    const t = env.executedSchedule().times.map((row) => Array.from(row));
    expect(t[0][0]).toBeCloseTo(0.5, 6);
    expect(t[0][1]).toBeCloseTo(0.999, 6);
    expect(t[0][2]).toBeCloseTo(0.01, 6);
    expect(t[1][0]).toBeCloseTo(0.49, 6); // 0.7 > 0.5 − 0.01
    expect(t[1][1]).toBeCloseTo(0.3, 6);
    expect(t[1][2]).toBeCloseTo(0.01, 6); // lower bound wins over 0.01 − 0.01
    expect(t[2][1]).toBeCloseTo(0.01, 6);
    expect(t[4].every((v) => Math.abs(v - 0.01) < 1e-9)).toBe(true);
    // Sample 2 sat at tau = 0.01 from the start: h = 0 every step, so x never moved.
    const out = (await env.render()).data;
    expect(out[4]).toBeCloseTo(frozen[2 * 9], 6);
    expect(out[5]).toBeCloseTo(frozen[2 * 9 + 1], 6);
  });

  it("runs each sample on its own schedule", async () => {
    const T = 2;
    const run = async (conds: Int32Array, times: number[][], seed: number) => {
      const env = new DiffusionEnv(predictor, { steps: T });
      await env.reset(conds, seed);
      for (let k = 0; k <= T; k++)
        await env.step({ nextTime: Float32Array.from(times.map((r) => r[k])), guidanceScale: new Float32Array(conds.length).fill(0.5) });
      return (await env.render()).data;
    };
    const both = await run(Int32Array.from([1, 1]), [
      [0.9, 0.5, 0.01],
      [0.9, 0.2, 0.01],
    ], 4);
    const again = await run(Int32Array.from([1, 1]), [
      [0.9, 0.5, 0.01],
      [0.9, 0.5, 0.01],
    ], 4);
    expect(maxAbsDiff(both.slice(0, 2), again.slice(0, 2))).toBeLessThan(1e-6);
    expect(maxAbsDiff(both.slice(2), again.slice(2))).toBeGreaterThan(1e-3);
  });

  it("starts each run of noiseGroup samples from one initial noise (paired exploration)", async () => {
    const T = 2;
    const run = async (noiseGroup: number | undefined) => {
      const env = new DiffusionEnv(predictor, { steps: T });
      await env.reset(Int32Array.from([1, 1, 1, 1, 1, 1]), 9, noiseGroup ? { noiseGroup } : undefined);
      for (let k = 0; k <= T; k++) await env.step({ nextTime: new Float32Array(6).fill([0.9, 0.5, 0.01][k]), guidanceScale: new Float32Array(6).fill(1) });
      return (await env.render()).data;
    };
    const grouped = await run(3);
    const sample = (x: Float32Array, b: number) => x.slice(2 * b, 2 * b + 2);
    expect(maxAbsDiff(sample(grouped, 0), sample(grouped, 2))).toBe(0);
    expect(maxAbsDiff(sample(grouped, 3), sample(grouped, 5))).toBe(0);
    expect(maxAbsDiff(sample(grouped, 0), sample(grouped, 3))).toBeGreaterThan(1e-3);
    // Groups of 1 are the plain draw.
    expect(maxAbsDiff(await run(1), await run(undefined))).toBe(0);
    const env = new DiffusionEnv(predictor, { steps: T });
    await expect(env.reset(labels, 1, { noiseGroup: 0 })).rejects.toThrow(/noiseGroup must be a positive integer, got 0/);
  });

  it("guides only the configured channels", async () => {
    const run = async (w: number, guidedChannels?: number[]) => {
      const env = new DiffusionEnv(predictor, { steps: 1, solver: "1", guidedChannels });
      await env.reset(Int32Array.from([2]), 9);
      await env.step({ nextTime: Float32Array.of(0.5), guidanceScale: Float32Array.of(w) });
      await env.step({ nextTime: Float32Array.of(0.01), guidanceScale: Float32Array.of(w) });
      return (await env.render()).data;
    };
    const [plain, all, first] = [await run(0), await run(3), await run(3, [0])];
    expect(Math.abs(all[0] - plain[0])).toBeGreaterThan(1e-3);
    expect(first[0]).toBeCloseTo(all[0], 6);
    expect(first[1]).toBeCloseTo(plain[1], 6);
  });

  it("makes 2 model calls per guided evaluation and names bad input", async () => {
    const pred = new GmmNoisePredictor(mixture, schedule);
    const env = new DiffusionEnv(pred, { steps: 3 });
    await rolloutUntrained(env, labels, 0);
    expect(pred.calls).toBe(6);
    await expect(env.step({ nextTime: Float32Array.of(0.5), guidanceScale: Float32Array.of(1) })).rejects.toThrow(/finished/);
    await env.reset(Int32Array.from([0, 1]), 0);
    await expect(env.render()).rejects.toThrow(/0 of 4 decisions/);
    await expect(env.step({ nextTime: Float32Array.of(0.5, 0.5) })).rejects.toThrow(/guidanceScale/);
    await expect(env.step({ nextTime: Float32Array.of(0.5), guidanceScale: Float32Array.of(1) })).rejects.toThrow(/expected 2/);
    await expect(env.reset(Int32Array.from([7]), 0)).rejects.toThrow(/condition 7/);
    expect(() => new DiffusionEnv(pred, { steps: 2, heuristicTimes: [0.9, 0.5, 0.495] })).toThrow(/0.495/);
    expect(() => new DiffusionEnv(pred, { steps: 0 })).toThrow(/got 0/);
    expect(() => new DiffusionEnv(pred, { steps: 2, guidanceInit: [1] })).toThrow("guidanceInit has 1 values, expected one per model evaluation (2)");
    expect(() => new DiffusionEnv(pred, { steps: 2, guidanceInit: [1, 0] })).toThrow("guidanceInit[1] must be > 0 (softplus range), got 0");
    // Decision k ≥ 1 carries model evaluation k's weight; the start decision repeats the first.
    expect(new DiffusionEnv(pred, { steps: 2, guidanceInit: [0.5, 2] }).actionSpec.heuristic.map((row) => row[1])).toEqual([0.5, 0.5, 2]);
  });
});
