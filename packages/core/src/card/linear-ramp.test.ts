import { describe, expect, it } from "vitest";
import { linearRamp } from "./linear-ramp.js";

describe("linearRamp", () => {
  it("goes from the first value to the last in equal steps; constant without an end or with one step", () => {
    expect(linearRamp(5, 1, 3)).toEqual([1, 1.5, 2, 2.5, 3]);
    expect(linearRamp(3, 1.2, 0.8).map((v) => Number(v.toFixed(12)))).toEqual([1.2, 1, 0.8]);
    expect(linearRamp(4, 2)).toEqual([2, 2, 2, 2]);
    expect(linearRamp(1, 2, 5)).toEqual([2]);
    expect(() => linearRamp(0, 1, 2)).toThrow("a ramp needs a positive whole number of steps, got 0");
  });
});
