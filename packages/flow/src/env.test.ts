import { ActionDecoder, residualTable, type Endpoint } from "@adagen/core";
import { describe, expect, it } from "vitest";
import { sampleFlowSchedule, shiftedGrid, timeUniformGrid } from "./baselines.js";
import { FlowEnv, uniformTimes } from "./env.js";
import type { FlowSolverName } from "./flow-solver-scheduler.js";
import { GaussianFlowTarget, GaussianVelocityPredictor } from "./testbed/gaussian.js";
import { maxAbsDiff, referenceSampler, rolloutUntrained } from "./testing/reference.js";

const target = new GaussianFlowTarget({ dim: 4, numClasses: 3, std: 0.5, seed: 5 });
const predictor = new GaussianVelocityPredictor(target);
const labels = Int32Array.from([0, 1, 2, 3, 1]); // 3 = null class: unconditional samples work too

describe("FlowEnv action spec", () => {
  it("has T+1 decisions and the SiT heuristic of docs/method.md §16 (T = 16, rho = 0.8)", () => {
    const env = new FlowEnv(predictor, { steps: 16 });
    expect(env.horizon).toBe(17);
    expect(env.stochastic).toBe(false);
    expect(env.solver).toBe("dpm2S");
    expect(env.actionSpec.keys.map((k) => [k.name, k.activation])).toEqual([
      ["nextTime", "sigmoid"],
      ["guidanceScale", "softplus"],
    ]);
    expect(env.actionSpec.smoothing).toBe(0.8);
    const times = env.actionSpec.heuristic.map((row) => row[0]);
    expect(times[0]).toBeCloseTo(0.01, 12);
    expect(times[1]).toBeCloseTo(0.07125, 12);
    expect(times[16]).toBeCloseTo(0.99, 12);
    env.actionSpec.heuristic.forEach((row) => expect(row[1]).toBe(1.5));
    const h = residualTable(env.actionSpec);
    [-4.59512, 5.54226, 0.87541, 0.38701].forEach((v, k) => expect(h[k][0]).toBeCloseTo(v, 4));
    expect(h[16][0]).toBeCloseTo(12.70502, 4);
    h.forEach((row) => expect(row[1]).toBeCloseTo(1.24752, 5));
  });

  it("takes guidance, smoothing and heuristic times as options", () => {
    const env = new FlowEnv(predictor, { steps: 2, guidanceInit: 0.5, smoothing: 0, heuristicTimes: [0.1, 0.5, 0.9] });
    expect(env.actionSpec.heuristic).toEqual([
      [0.1, 0.5],
      [0.5, 0.5],
      [0.9, 0.5],
    ]);
    expect(env.actionSpec.smoothing).toBe(0);
  });
});

