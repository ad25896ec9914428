/**
 * `varAdapter`: a model card with `"paradigm": "var"` opened as a policy-driven `VarEnv` plus its fixed schedules.
 * The card's generator is the transformer (`generator.inputs` `state` and `label` name its inputs, default x_in
 * and y; `outputs.prediction` the logits, default "logits"); `generator.sampleShape` is [T], all scales' tokens;
 * `generator.featureShape` [G², D] is the grid the policy reads; the `decoder` turns the accumulated latent into
 * pixels [B,C,H,W]. The card's `sampler` section (defaults are docs/method.md §4.3's, scaled to the codebook):
 *
 *   scales        side of each scale's token map, e.g. [1, 2, 3, 4, 5, 7] (required): one decision per scale
 *   codebook      V (required)
 *   inputs        { file (required), ids: "ids", inputs: "x_in", latent: "f_hat" }: the graph from ids to the
 *                 transformer inputs and the accumulated latent
 *   inputWidth    E, the width of a transformer input row (required)
 *   latentShape   one sample's accumulated latent, e.g. [32, 7, 7] (required)
 *   heuristic     { cfg: 1.5, topK: round(900·V/4096), topP: 0.96, temperature: 1, smoothing: 0 }
 *   searchSpace   what the baseline search tries besides guidance: { topK, topP, sampleTemperature }
 *                 (defaults [0.5, 1, 2]× the heuristic's top-k, [0.9, 0.96, 0.99], [0.9, 1])
 */
import {
  ActionDecoder,
  CardFields,
  openRenderer,
  rollout,
  type GeneratorAdapter,
  type ModelCard,
  type OpenedGenerator,
  type SamplerFacts,
  type ScheduleRequest,
} from "@adagen/core";
import { VarEnv } from "./env.js";
import { varSchedule, type VarDefaults } from "./heuristic.js";
import { OnnxVarModel } from "./model.js";
import { ScaleLayout } from "./scales.js";

/** VAR has one fixed schedule: the same values at every scale (the sampler ramps the guidance itself). */
export const VAR_SCHEDULES = ["constant"] as const;

export interface VarSampler {
  scales: number[];
  codebook: number;
  inputs: { file: string; ids: string; inputs: string; latent: string };
  inputWidth: number;
  latentShape: number[];
  heuristic: VarDefaults & { smoothing: number };
  searchSpace: { topK: number[]; topP: number[]; sampleTemperature: number[] };
  /** Side of the policy's token grid (√ of featureShape[0]). */
  featureGrid: number;
}

/** Reads and checks the card's `sampler` section (errors name the field). */
export function readVarSampler(card: ModelCard): VarSampler {
  const s: CardFields = card.sampler;
  const scales = s.shape("scales");
  const codebook = s.number("codebook", { integer: true, min: 2 });
  const layout = new ScaleLayout(scales);
  if (card.generator.sampleShape.length !== 1 || card.generator.sampleShape[0] !== layout.tokens)
    s.fail("scales", `give ${layout.tokens} tokens in all; generator.sampleShape must be [${layout.tokens}]`, scales);
  const [cells] = card.generator.featureShape;
  const featureGrid = Math.round(Math.sqrt(cells));
  if (featureGrid * featureGrid !== cells) s.fail("scales", `need a square feature grid: generator.featureShape[0] must be a square, got ${cells} beside them`, scales);
  const topK = s.number("heuristic.topK", { integer: true, min: 1, max: codebook - 1 }, Math.round((900 * codebook) / 4096));
  const sampler: VarSampler = {
    scales,
    codebook,
    inputs: { file: s.path("inputs.file"), ids: s.string("inputs.ids", "ids"), inputs: s.string("inputs.inputs", "x_in"), latent: s.string("inputs.latent", "f_hat") },
    inputWidth: s.number("inputWidth", { integer: true, min: 1 }),
    latentShape: s.shape("latentShape"),
    heuristic: {
      cfg: s.number("heuristic.cfg", { above: 0 }, 1.5),
      topK,
      topP: s.number("heuristic.topP", { above: 0, max: 0.999999 }, 0.96),
      temperature: s.number("heuristic.temperature", { above: 0 }, 1),
      smoothing: s.number("heuristic.smoothing", { min: 0, max: 0.999 }, 0),
    },
    searchSpace: {
      topK: s.numbers("searchSpace.topK", { integer: true, min: 1, max: codebook - 1 }, undefined, [...new Set([Math.max(1, Math.round(topK / 2)), topK, Math.min(codebook - 1, 2 * topK)])]),
      topP: s.numbers("searchSpace.topP", { above: 0, max: 0.999999 }, undefined, [0.9, 0.96, 0.99]),
      sampleTemperature: s.numbers("searchSpace.sampleTemperature", { above: 0 }, undefined, [0.9, 1]),
    },
    featureGrid,
  };
  return sampler;
}

