import { describe, expect, it } from "vitest";
import { coordinateDescent, descendKnobs, moveKnob } from "./coordinate-descent.js";

describe("moveKnob", () => {
  it("moves one knob by its step, rounded to 6 significant digits, leaving the others and the input alone", () => {
    const knobs = { guidance: 0.1, guidanceEnd: 2 };
    expect(moveKnob(knobs, "guidance", 0.2)).toEqual({ guidance: 0.3, guidanceEnd: 2 });
    expect(moveKnob(knobs, "guidanceEnd", -0.5)).toEqual({ guidance: 0.1, guidanceEnd: 1.5 });
    expect(knobs).toEqual({ guidance: 0.1, guidanceEnd: 2 });
  });

  it("refuses a knob it does not hold and a zero or non-finite step, naming the value", () => {
    expect(() => moveKnob({ guidance: 1 }, "topK", 1)).toThrow(/no knob topK to move \(knobs: guidance\)/);
    expect(() => moveKnob({ guidance: 1 }, "guidance", 0)).toThrow(/got 0/);
    expect(() => moveKnob({ guidance: 1 }, "guidance", Number.NaN)).toThrow(/got NaN/);
  });
});

describe("descendKnobs", () => {
  // A bowl with its minimum at guidance 1.5, temperature 0.8.
  const bowl = (k: Record<string, number>) => (k.guidance - 1.5) ** 2 + 10 * (k.temperature - 0.8) ** 2;

  it("walks each knob by its step towards the minimum of a known score, up before down, and records every trial", async () => {
    const start = { guidance: 0.5, temperature: 1 };
    const calls: string[] = [];
    const r = await descendKnobs(start, bowl(start), async (k) => (calls.push(JSON.stringify(k)), bowl(k)), { steps: { guidance: 0.25, temperature: 0.1 }, sweeps: 10, minGain: 0 });
    expect(r.knobs).toEqual({ guidance: 1.5, temperature: 0.8 });
    expect(r.score).toBeCloseTo(0, 12);
    // Each setting scored once; the first trial is guidance up by its step (taken), the first temperature trial is up (not taken), then down.
    expect(new Set(calls).size).toBe(calls.length);
    expect(r.trials.map((t) => JSON.stringify(t.knobs))).toEqual(calls);
    expect(r.trials[0]).toEqual({ knobs: { guidance: 0.75, temperature: 1 }, knob: "guidance", delta: 0.25, score: bowl({ guidance: 0.75, temperature: 1 }) });
    expect(r.trials.slice(1, 3).map((t) => [t.knob, t.delta])).toEqual([["temperature", 0.1], ["temperature", -0.1]]);
  });

  it("keeps the start when every move is refused or gains no more than minGain", async () => {
    const start = { guidance: 1.5, temperature: 0.8 };
    const r = await descendKnobs(start, 1, async (k) => (k.guidance > 1.5 ? { skipped: "guidance above 1.5" } : 0.999), { steps: { guidance: 0.5, temperature: 0.1 }, sweeps: 3, minGain: 0.01 });
    expect(r.knobs).toEqual(start);
    expect(r.score).toBe(1);
    // One sweep (nothing moved), two trials per knob; the refused one kept with its reason.
    expect(r.trials).toHaveLength(4);
    expect(r.trials[0]).toEqual({ knobs: { guidance: 2, temperature: 0.8 }, knob: "guidance", delta: 0.5, skipped: "guidance above 1.5" });
    await expect(descendKnobs(start, 1, async () => 0, { steps: { guidance: -1 }, sweeps: 1, minGain: 0 })).rejects.toThrow(/knob guidance: its step must be positive, got -1/);
  });
});

describe("coordinateDescent", () => {
  it("goes through its stages in order and ends a stage at the first sweep that moves nothing", async () => {
    // One coordinate on the integers; stage 1 steps by 4, stage 2 by 1; the minimum is at 6.
    const stage = (step: number) => ({ coordinates: 1, moves: (x: number) => [x + step, x - step].map((value) => ({ value, move: step })) });
    const score = async (x: number) => Math.abs(x - 6);
    const r = await coordinateDescent(0, 6, score, { stages: [stage(4), stage(1)], sweeps: 5, minGain: 0, key: String });
    expect(r.value).toBe(6);
    // 0 → 4 → (8, 0 already seen) no move: stage 2: 4 → 5 → 6 → (7) no move.
    expect(r.trials.map((t) => t.value)).toEqual([4, 8, 5, 6, 7]);
    expect(r.trials.map((t) => t.move)).toEqual([4, 4, 1, 1, 1]);
  });

  it("takes a move that beats the current score only when confirm agrees, and marks the ones it refused", async () => {
    const stage = { coordinates: 1, moves: (x: number) => [x + 1, x - 1].map((value) => ({ value, move: value - x })) };
    const score = async (x: number) => Math.abs(x - 3);
    const asked: [number, number][] = [];
    // Refuses 2 (say its gain did not hold on other samples), agrees to everything else.
    const confirm = async (value: number, current: number) => (asked.push([value, current]), value !== 2);
    const r = await coordinateDescent(0, 3, score, { stages: [stage], sweeps: 5, minGain: 0, key: String, confirm });
    // 0 → 1 (taken); 2 beats 1 but is refused, 0 is seen; no move ends the stage at 1.
    expect(r.value).toBe(1);
    expect(r.score).toBe(2);
    expect(asked).toEqual([[1, 0], [2, 1]]);
    expect(r.trials).toEqual([
      { value: 1, move: 1, score: 2 },
      { value: 2, move: 1, score: 1, unconfirmed: true },
    ]);
    // A move that does not beat the current score is never put to confirm.
    const none: number[] = [];
    await coordinateDescent(3, 0, score, { stages: [stage], sweeps: 1, minGain: 0, key: String, confirm: async (v) => (none.push(v), true) });
    expect(none).toEqual([]);
  });
});
