import { describe, expect, it } from "vitest";
import { descendTimePoints, moveTimePoint } from "./time-point-descent.js";

describe("moveTimePoint", () => {
  it("moves an interior point by a fraction of its gap, towards the previous point for > 0 and the next for < 0", () => {
    const times = [1, 0.6, 0.2, 0];
    expect(moveTimePoint(times, 1, 0.5)).toEqual([1, 0.8, 0.2, 0]);
    expect(moveTimePoint(times, 1, -0.25)).toEqual([1, 0.5, 0.2, 0]);
    expect(moveTimePoint(times, 2, -0.5)).toEqual([1, 0.6, 0.1, 0]);
    expect(times).toEqual([1, 0.6, 0.2, 0]);
  });

  it("refuses the end points and fractions outside (−1, 1) or 0, naming the value", () => {
    expect(() => moveTimePoint([1, 0.5, 0], 0, 0.5)).toThrow(/time point 0 is not interior \(1\.\.1\)/);
    expect(() => moveTimePoint([1, 0.5, 0], 2, 0.5)).toThrow(/time point 2 is not interior/);
    expect(() => moveTimePoint([1, 0.5, 0], 1, 1)).toThrow(/got 1/);
    expect(() => moveTimePoint([1, 0.5, 0], 1, 0)).toThrow(/got 0/);
  });
});

describe("descendTimePoints", () => {
  // A separable bowl with its minimum at interior points 0.75 and 0.25 (end points 1 and 0 fixed).
  const bowl = (t: number[]) => (t[1] - 0.75) ** 2 + (t[2] - 0.25) ** 2;

  it("walks each interior point towards the minimum of a known score, coarse then finer", async () => {
    const start = [1, 0.5, 0.1, 0];
    const calls: number[][] = [];
    const r = await descendTimePoints(start, bowl(start), async (t) => (calls.push(t), bowl(t)), { fractions: [0.4, 0.2, 0.1], sweeps: 5, minGain: 0 });
    // Point 1 moves towards 1 (0.5 → 0.7 → 0.76), point 2 towards point 1 (0.1 → … → 0.26), each in steps of its gap.
    expect(Math.abs(r.times[1] - 0.75)).toBeLessThan(0.03);
    expect(Math.abs(r.times[2] - 0.25)).toBeLessThan(0.03);
    expect(r.score).toBeCloseTo(bowl(r.times), 12);
    expect(r.score).toBeLessThan(bowl(start) / 50);
    expect([r.times[0], r.times[3]]).toEqual([1, 0]);
    // Every schedule is scored once, and every trial is recorded in order.
    expect(new Set(calls.map((t) => JSON.stringify(t))).size).toBe(calls.length);
    expect(r.trials.map((t) => t.times)).toEqual(calls);
    // The first trial is point 1 moved 0.4 of its gap towards the start (0.5 → 0.7), which improves and is taken.
    expect(r.trials[0]).toEqual({ times: [1, 0.7, 0.1, 0], point: 1, fraction: 0.4, score: bowl([1, 0.7, 0.1, 0]) });
  });

  it("keeps the start when no move beats it by more than minGain, and records refused schedules", async () => {
    const start = [1, 0.75, 0.25, 0];
    const r = await descendTimePoints(start, 0, async (t) => (t[1] > 0.8 ? { skipped: "too close" } : bowl(t)), { fractions: [0.4], sweeps: 3, minGain: 0.01 });
    expect(r.times).toEqual(start);
    expect(r.score).toBe(0);
    // One sweep (nothing moved): two trials per interior point, the refused one kept with its reason.
    expect(r.trials).toHaveLength(4);
    expect(r.trials[0]).toEqual({ times: [1, 0.85, 0.25, 0], point: 1, fraction: 0.4, skipped: "too close" });
    // A gain below minGain is not taken.
    const near = await descendTimePoints(start, 1, async () => 0.995, { fractions: [0.4], sweeps: 1, minGain: 0.01 });
    expect(near.times).toEqual(start);
    expect(near.score).toBe(1);
  });

  it("scores each sampler once when several schedules run the same one (samplerKey)", async () => {
    // A sampler that sees its points only to a tenth, like MaskGIT's masked counts (floor(N·m)).
    const key = (t: readonly number[]) => t.map((x) => Math.floor(x * 10)).join(",");
    const start = [1, 0.52, 0.15, 0];
    const quantized = (t: number[]) => bowl(t.map((x) => Math.floor(x * 10) / 10));
    const run = async (samplerKey?: typeof key) => {
      const calls: string[] = [];
      const r = await descendTimePoints(start, quantized(start), async (t) => (calls.push(key(t)), quantized(t)), { fractions: [0.4, 0.1, 0.05], sweeps: 4, minGain: 0, samplerKey });
      return { r, calls };
    };
    const { r, calls } = await run(key);
    // Every sampler scored is a new one: never the start's, never one scored before; every trial is recorded.
    expect(new Set(calls).size).toBe(calls.length);
    expect(calls).not.toContain(key(start));
    expect(r.trials).toHaveLength(calls.length);
    expect(r.score).toBeLessThan(quantized(start));
    // Without the key, fine moves that stay on a sampler already scored (0.52 → 0.568 …) are scored again.
    const plain = (await run()).calls;
    expect(new Set(plain).size).toBeLessThan(plain.length);
  });
});