describe("FlowEnv sampling", () => {
  const cases: [FlowSolverName, number, Endpoint][] = [
    ["dpm2S", 4, "data"],
    ["dpm2S", 3, "data"],
    ["rk2", 4, "data"],
    ["rk2", 5, "data"],
    ["euler", 3, "data"],
    ["dpm2S", 4, "last-time"],
    ["rk2", 5, "last-time"],
  ];
  it.each(cases)("an untrained policy reproduces the heuristic %s sampler with %i NFE sample for sample (endpoint %s)", async (solver, T, endpoint) => {
    const w = 0.75;
    const env = new FlowEnv(predictor, { steps: T, solver, guidanceInit: w, smoothing: 0.8, endpoint });
    const got = await rolloutUntrained(env, labels, 11);
    const times = uniformTimes(T);
    const want = await referenceSampler(predictor, times, w, solver, labels, 11, endpoint);
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    // The comparison has teeth: another guidance weight, solver or endpoint moves the samples far more.
    expect(maxAbsDiff(got, await referenceSampler(predictor, times, w + 0.5, solver, labels, 11, endpoint))).toBeGreaterThan(1e-2);
    const other: FlowSolverName = solver === "euler" ? "dpm2S" : "euler";
    expect(maxAbsDiff(got, await referenceSampler(predictor, times, w, other, labels, 11, endpoint))).toBeGreaterThan(1e-4);
    const otherEnd: Endpoint = endpoint === "data" ? "last-time" : "data";
    expect(maxAbsDiff(got, await referenceSampler(predictor, times, w, solver, labels, 11, otherEnd))).toBeGreaterThan(1e-4);
    const executed = env.executedSchedule();
    executed.times.forEach((t, k) => expect(t[0]).toBeCloseTo(k === T && endpoint === "data" ? 1 : times[k], 6));
    executed.guidance.forEach((g) => expect(g[0]).toBeCloseTo(w, 6));
  });

  it("shows zero features at decision 0, then the conditional pass's features", async () => {
    const env = new FlowEnv(predictor, { steps: 2 });
    await env.reset(Int32Array.from([0, 1]), 1);
    const obs0 = await env.observe();
    expect(obs0.step).toBe(0);
    expect(obs0.features.shape).toEqual([2, 2, 4]);
    expect(obs0.features.data.every((v) => v === 0)).toBe(true);
    await env.step({ nextTime: Float32Array.from([0.2, 0.4]), guidanceScale: Float32Array.from([1, 1]) });
    const obs1 = await env.observe();
    expect(obs1.step).toBe(1);
    expect(obs1.features.data[4]).toBeCloseTo(0.2, 6); // tau row of sample 0
    expect(obs1.features.data[8 + 4]).toBeCloseTo(0.4, 6); // sample 1 has its own start time
  });

  it("clamps the start only to ≤ 0.99, later times to [tau + 0.01, 0.99] with the upper bound winning", async () => {
    // The noisy endpoint, so the last decision's time goes through the clamps too.
    const env = new FlowEnv(predictor, { steps: 4, solver: "euler", endpoint: "last-time" });
    const B = 3;
    await env.reset(Int32Array.from([0, 1, 2]), 5);
    const w = new Float32Array(B).fill(1);
    await env.step({ nextTime: Float32Array.from([0.5, 0.999, 0.001]), guidanceScale: w });
    await env.step({ nextTime: Float32Array.from([0.3, 0.2, 0.6]), guidanceScale: w });
    await env.step({ nextTime: Float32Array.from([0.9, 1.0, 0.0]), guidanceScale: w });
    const frozen = Float32Array.from((await env.observe()).features.data.subarray(8, 12)); // x of sample 1
    await env.step({ nextTime: Float32Array.from([0.995, 0.5, 0.5]), guidanceScale: w });
    await env.step({ nextTime: Float32Array.from([0.0, 0.0, 0.0]), guidanceScale: w });
    const t = env.executedSchedule().times.map((row) => Array.from(row));
    expect(t[0][0]).toBeCloseTo(0.5, 6);
    expect(t[0][1]).toBeCloseTo(0.99, 12); // start: ceiling only
    expect(t[0][2]).toBeCloseTo(0.001, 6); // start: no floor
    expect(t[1][0]).toBeCloseTo(0.51, 6); // at least tau + 0.01
    expect(t[1][1]).toBeCloseTo(0.99, 12); // tau + 0.01 = 1.0, the ceiling wins
    expect(t[1][2]).toBeCloseTo(0.6, 6);
    expect(t[2][0]).toBeCloseTo(0.9, 6);
    expect(t[3][0]).toBeCloseTo(0.99, 12); // 0.995 → ceiling
    expect(t[4][0]).toBeCloseTo(0.99, 12);
    const last = (await env.render()).data.subarray(4, 8);
    // Sample 1 sat at 0.99 from its start: every step had length 0, so its state never moved.
    expect(maxAbsDiff(last, frozen)).toBe(0);
    expect(Array.from(frozen)).not.toEqual([0, 0, 0, 0]);
  });

  it("render returns the final state [B, ...dataShape] only after T+1 decisions", async () => {
    const env = new FlowEnv(predictor, { steps: 1, solver: "euler" });
    await env.reset(Int32Array.from([0, 2]), 3);
    await expect(env.render()).rejects.toThrow(/0 of 2 decisions taken/);
    await env.step({ nextTime: Float32Array.from([0.01, 0.01]), guidanceScale: Float32Array.from([1, 1]) });
    await env.step({ nextTime: Float32Array.from([0.99, 0.99]), guidanceScale: Float32Array.from([0, 0]) });
    const out = await env.render();
    expect(out.shape).toEqual([2, 4]);
    await expect(env.observe()).rejects.toThrow(/finished \(2 decisions taken\)/);
    await expect(env.step({ nextTime: new Float32Array(2), guidanceScale: new Float32Array(2) })).rejects.toThrow(/finished/);
  });

  it("rejects bad options and actions with messages naming the value", async () => {
    expect(() => new FlowEnv(predictor, { steps: 0 })).toThrow(/steps \(NFE\) must be a positive integer, got 0/);
    expect(() => new FlowEnv(predictor, { steps: 2.5 })).toThrow(/got 2.5/);
    expect(() => new FlowEnv(predictor, { steps: 2, solver: "rk4" as FlowSolverName })).toThrow(
      /solver must be one of "dpm2S", "rk2", "euler", got "rk4"/,
    );
    expect(() => new FlowEnv(predictor, { steps: 2, guidanceInit: 0 })).toThrow(/guidanceInit must be > 0 .*got 0/);
    expect(() => new FlowEnv(predictor, { steps: 2, smoothing: 1 })).toThrow(/smoothing \(rho\) must be in \[0, 1\), got 1/);
    expect(() => new FlowEnv(predictor, { steps: 2, heuristicTimes: [0.1, 0.5] })).toThrow(/needs 3 time points .*got 2/);
    expect(() => new FlowEnv(predictor, { steps: 2, heuristicTimes: [0.1, 0.5, 0.995] })).toThrow(
      /heuristic time 2 is 0.995; it must be in \(0, 0.99\]/,
    );
    expect(() => new FlowEnv(predictor, { steps: 2, heuristicTimes: [0.1, 0.5, 0.505] })).toThrow(
      /heuristic time 2 is 0.505; it must be at least the previous 0.5 plus 0.01/,
    );
    expect(() => new FlowEnv(predictor, { steps: 2, heuristicTimes: [0.1, 0.985, 0.99] })).not.toThrow();
    const env = new FlowEnv(predictor, { steps: 2 });
    await expect(env.observe()).rejects.toThrow(/before reset/);
    await expect(env.reset(Int32Array.from([0, 4]), 1)).rejects.toThrow(/condition 4 is out of range 0..3/);
    await env.reset(Int32Array.from([0, 1]), 1);
    await expect(env.step({ nextTime: new Float32Array(2) })).rejects.toThrow(/missing action "guidanceScale"/);
    await expect(env.step({ nextTime: new Float32Array(3), guidanceScale: new Float32Array(2) })).rejects.toThrow(
      /action "nextTime" has 3 values, expected 2/,
    );
  });
});

