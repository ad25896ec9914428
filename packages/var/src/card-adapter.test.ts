import { readFileSync } from "node:fs";
import { ActionDecoder, parseModelCard, readModelCard, rollout } from "@adagen/core";
import { cardPath } from "@adagen/zoo";
import { describe, expect, it } from "vitest";
import { varAdapter } from "./card-adapter.js";
import { varSchedule } from "./heuristic.js";
import { createSampler } from "./product.js";

const zooCard = readModelCard(cardPath("var-tiny"));
const DEFAULTS = { cfg: 1.5, topK: 112, topP: 0.96, temperature: 1 };

describe("varAdapter", () => {
  it("reads the zoo's var-tiny card: one decision per scale, the model's defaults", () => {
    expect(varAdapter.describe(zooCard)).toMatchObject({
      guidance: 1.5,
      schedules: ["constant"],
      searchStarts: [],
      fixedSteps: 6,
      searchSpace: { topK: [56, 112, 224], topP: [0.9, 0.96, 0.99], sampleTemperature: [0.9, 1] },
    });
  });

  it("opens the card: decoded images from the env, fixed schedules that are the untrained policy of their table", async () => {
    const labels = Int32Array.of(0, 4, 9);
    const opened = await varAdapter.open(zooCard, 6);
    try {
      const { samples } = await rollout(opened.env, undefined, new ActionDecoder(opened.env.actionSpec), labels, 5);
      expect(samples.shape).toEqual([3, 28, 28, 1]);
      expect(samples.data.every((v) => v >= 0 && v <= 1)).toBe(true);
      const fixed = await opened.sampleSchedule({ name: "constant" }, labels, 5);
      expect(Array.from(fixed.data)).toEqual(Array.from(samples.data));
      expect(opened.scheduleActions!({ name: "constant", topK: 20, guidance: 3 })).toEqual(varSchedule(6, { ...DEFAULTS, topK: 20, cfg: 3 }));
      expect(() => opened.scheduleActions!({ name: "constant", maskTemperature: 2 })).toThrow(/takes no start time, shift, time points, mask ratios or masking temperature/);
      expect(() => opened.scheduleActions!({ name: "constant", maskRatios: [0.5] })).toThrow(/takes no start time, shift, time points, mask ratios or masking temperature/);
      // A multiplier ramp: 1 at scale 0 to 3 at scale 5, the other columns untouched.
      const ramp = opened.scheduleActions!({ name: "constant", guidance: 1, guidanceEnd: 3 });
      expect(ramp.map((row) => row[0])).toEqual([1, 1.4, 1.8, 2.2, 2.6, 3].map((w, k) => (k === 0 || k === 5 ? w : expect.closeTo(w, 12))));
      expect(ramp.map((row) => row.slice(1))).toEqual(varSchedule(6, DEFAULTS).map((row) => row.slice(1)));
      expect(() => opened.scheduleActions!({ name: "constant", guidanceEnd: 2 })).toThrow(/a guidance ramp to 2 needs its first weight \(guidance\)/);
      // A sampling temperature ramp over the scales, in its own column.
      const cooling = opened.scheduleActions!({ name: "constant", sampleTemperature: 1.1, sampleTemperatureEnd: 0.85 });
      expect(cooling.map((row) => row[3])).toEqual([1.1, 1.05, 1, 0.95, 0.9, 0.85].map((t) => expect.closeTo(t, 12)));
      expect(cooling.map((row) => row.slice(0, 3))).toEqual(varSchedule(6, DEFAULTS).map((row) => row.slice(0, 3)));
      expect(() => opened.scheduleActions!({ name: "constant", sampleTemperatureEnd: 0.8 })).toThrow(/a sampling temperature ramp to 0.8 needs its first temperature/);
      expect(() => opened.scheduleActions!({ name: "cosine" })).toThrow(/not one of var-tiny's \(constant\)/);
    } finally {
      await opened.dispose();
    }
    await expect(varAdapter.open(zooCard, 4)).rejects.toThrow("var-tiny takes one decision per scale: steps must be 6, got 4");
  });

  it("samples images through the two-line happy path", async () => {
    const sampler = await createSampler({ model: cardPath("var-tiny"), steps: 6 });
    try {
      const { images, shape } = await sampler.sample({ labels: Int32Array.of(1, 2), seed: 0 });
      expect(shape).toEqual([2, 28, 28, 1]);
      expect(images.length).toBe(2 * 28 * 28);
    } finally {
      await sampler.dispose();
    }
  });

  it("names the field of a bad sampler section", () => {
    const raw = JSON.parse(readFileSync(cardPath("var-tiny"), "utf8"));
    const bad = (sampler: Record<string, unknown>) => varAdapter.describe(parseModelCard({ ...raw, sampler: { ...raw.sampler, ...sampler } }, zooCard.file));
    expect(() => bad({ scales: [1, 2] })).toThrow(`"sampler.scales" give 5 tokens in all; generator.sampleShape must be [5], got [1,2]`);
    expect(() => bad({ heuristic: { topK: 600 } })).toThrow(`"sampler.heuristic.topK" must be an integer ≥ 1 and ≤ 511, got 600`);
    expect(() => bad({ inputWidth: undefined })).toThrow(`"sampler.inputWidth" must be an integer ≥ 1, got nothing`);
  });
});
