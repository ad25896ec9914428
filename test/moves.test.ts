import { describe, expect, it } from "vitest";
import { movesAround, oracleCandidates, parseVary } from "../tooling/bench/moves.js";

describe("one-knob moves around a base schedule (the benches' --vary)", () => {
  const base = { name: "logsnr", start: 0.7, guidance: 0, guidanceEnd: 4.5 };
  const grid = [0.7, 0.4, 0.2, 0.05, 0.01];
  const timesOf = () => grid;

  it("adds each move to its knob and keeps every other field", () => {
    const moves = movesAround(base, [parseVary("guidanceEnd:-0.5,1")]);
    expect(moves.map((m) => m.schedule)).toEqual([
      { ...base, guidanceEnd: 4 },
      { ...base, guidanceEnd: 5.5 },
    ]);
  });

  it("moves an interior time point by a fraction of its gap: > 0 towards the previous point, < 0 towards the next", () => {
    const moves = movesAround(base, [parseVary("time2:0.5,-0.25")], timesOf);
    expect(moves.map((m) => m.schedule.times)).toEqual([
      [0.7, 0.4, 0.3, 0.05, 0.01],
      [0.7, 0.4, 0.1625, 0.05, 0.01],
    ]);
    // Every other field is the base's, so the moved schedule differs only in where its points sit.
    expect(moves.map((m) => ({ ...m.schedule, times: undefined }))).toEqual([{ ...base, times: undefined }, { ...base, times: undefined }]);
    // Flow-style time (running up to the data end) moves the same way.
    expect(movesAround(base, [parseVary("time1:0.5")], () => [0.1, 0.5, 0.99])[0].schedule.times).toEqual([0.1, 0.3, 0.99]);
  });

  it("moves a start that carries its own time points with its first point (else the move would change nothing)", () => {
    const refined = { ...base, times: [0.7, 0.4716, 0.2014, 0.03512, 0.01] };
    const [earlier, later] = movesAround(refined, [parseVary("start:-0.05,0.1")]).map((m) => m.schedule);
    expect(earlier).toEqual({ ...refined, start: 0.65, times: [0.65, 0.4716, 0.2014, 0.03512, 0.01] });
    expect(later).toEqual({ ...refined, start: 0.8, times: [0.8, 0.4716, 0.2014, 0.03512, 0.01] });
  });

  it("lists the base first and each candidate once", () => {
    const candidates = oracleCandidates(base, [parseVary("time1:0.5"), parseVary("guidance:0.5")], [base, { ...base, guidance: 0.5 }], timesOf);
    expect(candidates).toEqual([base, { ...base, times: [0.7, 0.55, 0.2, 0.05, 0.01] }, { ...base, guidance: 0.5 }]);
  });

  it("refuses what it cannot move, naming the value", () => {
    expect(() => parseVary("tau:0.1")).toThrow(/--vary tau:0.1: tau is not one of guidance, .* or timeI/);
    expect(() => parseVary("guidance:0")).toThrow(/--vary guidance:0: the moves must be non-zero numbers/);
    expect(() => parseVary("time1:1")).toThrow(/--vary time1:1: a time point moves by a fraction of its gap, strictly between -1 and 1/);
    expect(() => parseVary("time0:0.5")).toThrow(/time0 is not one of/);
    expect(() => movesAround(base, [parseVary("time4:0.5")], timesOf)).toThrow(/time4: the base schedule \(logsnr from 0.7, w = 0 → 4.5\) has interior time points 1..3/);
    expect(() => movesAround(base, [parseVary("time1:0.5")])).toThrow(/time1: this bench cannot move time points/);
    expect(() => movesAround({ name: "uniform" }, [parseVary("guidance:0.5")])).toThrow(/does not set guidance; it cannot be moved/);
  });
});
