import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ActionDecoder, loadModel, parseModelCard, policyInit, readModelCard, rollout, statesToImages } from "@adagen/core";
import { cardPath, modelPath } from "@adagen/zoo";
import { describe, expect, it } from "vitest";
import { sampleDiffusionSchedule, timeUniformGrid, logSnrUniformGrid } from "./baselines.js";
import { diffusionAdapter } from "./card-adapter.js";
import { loadNoisePredictor } from "./predictor.js";
import { VPLinearSchedule } from "./schedules.js";

const zooCard = readModelCard(cardPath("dit-tiny"));

describe("diffusionAdapter", () => {
  it("reads the zoo's dit-tiny card: the DiT heuristic and its baseline schedules", () => {
    const facts = diffusionAdapter.describe(zooCard);
    expect(facts).toMatchObject({ guidance: 1, start: 0.9, schedules: ["uniform", "logsnr", "karras"], searchStarts: [0.9, 0.8, 0.7] });
    expect(facts.summary).toContain("DPM-Solver++(2S)");
  });

  it("opens the card as the env and the fixed schedules the direct API gives, sample for sample", async () => {
    const labels = Int32Array.of(0, 4, 9);
    const opened = await diffusionAdapter.open(zooCard, 2);
    const direct = await loadNoisePredictor(modelPath("dit-tiny"), { sampleShape: [1, 28, 28], featureShape: [49, 128], numClasses: 10 });
    try {
      const { samples } = await rollout(opened.env, undefined, new ActionDecoder(opened.env.actionSpec), labels, 5);
      expect(samples.shape).toEqual([3, 28, 28, 1]);
      const want = statesToImages(await sampleDiffusionSchedule(direct, { times: timeUniformGrid(2), guidance: 1, conditions: labels, seed: 5 }));
      expect(Array.from(samples.data)).toEqual(Array.from(want.data));
      const logsnr = await opened.sampleSchedule({ name: "logsnr", guidance: 2, start: 0.8 }, labels, 5);
      const times = logSnrUniformGrid(new VPLinearSchedule(), 2, 0.8, 0.01);
      expect(Array.from(opened.scheduleTimes({ name: "logsnr", start: 0.8 }))).toEqual(times);
      const wantLogsnr = statesToImages(await sampleDiffusionSchedule(direct, { times, guidance: 2, conditions: labels, seed: 5 }));
      expect(Array.from(logsnr.data)).toEqual(Array.from(wantLogsnr.data));
      expect(() => opened.scheduleTimes({ name: "shifted" })).toThrow(/schedule "shifted" is not one of dit-tiny's \(uniform, logsnr, karras\)/);
      // Explicit time points replace the named grid; they are checked like a policy's starting schedule.
      const own = [0.75, 0.3, 0.01];
      expect(Array.from(opened.scheduleTimes({ name: "logsnr", start: 0.8, times: own }))).toEqual(own);
      const explicit = await opened.sampleSchedule({ name: "logsnr", guidance: 2, times: own }, labels, 5);
      const wantExplicit = statesToImages(await sampleDiffusionSchedule(direct, { times: own, guidance: 2, conditions: labels, seed: 5 }));
      expect(Array.from(explicit.data)).toEqual(Array.from(wantExplicit.data));
      expect(Array.from(explicit.data)).not.toEqual(Array.from(logsnr.data));
      expect(() => opened.scheduleTimes({ name: "logsnr", times: [0.8, 0.01] })).toThrow(/schedule needs 3 time points \(steps \+ 1\), got 2/);
      expect(() => opened.scheduleTimes({ name: "logsnr", times: [0.8, 0.85, 0.01] })).toThrow(/schedule time 1 is 0.85; it must be at most the previous 0.8/);
    } finally {
      await opened.dispose();
      await direct.dispose();
    }
  });

  it("runs a guidance ramp as the fixed schedule and as the untrained policy started from it, sample for sample", async () => {
    const labels = Int32Array.of(2, 6);
    const times = logSnrUniformGrid(new VPLinearSchedule(), 3, 0.8, 0.01);
    const ramp = [0.5, 1, 1.5];
    const opened = await diffusionAdapter.open(zooCard, 3, { name: "ramp", times, guidance: ramp });
    const direct = await loadNoisePredictor(modelPath("dit-tiny"), { sampleShape: [1, 28, 28], featureShape: [49, 128], numClasses: 10 });
    try {
      const want = statesToImages(await sampleDiffusionSchedule(direct, { times, guidance: ramp, conditions: labels, seed: 3 }));
      const fixed = await opened.sampleSchedule({ name: "logsnr", start: 0.8, guidance: 0.5, guidanceEnd: 1.5 }, labels, 3);
      expect(Array.from(fixed.data)).toEqual(Array.from(want.data));
      const { samples, actions } = await rollout(opened.env, undefined, new ActionDecoder(opened.env.actionSpec), labels, 3);
      expect(Array.from(samples.data)).toEqual(Array.from(want.data));
      expect(actions.slice(1).map((a) => Array.from(a.guidanceScale))).toEqual(ramp.map((w) => [Math.fround(w), Math.fround(w)]));
      // The ramp is not the constant at either end.
      const constant = await opened.sampleSchedule({ name: "logsnr", start: 0.8, guidance: 1.5 }, labels, 3);
      expect(Array.from(constant.data)).not.toEqual(Array.from(want.data));
    } finally {
      await opened.dispose();
      await direct.dispose();
    }
  });

  it("starts training from a searched ramp: the starting schedule carries one weight per model evaluation", async () => {
    const dir = mkdtempSync(join(tmpdir(), "adagen-ramp-"));
    try {
      const schedule = { name: "logsnr", start: 0.8, guidance: 0.5, guidanceEnd: 1.5 };
      const search = { best: { schedule, fid: 1, classAccuracy: 1 }, samples: 8, seed: 1, reference: "r", grid: [] };
      const baselines = join(dir, "baselines.json");
      writeFileSync(baselines, JSON.stringify({ format: "adagen-baselines", models: { "dit-tiny": { "3": search } } }));
      const init = await policyInit(loadModel({ ...zooCard, baselines }, diffusionAdapter), 3, "best");
      expect(init).toEqual({ name: "best: logsnr from 0.8, w = 0.5 → 1.5", times: logSnrUniformGrid(new VPLinearSchedule(), 3, 0.8, 0.01), guidance: [0.5, 1, 1.5] });
      // A ramp from the unguided prediction starts at the softplus output's floor.
      writeFileSync(baselines, JSON.stringify({ format: "adagen-baselines", models: { "dit-tiny": { "3": { ...search, best: { ...search.best, schedule: { ...schedule, guidance: 0 } } } } } }));
      expect((await policyInit(loadModel({ ...zooCard, baselines }, diffusionAdapter), 3, "best")).guidance).toEqual([0.001, 0.75, 1.5]);
      // "best-constant" picks the best candidate without a ramp from the grid.
      const grid = [
        { schedule, fid: 1, classAccuracy: 1 },
        { schedule: { name: "karras", start: 0.7, guidance: 2 }, fid: 3, classAccuracy: 1 },
        { schedule: { name: "logsnr", start: 0.8, guidance: 1 }, fid: 2, classAccuracy: 1 },
      ];
      writeFileSync(baselines, JSON.stringify({ format: "adagen-baselines", models: { "dit-tiny": { "3": { ...search, grid } } } }));
      const constant = await policyInit(loadModel({ ...zooCard, baselines }, diffusionAdapter), 3, "best-constant");
      expect(constant).toEqual({ name: "best: logsnr from 0.8, w = 1", times: logSnrUniformGrid(new VPLinearSchedule(), 3, 0.8, 0.01), guidance: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names the field of a bad sampler section", () => {
    const raw = JSON.parse(JSON.stringify({ ...zooCard, sampler: undefined }));
    const bad = (sampler: unknown) => parseModelCard({ ...raw, format: "adagen-model-card", version: 1, generator: { ...raw.generator, outputs: {} }, sampler }, zooCard.file);
    expect(() => diffusionAdapter.describe(bad({ solver: "3S" }))).toThrow(`"sampler.solver" must be one of "2S", "2M", "1", got "3S"`);
    expect(() => diffusionAdapter.describe(bad({ heuristic: { start: 0.5, end: 0.6 } }))).toThrow(`"sampler.heuristic.end" must be a number > 0 and ≤ 0.5, got 0.6`);
    expect(() => diffusionAdapter.describe(bad({ schedules: ["uniform", "shifted"] }))).toThrow(`"sampler.schedules.1" must be one of "uniform", "logsnr", "karras", got "shifted"`);
    expect(() => diffusionAdapter.describe(bad({ guidedChannels: [1] }))).toThrow(`"sampler.guidedChannels.0" must be an integer ≥ 0 and ≤ 0, got 1`);
    expect(diffusionAdapter.describe(bad({})).schedules).toEqual(["uniform", "logsnr", "karras"]);
  });
});
