/**
 * `diffusionAdapter`: a model card with `"paradigm": "diffusion"` opened as a policy-driven `DiffusionEnv` plus the
 * fixed baseline schedules. The card's `sampler` section (every field optional; defaults are the DiT heuristic of
 * docs/method.md §4.3):
 *
 *   noiseSchedule   "linear" (VP-linear, beta 0.1..20) | "cosine"
 *   solver          "2S" | "2M" | "1"
 *   heuristic       { start: 0.9, end: 0.01, guidance: 1.0, smoothing: 0.4 }: time-uniform start → end, constant w
 *   schedules       fixed schedules for `sample --schedule` and the baseline search: "uniform" (the heuristic's
 *                   grid), "logsnr", "karras"; default all three
 *   searchStarts    start times the baseline search tries (default [heuristic.start])
 *   guidedChannels  channels (axis 0 of the sample) that receive guidance (DiT latents: [0, 1, 2]); default all
 *
 * The generator's prediction output defaults to "eps".
 */
import { CardFields, openOdeCard, scheduleGuidance, type GeneratorAdapter, type ModelCard, type OpenedGenerator, type SamplerFacts } from "@adagen/core";
import { karrasGrid, logSnrUniformGrid, sampleDiffusionSchedule, timeUniformGrid } from "./baselines.js";
import { DpmSolverScheduler, SOLVER_NAMES, type SolverName } from "./dpm-solver-scheduler.js";
import { DiffusionEnv } from "./env.js";
import { noiseSchedule, type NoiseSchedule, type ScheduleName } from "./schedules.js";

export const DIFFUSION_SCHEDULES = ["uniform", "logsnr", "karras"] as const;

export interface DiffusionSampler {
  noiseSchedule: NoiseSchedule;
  solver: SolverName;
  heuristic: { start: number; end: number; guidance: number; smoothing: number };
  schedules: readonly string[];
  searchStarts: readonly number[];
  guidedChannels?: number[];
}

/** Reads and checks the card's `sampler` section (errors name the field). */
export function readDiffusionSampler(card: ModelCard): DiffusionSampler {
  const s: CardFields = card.sampler;
  const schedule = noiseSchedule(s.oneOf<ScheduleName>("noiseSchedule", ["linear", "cosine"], "linear"));
  const start = s.number("heuristic.start", { above: 0, max: Math.min(schedule.tauMax, 0.999) }, 0.9);
  const end = s.number("heuristic.end", { above: 0, max: start }, 0.01);
  const sampler: DiffusionSampler = {
    noiseSchedule: schedule,
    solver: s.oneOf("solver", SOLVER_NAMES, "2S"),
    heuristic: {
      start,
      end,
      guidance: s.number("heuristic.guidance", { above: 0 }, 1.0),
      smoothing: s.number("heuristic.smoothing", { min: 0, max: 0.999 }, 0.4),
    },
    schedules: s.has("schedules") ? s.strings("schedules") : DIFFUSION_SCHEDULES,
    searchStarts: s.numbers("searchStarts", { above: 0, max: Math.min(schedule.tauMax, 0.999) }, undefined, [start]),
    guidedChannels: s.has("guidedChannels") ? s.numbers("guidedChannels", { integer: true, min: 0, max: card.generator.sampleShape[0] - 1 }) : undefined,
  };
  sampler.schedules.forEach((name, i) => {
    if (!(DIFFUSION_SCHEDULES as readonly string[]).includes(name))
      s.fail(`schedules.${i}`, `must be one of ${DIFFUSION_SCHEDULES.map((n) => `"${n}"`).join(", ")}`, name);
  });
  return sampler;
}

export const diffusionAdapter: GeneratorAdapter = {
  paradigm: "diffusion",

  describe(card): SamplerFacts {
    const { solver, heuristic: h, schedules, searchStarts } = readDiffusionSampler(card);
    return {
      guidance: h.guidance,
      start: h.start,
      schedules,
      searchStarts,
      summary: `noise prediction (diffusion), DPM-Solver++(${solver}); heuristic time-uniform ${h.start} → ${h.end}, w = ${h.guidance}`,
      guidanceRamps: true,
    };
  },

  open(card, steps, init): Promise<OpenedGenerator> {
    const sampler = readDiffusionSampler(card);
    const { heuristic: h, noiseSchedule: vp, solver, guidedChannels } = sampler;
    return openOdeCard(card, "eps", (predictor, render) => {
      const env = new DiffusionEnv(predictor, {
        steps,
        solver,
        schedule: vp,
        tauStart: h.start,
        tauEnd: h.end,
        heuristicTimes: init?.times,
        guidanceInit: init?.guidance ?? h.guidance,
        smoothing: h.smoothing,
        guidedChannels,
        renderTransform: render,
      });
      const scheduleTimes = (s: { name: string; start?: number; times?: number[] }) => {
        const start = s.start ?? h.start;
        if (s.times) {
          new DpmSolverScheduler(vp, solver).checkTimes(s.times, steps, "schedule");
          return Float64Array.from(s.times);
        }
        if (!sampler.schedules.includes(s.name))
          throw new RangeError(`schedule "${s.name}" is not one of ${card.name}'s (${sampler.schedules.join(", ")})`);
        return Float64Array.from(
          s.name === "uniform"
            ? timeUniformGrid(steps, start, h.end)
            : s.name === "logsnr"
              ? logSnrUniformGrid(vp, steps, start, h.end)
              : karrasGrid(vp, steps, start, h.end),
        );
      };
      return {
        env,
        scheduleTimes,
        sampleSchedule: (s, labels, seed) =>
          sampleDiffusionSchedule(predictor, {
            times: Array.from(scheduleTimes(s)),
            guidance: scheduleGuidance(s, steps, h.guidance),
            conditions: labels,
            seed,
            solver,
            schedule: vp,
            guidedChannels,
            renderTransform: render,
          }),
      };
    });
  },
};
