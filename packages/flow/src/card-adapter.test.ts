import { ActionDecoder, readModelCard, rollout, statesToImages } from "@adagen/core";
import { cardPath, modelPath } from "@adagen/zoo";
import { describe, expect, it } from "vitest";
import { sampleFlowSchedule, shiftedGrid, timeUniformGrid } from "./baselines.js";
import { flowAdapter } from "./card-adapter.js";
import { loadVelocityPredictor } from "./predictor.js";

const zooCard = readModelCard(cardPath("sit-tiny"));

describe("flowAdapter", () => {
  it("reads the zoo's sit-tiny card: the SiT heuristic and its baseline schedules", () => {
    expect(flowAdapter.describe(zooCard)).toMatchObject({ guidance: 1.5, start: 0.01, schedules: ["uniform", "shifted"], searchStarts: [0.01, 0.05, 0.1] });
  });

  it("opens the card as the env and the fixed schedules the direct API gives, sample for sample", async () => {
    const labels = Int32Array.of(1, 7);
    const opened = await flowAdapter.open(zooCard, 3);
    const direct = await loadVelocityPredictor(modelPath("sit-tiny"), { sampleShape: [1, 28, 28], featureShape: [49, 128], numClasses: 10 });
    try {
      const { samples } = await rollout(opened.env, undefined, new ActionDecoder(opened.env.actionSpec), labels, 2);
      const want = await sampleFlowSchedule(direct, { times: timeUniformGrid(3), guidance: 1.5, conditions: labels, seed: 2, renderTransform: statesToImages });
      expect(samples.shape).toEqual([2, 28, 28, 1]);
      expect(Array.from(samples.data)).toEqual(Array.from(want.data));
      const shifted = await opened.sampleSchedule({ name: "shifted", shift: 3, guidance: 1 }, labels, 2);
      const wantShifted = await sampleFlowSchedule(direct, { times: shiftedGrid(3, 3), guidance: 1, conditions: labels, seed: 2, renderTransform: statesToImages });
      expect(Array.from(shifted.data)).toEqual(Array.from(wantShifted.data));
      // Explicit time points replace the named grid; they are checked like a policy's starting schedule.
      const own = [0.05, 0.4, 0.8, 0.99];
      expect(Array.from(opened.scheduleTimes({ name: "uniform", times: own }))).toEqual(own);
      const explicit = await opened.sampleSchedule({ name: "uniform", guidance: 1, times: own }, labels, 2);
      const wantExplicit = await sampleFlowSchedule(direct, { times: own, guidance: 1, conditions: labels, seed: 2, renderTransform: statesToImages });
      expect(Array.from(explicit.data)).toEqual(Array.from(wantExplicit.data));
      expect(() => opened.scheduleTimes({ name: "uniform", times: [0.05, 0.5, 0.45, 0.99] })).toThrow(/schedule time 2 is 0.45; it must be at least the previous 0.5/);
    } finally {
      await opened.dispose();
      await direct.dispose();
    }
  });
});
