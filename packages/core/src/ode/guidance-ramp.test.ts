import { describe, expect, it } from "vitest";
import { guidancePerDecision, guidancePerEvaluation, scheduleGuidance } from "./guidance-ramp.js";

describe("guidance ramps", () => {
  it("run linearly from the first model evaluation's weight to the last's", () => {
    expect(guidancePerEvaluation(3, 0.5, 1.5)).toEqual([0.5, 1, 1.5]);
    expect(guidancePerEvaluation(5, 2, 0)).toEqual([2, 1.5, 1, 0.5, 0]);
    expect(guidancePerEvaluation(1, 0.5, 1.5)).toEqual([0.5]);
    expect(guidancePerEvaluation(3, 1.25)).toEqual([1.25, 1.25, 1.25]);
    expect(() => guidancePerEvaluation(0, 1, 2)).toThrow("model evaluations must be a positive integer, got 0");
  });

  it("become an action table's column: the start decision repeats the first evaluation's weight", () => {
    expect(guidancePerDecision([0.5, 1, 1.5], 3)).toEqual([0.5, 0.5, 1, 1.5]);
    expect(guidancePerDecision(2, 2)).toEqual([2, 2, 2]);
    expect(() => guidancePerDecision([1], 2)).toThrow("guidance has 1 values, expected one per model evaluation (2)");
  });

  it("give a schedule request's constant, its ramp, or the heuristic's weight", () => {
    expect(scheduleGuidance({ guidance: 2 }, 4, 1)).toBe(2);
    expect(scheduleGuidance({}, 4, 1)).toBe(1);
    expect(scheduleGuidance({ guidance: 0, guidanceEnd: 3 }, 4, 1)).toEqual([0, 1, 2, 3]);
    // A ramp without a start weight starts from the heuristic's.
    expect(scheduleGuidance({ guidanceEnd: 2 }, 3, 1)).toEqual([1, 1.5, 2]);
  });
});
