import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AdaGenModel } from "./model.js";
import { baselineFor, bestConstantGuidance, describeSchedule, describeSearchKeys, lowestFid, scheduleKey, topCandidates } from "./baselines-file.js";

describe("describeSchedule", () => {
  it("names the schedule, start, guidance (constant, ramp or the heuristic's) and the token samplers' settings", () => {
    expect(describeSchedule({ name: "uniform", guidance: 1.5 })).toBe("uniform, w = 1.5");
    expect(describeSchedule({ name: "shifted", shift: 3, start: 0.05, guidance: 2 })).toBe("shifted (shift 3) from 0.05, w = 2");
    expect(describeSchedule({ name: "karras", start: 0.8, guidance: 0.5, guidanceEnd: 1.5 })).toBe("karras from 0.8, w = 0.5 → 1.5");
    expect(describeSchedule({ name: "logsnr", start: 0.7, times: [0.7, 0.3014372, 0.01], guidance: 1 })).toBe("logsnr from 0.7 at times 0.7, 0.3014, 0.01, w = 1");
    expect(describeSchedule({ name: "cosine" })).toBe("cosine, heuristic guidance");
    expect(describeSchedule({ name: "cosine", maskRatios: [0.9541, 0.70738, 0.0004], guidance: 1 })).toBe("cosine at mask ratios 0.9541, 0.7074, 0.0004, w = 1");
    expect(describeSchedule({ name: "cosine", guidance: 1, guidanceEnd: 3, maskTemperature: 15, sampleTemperature: 0.9 })).toBe(
      "cosine, w = 1 → 3, mask temperature 15, sampling temperature 0.9",
    );
  });

  it("describeSearchKeys lists only the settings a request sets, in one order", () => {
    expect(describeSearchKeys({ name: "uniform", guidance: 1 })).toBe("");
    expect(describeSearchKeys({ name: "constant", sampleTemperature: 0.9, topP: 0.96, topK: 56 })).toBe(", top-k 56, top-p 0.96, sampling temperature 0.9");
    expect(describeSearchKeys({ name: "constant", sampleTemperature: 1.1, sampleTemperatureEnd: 0.9 })).toBe(", sampling temperature 1.1 → 0.9");
  });
});

describe("choosing from a search", () => {
  const row = (guidance: number, fid: number, guidanceEnd?: number) => ({
    schedule: { name: "uniform", guidance, ...(guidanceEnd === undefined ? {} : { guidanceEnd }) },
    fid,
    classAccuracy: 0.9,
  });
  const grid = [row(1, 5.2), row(1, 4.9, 3), row(2, 5.0), row(3, 4.9)];
  const search = { best: grid[1], samples: 1000, seed: 7919, reference: "train-stats.npz", grid };

  it("topCandidates sorts by FID (ties keep grid order); lowestFid keeps the first of equals", () => {
    expect(topCandidates(grid, 3).map((r) => r.schedule)).toEqual([grid[1].schedule, grid[3].schedule, grid[2].schedule]);
    expect(lowestFid(grid)).toBe(grid[1]);
    expect(() => lowestFid([])).toThrow(/no scored rows/);
  });

  it("scheduleKey ignores field order", () => {
    expect(scheduleKey({ name: "uniform", guidance: 1, guidanceEnd: 3 })).toBe(scheduleKey({ guidanceEnd: 3, guidance: 1, name: "uniform" }));
    expect(scheduleKey({ name: "uniform", guidance: 1 })).not.toBe(scheduleKey({ name: "uniform", guidance: 1, guidanceEnd: 3 }));
  });

  it("bestConstantGuidance prefers a rescored constant, else the grid's best constant", () => {
    expect(bestConstantGuidance(search)).toBe(grid[3]);
    const rescored = { top: 2, samples: 5000, grid: [row(1, 4.1, 3), row(3, 4.3)] };
    expect(bestConstantGuidance({ ...search, rescored })).toBe(rescored.grid[1]);
    expect(bestConstantGuidance({ ...search, rescored: { ...rescored, grid: [rescored.grid[0]] } })).toBe(grid[3]);
  });
});

describe("baselineFor", () => {
  it("names a refined search's refinement by what it moved: time points, or a MaskGIT schedule's mask ratios", () => {
    const file = join(mkdtempSync(join(tmpdir(), "baselines-")), "baselines.json");
    const from = { schedule: { name: "cosine", guidance: 1 }, fid: 5, classAccuracy: 0.9 };
    const moved = { schedule: { name: "cosine", guidance: 1, maskRatios: [0.95, 0.3, 0.001] }, fid: 4.5, classAccuracy: 0.9 };
    const search = { best: moved, samples: 10, seed: 7919, reference: "r", grid: [from], refined: { from, fractions: [0.4], sweeps: 1, minGain: 0.005, samples: 10, grid: [moved] } };
    writeFileSync(file, JSON.stringify({ format: "adagen-baselines", models: { m: { "3": search } } }));
    // The function reads only the model's name and its card's paradigm.
    const model = (paradigm: string) => ({ name: "m", card: { paradigm } }) as unknown as AdaGenModel;
    expect(baselineFor(model("maskgit"), 3, file)).toEqual({ schedule: moved.schedule, sampler: "cosine at mask ratios 0.95, 0.3, 0.001, w = 1 (best of 1 searched, its mask ratios refined over 1 moves)" });
    expect(baselineFor(model("flow"), 3, file).sampler).toMatch(/its time points refined over 1 moves\)$/);
    // A later pass over scalar settings (--refine-knobs) is named too.
    search.refined = { ...search.refined, continued: [{ fractions: [], knobs: { guidance: 0.25, guidanceEnd: 0.5 }, sweeps: 1 }] } as typeof search.refined;
    writeFileSync(file, JSON.stringify({ format: "adagen-baselines", models: { m: { "3": search } } }));
    expect(baselineFor(model("flow"), 3, file).sampler).toMatch(/its time points, guidance, guidanceEnd refined over 1 moves\)$/);
    // A start carried from another step count's best (--refine-from) is named when it won, and not when the grid's winner did.
    const carried = { schedule: { name: "cosine", guidance: 1, maskRatios: [0.9, 0.4, 0.001] }, fid: 4.8, classAccuracy: 0.9 };
    const bare = { from: carried, carried: { steps: 6, results: [{ ...carried, fid: 5.5 }, carried], winner: from }, fractions: [], sweeps: 1, minGain: 0.005, samples: 10, grid: [] };
    writeFileSync(file, JSON.stringify({ format: "adagen-baselines", models: { m: { "3": { ...search, best: carried, refined: bare } } } }));
    expect(baselineFor(model("maskgit"), 3, file).sampler).toBe("cosine at mask ratios 0.9, 0.4, 0.001, w = 1 (best of 1 searched, its mask ratios carried from the 6-step best)");
    const lost = { ...bare, from, carried: { ...bare.carried, results: [{ ...carried, fid: 6 }] }, fractions: [0.4], grid: [moved] };
    writeFileSync(file, JSON.stringify({ format: "adagen-baselines", models: { m: { "3": { ...search, refined: lost } } } }));
    expect(baselineFor(model("maskgit"), 3, file).sampler).toMatch(/\(best of 1 searched, its mask ratios refined over 1 moves\)$/);
  });
});
