/**
 * `maskgitAdapter`: a model card with `"paradigm": "maskgit"` opened as a policy-driven `MaskGitEnv` plus its fixed
 * schedules. The card's generator takes token ids and a label and returns logits and features (`generator.inputs`
 * `state` and `label` name them, default ids and y; `outputs.prediction` the logits, default "logits");
 * `generator.sampleShape` is [N], the number of tokens; the `decoder` turns sampled ids (int64 [B,N]) into pixels
 * [B,C,H,W]. The card's `sampler` section (every field optional but the codebook; defaults are the paper's, docs/
 * method.md §4.3):
 *
 *   codebook      K, the number of real codes (required)
 *   maskId        the mask token's id (default K)
 *   heuristic     { tempInit: 1, cfgInit: 1, samplingTemperature: 1, smoothing: 0.8 }: the cosine mask schedule, a
 *                 linearly falling masking temperature, a constant sampling temperature, a linear guidance ramp
 *   schedules     fixed schedules for `sample --schedule` and the baseline search: "cosine" (the heuristic's),
 *                 "linear" (mask ratio 1 − r), "square", "cubic", "sqrt" (1 − r², 1 − r³, 1 − √r); with a `guidance`
 *                 the ramp becomes that constant, with a `guidanceEnd` too a linear ramp between them over the steps;
 *                 default cosine, linear, square
 *   searchSpace   { maskTemperature: [0.5, 1, 2], sampleTemperature: [0.9, 1] }: what the baseline search also tries
 */
import {
  ActionDecoder,
  CardFields,
  OnnxModel,
  rollout,
  statesToImages,
  type GeneratorAdapter,
  type ModelCard,
  type OpenedGenerator,
  type SamplerFacts,
  type ScheduleRequest,
} from "@adagen/core";
import { MaskGitEnv, type TokenRenderer } from "./env.js";
import { MASK_SCHEDULES, maskGitSchedule, type MaskScheduleName } from "./heuristic.js";
import { OnnxMaskGitModel } from "./model.js";

export const MASKGIT_SCHEDULES = Object.keys(MASK_SCHEDULES) as MaskScheduleName[];

/** Samples per decoder call. */
const DECODER_CHUNK = 64;

export interface MaskGitSampler {
  codebook: number;
  maskId: number;
  heuristic: { tempInit: number; cfgInit: number; samplingTemperature: number; smoothing: number };
  schedules: readonly string[];
  searchSpace: { maskTemperature: number[]; sampleTemperature: number[] };
}

/** Reads and checks the card's `sampler` section (errors name the field). */
export function readMaskGitSampler(card: ModelCard): MaskGitSampler {
  const s: CardFields = card.sampler;
  const codebook = s.number("codebook", { integer: true, min: 2 });
  const sampler: MaskGitSampler = {
    codebook,
    maskId: s.number("maskId", { integer: true, min: codebook }, codebook),
    heuristic: {
      tempInit: s.number("heuristic.tempInit", { above: 0 }, 1),
      cfgInit: s.number("heuristic.cfgInit", { above: 0 }, 1),
      samplingTemperature: s.number("heuristic.samplingTemperature", { above: 0 }, 1),
      smoothing: s.number("heuristic.smoothing", { min: 0, max: 0.999 }, 0.8),
    },
    schedules: s.has("schedules") ? s.strings("schedules") : ["cosine", "linear", "square"],
    searchSpace: {
      maskTemperature: s.numbers("searchSpace.maskTemperature", { above: 0 }, undefined, [0.5, 1, 2]),
      sampleTemperature: s.numbers("searchSpace.sampleTemperature", { above: 0 }, undefined, [0.9, 1]),
    },
  };
  sampler.schedules.forEach((name, i) => {
    if (!(MASKGIT_SCHEDULES as string[]).includes(name)) s.fail(`schedules.${i}`, `must be one of ${MASKGIT_SCHEDULES.map((n) => `"${n}"`).join(", ")}`, name);
  });
  if (card.generator.sampleShape.length !== 1) s.fail("codebook", "needs generator.sampleShape [N] (the number of tokens) beside it", card.generator.sampleShape);
  return sampler;
}