describe("baseline schedules", () => {
  it("time-uniform runs 0.01 → 0.99 and the shift moves interior points toward data for s > 1", () => {
    expect(timeUniformGrid(4)).toEqual(uniformTimes(4));
    const u = timeUniformGrid(8);
    expect(u[0]).toBe(0.01);
    expect(u[8]).toBe(0.99);
    expect(shiftedGrid(8, 1).map((t, k) => t - u[k]).every((d) => Math.abs(d) < 1e-15)).toBe(true);
    const up = shiftedGrid(8, 3);
    const down = shiftedGrid(8, 1 / 3);
    expect([up[0], up[8], down[0], down[8]]).toEqual([0.01, 0.99, 0.01, 0.99]);
    for (let k = 1; k < 8; k++) {
      expect(up[k]).toBeGreaterThan(u[k]);
      expect(down[k]).toBeLessThan(u[k]);
      // f_s(u) = s·u/(1 + (s − 1)·u) on the fraction u = k/8 of the way from 0.01 to 0.99.
      const f = (3 * (k / 8)) / (1 + 2 * (k / 8));
      expect(up[k]).toBeCloseTo(0.01 + 0.98 * f, 12);
      // Shift 1/s is the mirror image of shift s: f_{1/s}(u) = 1 − f_s(1 − u).
      expect(down[k] - 0.01).toBeCloseTo(0.98 - (up[8 - k] - 0.01), 12);
    }
    expect(() => shiftedGrid(8, 0)).toThrow(/time shift must be a positive number, got 0/);
    expect(() => timeUniformGrid(0)).toThrow(/nfe must be a positive integer, got 0/);
    expect(() => timeUniformGrid(4, 0.5, 0.995)).toThrow(/tauEnd=0.995/);
  });

  it.each(["dpm2S", "rk2", "euler"] as FlowSolverName[])(
    "sampleFlowSchedule (%s) runs the env's code: same samples as the reference sampler",
    async (solver) => {
      const times = shiftedGrid(6, 2);
      const out = await sampleFlowSchedule(predictor, { times, guidance: 0.5, conditions: labels, seed: 4, solver });
      expect(out.shape).toEqual([labels.length, 4]);
      expect(maxAbsDiff(out.data, await referenceSampler(predictor, times, 0.5, solver, labels, 4))).toBeLessThan(1e-5);
    },
  );

  it("sampleFlowSchedule with a constant guidance equals the untrained env on the same heuristic", async () => {
    const times = shiftedGrid(4, 0.5);
    const env = new FlowEnv(predictor, { steps: 4, heuristicTimes: times, guidanceInit: 1.5 });
    const viaEnv = await rolloutUntrained(env, labels, 9);
    const viaBaseline = await sampleFlowSchedule(predictor, { times, guidance: 1.5, conditions: labels, seed: 9 });
    expect(maxAbsDiff(viaEnv, viaBaseline.data)).toBeLessThan(1e-5);
    expect(() => new ActionDecoder(env.actionSpec)).not.toThrow();
  });

  it("sampleFlowSchedule rejects a guidance list of the wrong length or a negative weight", async () => {
    const times = timeUniformGrid(3);
    await expect(sampleFlowSchedule(predictor, { times, guidance: [1, 1], conditions: labels, seed: 0 })).rejects.toThrow(
      /guidance has 2 values, expected one per model evaluation \(3\)/,
    );
    await expect(sampleFlowSchedule(predictor, { times, guidance: -1, conditions: labels, seed: 0 })).rejects.toThrow(
      /guidance must be ≥ 0, got -1/,
    );
  });
});
