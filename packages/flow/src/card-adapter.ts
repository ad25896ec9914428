/**
 * `flowAdapter`: a model card with `"paradigm": "flow"` opened as a policy-driven `FlowEnv` plus the fixed baseline
 * schedules. The card's `sampler` section (every field optional; defaults are the SiT heuristic of docs/method.md
 * §4.3):
 *
 *   solver        "dpm2S" | "rk2" | "euler"
 *   heuristic     { start: 0.01, end: 0.99, guidance: 1.5, smoothing: 0.8 }: time-uniform start → end, constant w
 *   schedules     fixed schedules for `sample --schedule` and the baseline search: "uniform" (the heuristic's grid),
 *                 "shifted" (SD3-style time shift); default both
 *   searchStarts  start times the baseline search tries (default [heuristic.start])
 *
 * Time runs up (tau = 0 noise, 1 data); the generator's time input is timeScale·tau and its prediction output
 * defaults to "v".
 */
import { CardFields, openOdeCard, scheduleGuidance, type GeneratorAdapter, type ModelCard, type OpenedGenerator, type SamplerFacts } from "@adagen/core";
import { sampleFlowSchedule, shiftedGrid, timeUniformGrid } from "./baselines.js";
import { FlowEnv } from "./env.js";
import { FLOW_SOLVER_NAMES, FlowSolverScheduler, MAX_TIME, type FlowSolverName } from "./flow-solver-scheduler.js";

export const FLOW_SCHEDULES = ["uniform", "shifted"] as const;
/** Time shift of the "shifted" schedule when a request gives none: s > 1 puts finer steps near data. */
export const DEFAULT_SHIFT = 2;

export interface FlowSampler {
  solver: FlowSolverName;
  heuristic: { start: number; end: number; guidance: number; smoothing: number };
  schedules: readonly string[];
  searchStarts: readonly number[];
}

/** Reads and checks the card's `sampler` section (errors name the field). */
export function readFlowSampler(card: ModelCard): FlowSampler {
  const s: CardFields = card.sampler;
  const start = s.number("heuristic.start", { above: 0, max: MAX_TIME }, 0.01);
  const sampler: FlowSampler = {
    solver: s.oneOf("solver", FLOW_SOLVER_NAMES, "dpm2S"),
    heuristic: {
      start,
      end: s.number("heuristic.end", { above: start, max: MAX_TIME }, MAX_TIME),
      guidance: s.number("heuristic.guidance", { above: 0 }, 1.5),
      smoothing: s.number("heuristic.smoothing", { min: 0, max: 0.999 }, 0.8),
    },
    schedules: s.has("schedules") ? s.strings("schedules") : FLOW_SCHEDULES,
    searchStarts: s.numbers("searchStarts", { above: 0, max: MAX_TIME }, undefined, [start]),
  };
  sampler.schedules.forEach((name, i) => {
    if (!(FLOW_SCHEDULES as readonly string[]).includes(name)) s.fail(`schedules.${i}`, `must be one of ${FLOW_SCHEDULES.map((n) => `"${n}"`).join(", ")}`, name);
  });
  return sampler;
}

export const flowAdapter: GeneratorAdapter = {
  paradigm: "flow",

  describe(card): SamplerFacts {
    const { solver, heuristic: h, schedules, searchStarts } = readFlowSampler(card);
    return {
      guidance: h.guidance,
      start: h.start,
      schedules,
      searchStarts,
      summary: `velocity prediction (rectified flow), ${solver === "dpm2S" ? "DPM-Solver++(2S)" : solver}; heuristic time-uniform ${h.start} → ${h.end}, w = ${h.guidance}`,
      guidanceRamps: true,
    };
  },

  open(card, steps, init): Promise<OpenedGenerator> {
    const sampler = readFlowSampler(card);
    const { heuristic: h, solver } = sampler;
    return openOdeCard(card, "v", (predictor, render) => {
      const env = new FlowEnv(predictor, {
        steps,
        solver,
        heuristicTimes: init?.times ?? (Number.isInteger(steps) && steps >= 1 ? timeUniformGrid(steps, h.start, h.end) : undefined),
        guidanceInit: init?.guidance ?? h.guidance,
        smoothing: h.smoothing,
        renderTransform: render,
      });
      const scheduleTimes = (s: { name: string; start?: number; shift?: number; times?: number[] }) => {
        const start = s.start ?? h.start;
        if (s.times) {
          new FlowSolverScheduler(solver).checkTimes(s.times, steps, "schedule");
          return Float64Array.from(s.times);
        }
        if (!sampler.schedules.includes(s.name))
          throw new RangeError(`schedule "${s.name}" is not one of ${card.name}'s (${sampler.schedules.join(", ")})`);
        return Float64Array.from(s.name === "shifted" ? shiftedGrid(steps, s.shift ?? DEFAULT_SHIFT, start, h.end) : timeUniformGrid(steps, start, h.end));
      };
      return {
        env,
        scheduleTimes,
        sampleSchedule: (s, labels, seed) =>
          sampleFlowSchedule(predictor, {
            times: Array.from(scheduleTimes(s)),
            guidance: scheduleGuidance(s, steps, h.guidance),
            conditions: labels,
            seed,
            solver,
            renderTransform: render,
          }),
      };
    });
  },
};
