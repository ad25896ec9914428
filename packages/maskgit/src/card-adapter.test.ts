import { ActionDecoder, parseModelCard, readModelCard, rollout } from "@adagen/core";
import { cardPath } from "@adagen/zoo";
import { describe, expect, it } from "vitest";
import { maskgitAdapter } from "./card-adapter.js";
import { maskGitSchedule } from "./heuristic.js";

const zooCard = readModelCard(cardPath("maskgit-tiny"));

describe("maskgitAdapter", () => {
  it("reads the zoo's maskgit-tiny card", () => {
    expect(maskgitAdapter.describe(zooCard)).toMatchObject({ guidance: 1, schedules: ["cosine", "linear", "square"], searchStarts: [], guidanceRamps: true });
  });

  it("opens the card: decoded images from the env, and fixed schedules that are the untrained policy of their table", async () => {
    const labels = Int32Array.of(0, 4, 9);
    const opened = await maskgitAdapter.open(zooCard, 3);
    try {
      const { samples } = await rollout(opened.env, undefined, new ActionDecoder(opened.env.actionSpec), labels, 5);
      expect(samples.shape).toEqual([3, 28, 28, 1]);
      expect(samples.data.every((v) => v >= 0 && v <= 1)).toBe(true);
      // The heuristic as a fixed schedule: the same images (the env's smoothing reproduces its table exactly).
      const fixed = await opened.sampleSchedule({ name: "cosine" }, labels, 5);
      expect(Array.from(fixed.data)).toEqual(Array.from(samples.data));
      expect(Array.from(opened.scheduleTimes({ name: "linear" }))).toEqual(maskGitSchedule(3, { maskSchedule: "linear" }).map((r) => r[0]));
      const constant = opened.scheduleActions!({ name: "cosine", guidance: 2 });
      expect(constant.every((r) => r[3] === 2)).toBe(true);
      // A guidance ramp: the first step's weight to the last's, linear, the other columns untouched.
      const ramp = opened.scheduleActions!({ name: "cosine", guidance: 0.5, guidanceEnd: 2 });
      expect(ramp.map((r) => r[3])).toEqual([0.5, 1.25, 2]);
      expect(ramp.map((r) => r.slice(0, 3))).toEqual(constant.map((r) => r.slice(0, 3)));
      expect(() => opened.scheduleActions!({ name: "cosine", guidanceEnd: 2 })).toThrow(/a guidance ramp to 2 needs its first weight \(guidance\)/);
      // A sampling temperature ramp, the same way in its own column.
      const hot = opened.scheduleActions!({ name: "cosine", guidance: 2, sampleTemperature: 1.2, sampleTemperatureEnd: 0.8 });
      expect(hot.map((r) => r[2])).toEqual([1.2, 1, 0.8].map((t) => expect.closeTo(t, 12)));
      expect(hot.map((r) => [r[0], r[1], r[3]])).toEqual(constant.map((r) => [r[0], r[1], r[3]]));
      expect(() => opened.scheduleActions!({ name: "cosine", sampleTemperatureEnd: 0.8 })).toThrow(
        /a sampling temperature ramp to 0.8 needs its first temperature \(sampleTemperature\)/,
      );
      // Its own mask ratios replace the named schedule's column, the other columns untouched; bad ones are named.
      const own = opened.scheduleActions!({ name: "cosine", guidance: 2, maskRatios: [0.8, 0.3, 0.01] });
      expect(own.map((r) => r[0])).toEqual([0.8, 0.3, 0.01]);
      expect(own.map((r) => r.slice(1))).toEqual(constant.map((r) => r.slice(1)));
      expect(Array.from(opened.scheduleTimes({ name: "linear", maskRatios: [0.8, 0.3, 0.01] }))).toEqual([0.8, 0.3, 0.01]);
      expect(() => opened.scheduleActions!({ name: "cosine", maskRatios: [0.8, 0.3] })).toThrow(/3 steps take 3 mask ratios, got 2/);
      expect(() => opened.scheduleActions!({ name: "cosine", maskRatios: [0.8, 0.3, 0] })).toThrow(/mask ratio 2 must be in \(0, 1\) \(sigmoid range\), got 0/);
      expect(() => opened.scheduleActions!({ name: "cosine", maskRatios: [0.8, 0.9, 0.01] })).toThrow(/mask ratio 1 \(0.9\) must be below the one before \(0.8\)/);
      expect(() => opened.scheduleTimes({ name: "cosine", start: 0.5 })).toThrow(/takes no start time, shift or time points/);
      expect(() => opened.scheduleTimes({ name: "karras" })).toThrow(/not one of maskgit-tiny's \(cosine, linear, square\)/);
    } finally {
      await opened.dispose();
    }
  });

  it("starts training from a given action table (PolicyInit.heuristic)", async () => {
    const table = maskGitSchedule(2, { maskSchedule: "linear" });
    const opened = await maskgitAdapter.open(zooCard, 2, { name: "linear", times: [], guidance: 1, heuristic: table });
    try {
      expect(opened.env.actionSpec.heuristic).toEqual(table);
    } finally {
      await opened.dispose();
    }
  });

  it("names the field of a bad sampler section", () => {
    const raw = JSON.parse(JSON.stringify({ ...zooCard, sampler: undefined }));
    const bad = (sampler: unknown) => parseModelCard({ ...raw, format: "adagen-model-card", version: 1, sampler }, zooCard.file);
    expect(() => maskgitAdapter.describe(bad({}))).toThrow(`"sampler.codebook" must be an integer ≥ 2, got nothing`);
    expect(() => maskgitAdapter.describe(bad({ codebook: 512, maskId: 3 }))).toThrow(`"sampler.maskId" must be an integer ≥ 512, got 3`);
    expect(() => maskgitAdapter.describe(bad({ codebook: 512, schedules: ["karras"] }))).toThrow(`"sampler.schedules.0" must be one of "cosine", "linear", "square", "cubic", "sqrt", got "karras"`);
  });
});
