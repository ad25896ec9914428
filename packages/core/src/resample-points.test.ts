import { describe, expect, it } from "vitest";
import { resamplePoints } from "./resample-points.js";

describe("resamplePoints", () => {
  it("keeps the points at the same step count and puts midpoints between them at twice the steps", () => {
    const times = [0.8, 0.5, 0.2, 0.01];
    expect(resamplePoints(times, 3)).toEqual(times);
    const doubled = resamplePoints(times, 6);
    expect(doubled.map((t) => Number(t.toFixed(6)))).toEqual([0.8, 0.65, 0.5, 0.35, 0.2, 0.105, 0.01]);
  });

  it("reads the curve off at the new fractions, rising points too, both ends kept", () => {
    // Fractions 0, 1/3, 2/3, 1 of a curve through (0, 0.1), (1/2, 0.5), (1, 0.99).
    const rising = resamplePoints([0.1, 0.5, 0.99], 3);
    expect(rising[0]).toBe(0.1);
    expect(rising[3]).toBe(0.99);
    expect(rising[1]).toBeCloseTo(0.1 + (2 / 3) * 0.4, 12);
    expect(rising[2]).toBeCloseTo(0.5 + (1 / 3) * 0.49, 12);
    expect(resamplePoints([1, 0.5, 0.1], 1)).toEqual([1, 0.1]);
  });

  it("pushes points back from the end to keep the minimum gap", () => {
    // Halving the last gap (0.0232 → 0.01) would leave 0.0066: that point moves to 0.02, which pushes 0.0232 to 0.03;
    // 0.0616 is far enough from it and stays.
    const out = resamplePoints([0.1, 0.0232, 0.01], 4, 0.01);
    expect(out.map((t) => Number(t.toFixed(6)))).toEqual([0.1, 0.0616, 0.03, 0.02, 0.01]);
    // Rising points (a flow's times) keep the gap below the end the same way: 0.945 → 0.89, then 0.9 → 0.79.
    expect(resamplePoints([0.1, 0.9, 0.99], 4, 0.1).map((t) => Number(t.toFixed(6)))).toEqual([0.1, 0.5, 0.79, 0.89, 0.99]);
  });

  it("refuses what it cannot carry, naming the value", () => {
    expect(() => resamplePoints([0.05, 0.01], 8, 0.01)).toThrow(/8 steps with gaps of at least 0.01 do not fit between 0.05 and 0.01/);
    expect(() => resamplePoints([0.8, 0.8, 0.01], 4)).toThrow(/strictly falling; point 1 \(0.8\) follows 0.8/);
    expect(() => resamplePoints([0.8], 4)).toThrow(/at least 2 points/);
    expect(() => resamplePoints([0.8, 0.01], 0)).toThrow(/positive integer, got 0/);
  });
});