export const varAdapter: GeneratorAdapter = {
  paradigm: "var",

  describe(card): SamplerFacts {
    const { heuristic: h, scales, searchSpace } = readVarSampler(card);
    return {
      guidance: h.cfg,
      start: 1,
      schedules: VAR_SCHEDULES,
      searchStarts: [],
      searchSpace,
      guidanceRamps: true,
      summary: `next-scale tokens (VAR), ${scales.length} scales; heuristic guidance ${h.cfg} on the ramp k/${scales.length - 1}, top-k ${h.topK}, top-p ${h.topP}, temperature ${h.temperature}`,
      fixedSteps: scales.length,
    };
  },

  async open(card, steps, init): Promise<OpenedGenerator> {
    const sampler = readVarSampler(card);
    const { heuristic: h } = sampler;
    const S = sampler.scales.length;
    if (steps !== S) throw new RangeError(`${card.name} takes one decision per scale: steps must be ${S}, got ${steps}`);
    const g = card.generator;
    const rowsOf = (s: ScheduleRequest) => {
      if (s.name !== "constant") throw new RangeError(`schedule "${s.name}" is not one of ${card.name}'s (${VAR_SCHEDULES.join(", ")})`);
      if (s.start !== undefined || s.shift !== undefined || s.times !== undefined || s.maskRatios !== undefined || s.maskTemperature !== undefined)
        throw new RangeError(`schedule "${s.name}" of a var model takes no start time, shift, time points, mask ratios or masking temperature`);
      if (s.guidanceEnd !== undefined && s.guidance === undefined)
        throw new RangeError(`a guidance ramp to ${s.guidanceEnd} needs its first weight (guidance)`);
      if (s.sampleTemperatureEnd !== undefined && s.sampleTemperature === undefined)
        throw new RangeError(`a sampling temperature ramp to ${s.sampleTemperatureEnd} needs its first temperature (sampleTemperature)`);
      return varSchedule(S, {
        cfg: s.guidance ?? h.cfg,
        cfgEnd: s.guidanceEnd,
        topK: s.topK ?? h.topK,
        topP: s.topP ?? h.topP,
        temperature: s.sampleTemperature ?? h.temperature,
        temperatureEnd: s.sampleTemperatureEnd,
      });
    };
    const model = await OnnxVarModel.load(
      { transformer: g.file, inputs: sampler.inputs.file },
      {
        scales: sampler.scales,
        codebook: sampler.codebook,
        inputWidth: sampler.inputWidth,
        featureDim: g.featureShape[1],
        latentShape: sampler.latentShape,
        numClasses: card.classes.count,
        nullClass: card.classes.null,
        names: {
          ids: sampler.inputs.ids,
          inputs: g.inputs.state === "x" ? sampler.inputs.inputs : g.inputs.state,
          latent: sampler.inputs.latent,
          label: g.inputs.label,
          logits: g.outputs.prediction ?? "logits",
          features: g.outputs.features,
        },
      },
    );
    let renderer: Awaited<ReturnType<typeof openRenderer>> | undefined;
    try {
      if (!card.decoder) throw new RangeError(`${card.file}: a var card needs a "decoder" from the accumulated latent to pixels`);
      renderer = await openRenderer(card, sampler.latentShape);
      const { render, dispose: release } = renderer;
      const renderLatent = (latent: Float32Array, B: number) => render({ data: latent, shape: [B, ...sampler.latentShape] });
      const heuristic = init?.heuristic ?? varSchedule(S, h);
      const env = new VarEnv(model, { heuristic, featureGrid: sampler.featureGrid, smoothing: h.smoothing, renderTransform: renderLatent });
      return {
        env,
        // The guidance ramp's position per scale: where a decision sits in the sampler.
        scheduleTimes: () => Float64Array.from({ length: S }, (_, k) => (S > 1 ? k / (S - 1) : 0)),
        scheduleActions: rowsOf,
        async sampleSchedule(s, labels, seed) {
          // A fixed schedule is the untrained policy of an env whose heuristic it is (no smoothing needed).
          const fixed = new VarEnv(model, { heuristic: rowsOf(s), featureGrid: sampler.featureGrid, smoothing: 0, renderTransform: renderLatent });
          return (await rollout(fixed, undefined, new ActionDecoder(fixed.actionSpec), labels, seed)).samples;
        },
        async dispose() {
          await release();
          await model.dispose();
        },
      };
    } catch (err) {
      await renderer?.dispose();
      await model.dispose();
      throw err;
    }
  },
};