/** Decoded images `[B,H,W,C]` in [0,1] from sampled ids, through the card's decoder (int64 ids → pixels). */
async function openTokenDecoder(card: ModelCard): Promise<{ render: TokenRenderer; dispose: () => Promise<void> }> {
  if (!card.decoder) throw new RangeError(`${card.file}: a maskgit card needs a "decoder" from token ids to pixels`);
  const [H, W, C] = card.image.shape;
  const N = card.generator.sampleShape[0];
  const { file, input, output } = card.decoder;
  const decoder = await OnnxModel.load(file, {
    inputs: { [input]: { dtype: "int64", shape: ["B", N] } },
    outputs: { [output]: { dtype: "float32", shape: ["B", C, H, W] } },
  });
  return {
    async render(ids, B) {
      const pixels = new Float32Array(B * C * H * W);
      for (let start = 0; start < B; start += DECODER_CHUNK) {
        const n = Math.min(DECODER_CHUNK, B - start);
        const res = await decoder.run({ [input]: { data: BigInt64Array.from(ids.subarray(start * N, (start + n) * N), (v) => BigInt(v)), shape: [n, N] } });
        pixels.set(res[output].data as Float32Array, start * C * H * W);
      }
      return statesToImages({ data: pixels, shape: [B, C, H, W] }, card.image.range);
    },
    dispose: () => decoder.dispose(),
  };
}

export const maskgitAdapter: GeneratorAdapter = {
  paradigm: "maskgit",

  describe(card): SamplerFacts {
    const { heuristic: h, schedules, searchSpace } = readMaskGitSampler(card);
    return {
      guidance: h.cfgInit,
      start: 1,
      schedules,
      searchStarts: [],
      searchSpace,
      summary: `masked tokens (MaskGIT); heuristic cosine mask schedule, masking temperature ${h.tempInit} → 0, guidance ramp 0 → ${h.cfgInit}`,
      guidanceRamps: true,
      heuristicSchedule: { name: "cosine" },
    };
  },

  async open(card, steps, init): Promise<OpenedGenerator> {
    const sampler = readMaskGitSampler(card);
    const { heuristic: h } = sampler;
    const g = card.generator;
    const rowsOf = (s: ScheduleRequest) => {
      if (!sampler.schedules.includes(s.name)) throw new RangeError(`schedule "${s.name}" is not one of ${card.name}'s (${sampler.schedules.join(", ")})`);
      if (s.start !== undefined || s.shift !== undefined || s.times !== undefined)
        throw new RangeError(`schedule "${s.name}" of a maskgit model takes no start time, shift or time points`);
      if (s.sampleTemperatureEnd !== undefined && s.sampleTemperature === undefined)
        throw new RangeError(`a sampling temperature ramp to ${s.sampleTemperatureEnd} needs its first temperature (sampleTemperature)`);
      return maskGitSchedule(steps, {
        ...h,
        tempInit: s.maskTemperature ?? h.tempInit,
        samplingTemperature: s.sampleTemperature ?? h.samplingTemperature,
        samplingTemperatureEnd: s.sampleTemperatureEnd,
        maskSchedule: s.name as MaskScheduleName,
        maskRatios: s.maskRatios,
        constantGuidance: s.guidance,
        guidanceEnd: s.guidanceEnd,
      });
    };
    const model = await OnnxMaskGitModel.load(g.file, {
      tokens: g.sampleShape[0],
      codebook: sampler.codebook,
      maskId: sampler.maskId,
      featureShape: g.featureShape,
      numClasses: card.classes.count,
      nullClass: card.classes.null,
      names: { tokens: g.inputs.state === "x" ? "ids" : g.inputs.state, label: g.inputs.label, logits: g.outputs.prediction ?? "logits", features: g.outputs.features },
    });
    let decoder: Awaited<ReturnType<typeof openTokenDecoder>> | undefined;
    try {
      decoder = await openTokenDecoder(card);
      const render = decoder.render;
      const release = decoder.dispose;
      const heuristic = init?.heuristic ?? maskGitSchedule(steps, h);
      const env = new MaskGitEnv(model, { heuristic, smoothing: h.smoothing, renderTransform: render });
      return {
        env,
        scheduleTimes: (s) => Float64Array.from(rowsOf(s), (row) => row[0]),
        scheduleActions: rowsOf,
        async sampleSchedule(s, labels, seed) {
          // A fixed schedule is the untrained policy of an env whose heuristic it is (no smoothing needed).
          const fixed = new MaskGitEnv(model, { heuristic: rowsOf(s), smoothing: 0, renderTransform: render });
          return (await rollout(fixed, undefined, new ActionDecoder(fixed.actionSpec), labels, seed)).samples;
        },
        async dispose() {
          await release();
          await model.dispose();
        },
      };
    } catch (err) {
      await decoder?.dispose();
      await model.dispose();
      throw err;
    }
  },
};
