import { describe, expect, it } from "vitest";
import { describeSchedule, describeSearchKeys } from "./baselines-file.js";

describe("describeSchedule", () => {
  it("names the schedule, start, guidance (constant, ramp or the heuristic's) and the token samplers' settings", () => {
    expect(describeSchedule({ name: "uniform", guidance: 1.5 })).toBe("uniform, w = 1.5");
    expect(describeSchedule({ name: "shifted", shift: 3, start: 0.05, guidance: 2 })).toBe("shifted (shift 3) from 0.05, w = 2");
    expect(describeSchedule({ name: "karras", start: 0.8, guidance: 0.5, guidanceEnd: 1.5 })).toBe("karras from 0.8, w = 0.5 → 1.5");
    expect(describeSchedule({ name: "cosine" })).toBe("cosine, heuristic guidance");
    expect(describeSchedule({ name: "cosine", guidance: 1, guidanceEnd: 3, maskTemperature: 15, sampleTemperature: 0.9 })).toBe(
      "cosine, w = 1 → 3, mask temperature 15, sampling temperature 0.9",
    );
  });

  it("describeSearchKeys lists only the settings a request sets, in one order", () => {
    expect(describeSearchKeys({ name: "uniform", guidance: 1 })).toBe("");
    expect(describeSearchKeys({ name: "constant", sampleTemperature: 0.9, topP: 0.96, topK: 56 })).toBe(", top-k 56, top-p 0.96, sampling temperature 0.9");
  });
});
