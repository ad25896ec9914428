/**
 * `adagen baselines --refine-times F1,F2`: a finished search's winner with its interior time points (MaskGIT: its
 * mask ratios) tuned one at a time (core's `descendTimePoints`). A policy places every time point (sets every mask
 * ratio); the named grids place only the start (follow one named curve), so without this "the policy beats the best
 * fixed schedule" would compare against a weaker schedule than a fixed one can be (docs/method.md §14 item 25).
 * Scored like the rescore: FID on the search's seed against the training statistics, on `--refine-n` samples. The
 * refinement is written into the search (`refined`) and its winner becomes the search's `best`; a later grid search
 * of that step count replaces it.
 */
import {
  Scorer,
  checkImageCount,
  descendTimePoints,
  describeSchedule,
  initTensorflow,
  readBaselines,
  scheduleKey,
  type BaselineResult,
  type ScoredSchedule,
  type TimePointTrial,
} from "@adagen/core";
import { ProgressBar } from "@adagen/metrics";
import { Flags, checkOutputFile } from "./args.js";
import { BASELINE_DEFAULTS, scoreSchedule, writeBaselinesFile, type SearchResult } from "./baselines.js";
import { UsageError, getModel, openModel, stepListOf, type OpenedModel } from "./models.js";

export const REFINE_DEFAULTS = { sweeps: 2, minGain: 0.005 } as const;

/** The grid flags, which a refinement does not take (it starts from the search already in --out, on its seed). */
const GRID_FLAGS = ["n", "seed", "guidance", "guidance-ends", "schedules", "starts", "mask-temps", "sample-temps", "sample-temp-ends", "top-ks", "top-ps", "merge", "rescore", "rescore-n"];

/** The points a refinement moves (both ends fixed), the schedule that carries them, and a move in words. */
interface RefinablePoints {
  points: number[];
  request(points: number[]): ScoredSchedule;
  describeMove(point: number, fraction: number): string;
}

/**
 * A time-point sampler's T+1 time points (the start is the grid's, the end the data's); MaskGIT's T mask ratios behind
 * 1, all masked before the first step (the last ratio reveals every token). A move towards the previous point is
 * towards the noise, or towards more tokens kept masked.
 */
function refinablePoints(model: OpenedModel, schedule: ScoredSchedule, modelName: string): RefinablePoints {
  const keys = model.env.actionSpec.keys.map((key) => key.name);
  const by = (fraction: number) => `by ${Math.abs(fraction)} of its gap`;
  if (keys.includes("nextTime"))
    return {
      points: Array.from(model.scheduleTimes(schedule)),
      request: (times) => ({ ...schedule, times }),
      describeMove: (point, fraction) => `time point ${point} moved ${fraction > 0 ? "towards the noise" : "towards the data"} ${by(fraction)}`,
    };
  if (keys.includes("maskRatio"))
    return {
      points: [1, ...model.scheduleTimes(schedule)],
      request: (points) => ({ ...schedule, maskRatios: points.slice(1) }),
      describeMove: (point, fraction) => `mask ratio after step ${point} moved ${fraction > 0 ? "up (more kept masked)" : "down (more revealed)"} ${by(fraction)}`,
    };
  throw new UsageError(`--refine-times applies to samplers with time points (diffusion, flow) or mask ratios (maskgit); ${modelName}'s has neither`);
}

export async function refineBaselines(flags: Flags, quiet: boolean): Promise<SearchResult> {
  const entry = getModel(flags.require("model", flags.string, "baselines"));
  const stepList = stepListOf(entry, flags.list("steps"), "baselines");
  const fractions = flags.list("refine-times") ?? [];
  for (const f of fractions) if (!(f > 0 && f < 1)) throw new UsageError(`--refine-times: each move is a fraction of a gap strictly between 0 and 1, got ${f}`);
  const sweeps = flags.number("refine-sweeps") ?? REFINE_DEFAULTS.sweeps;
  const given = GRID_FLAGS.find((f) => flags.has(f));
  if (given) throw new UsageError(`--refine-times refines the search already in --out; it takes no grid flag (--${given})`);
  const out = flags.string("out") ?? "runs/baselines.json";
  checkOutputFile(out);
  const file = readBaselines(out);
  const searches = stepList.map((steps) => {
    const search = file.models[entry.name]?.[String(steps)];
    if (!search) throw new UsageError(`--refine-times: ${out} holds no ${steps}-step search of ${entry.name}; run adagen baselines --steps ${steps} first`);
    return search;
  });

  await initTensorflow();
  const scorer = await Scorer.create(entry.card, "train");
  try {
    for (const [k, steps] of stepList.entries()) {
      const search = searches[k];
      const samples = flags.number("refine-n") ?? search.rescored?.samples ?? BASELINE_DEFAULTS.rescoreN;
      checkImageCount(samples, entry.card.image.shape);
      const model = await openModel(entry, steps);
      // The search's winner before any earlier refinement: refining again starts from the grid's result.
      const from = search.refined?.from ?? search.best;
      const bar = new ProgressBar(`refine ${entry.name} T=${steps}`, fractions.length * sweeps * (steps - 1) * 2 * samples, "images (at most)", !quiet);
      let done = 0;
      const score = async (schedule: ScoredSchedule): Promise<BaselineResult | { skipped: string }> => {
        const scored = await scoreSchedule(model, scorer, schedule, samples, search.seed, (d) => bar.update(done + d));
        done += samples;
        return scored;
      };
      let refinable: RefinablePoints | undefined;
      const describeTrial = (trial: TimePointTrial, current: { times: number[]; score: number }) => {
        const what = refinable!.describeMove(trial.point, trial.fraction);
        const outcome = "skipped" in trial ? `skipped (${trial.skipped})` : `FID ${trial.score.toFixed(3)}${current.times === trial.times ? ", taken" : ""}`;
        bar.line(done, `${what}: ${outcome} | current ${current.times.map((t) => Number(t.toPrecision(4))).join(", ")}: ${current.score.toFixed(3)}`);
      };
      try {
        refinable = refinablePoints(model, from.schedule, entry.name);
        const { points, request } = refinable;
        // The winner's scores on these samples: the rescore's row when it was scored on them, else scored now.
        const reuse = search.rescored?.samples === samples ? search.rescored.grid.find((r) => scheduleKey(r.schedule) === scheduleKey(from.schedule)) : undefined;
        const start = reuse ?? (await score(from.schedule));
        if ("skipped" in start) throw new UsageError(`--refine-times: the search's best (${describeSchedule(from.schedule)}) cannot run: ${start.skipped}`);
        const scored = new Map<string, BaselineResult>();
        const result = await descendTimePoints(points, start.fid, async (times) => {
          const row = await score(request(times));
          if ("skipped" in row) return row;
          scored.set(JSON.stringify(times), row);
          return row.fid;
        }, { fractions, sweeps, minGain: REFINE_DEFAULTS.minGain, onTrial: describeTrial });
        const grid = [...scored.values()];
        const best = scored.get(JSON.stringify(result.times)) ?? start;
        const skipped = result.trials.flatMap((t) => ("skipped" in t ? [{ schedule: request(t.times), reason: t.skipped }] : []));
        search.best = best;
        search.refined = { from: start, fractions, sweeps, minGain: REFINE_DEFAULTS.minGain, samples, grid, ...(skipped.length ? { skipped } : {}) };
        bar.done(`best ${describeSchedule(best.schedule)}: validation FID ${best.fid.toFixed(2)} on ${samples} samples (from ${start.fid.toFixed(2)}, ${grid.length} moves scored)`);
      } catch (err) {
        bar.abort();
        throw err;
      } finally {
        await model.dispose();
      }
      writeBaselinesFile(out, file);
    }
  } finally {
    await scorer.dispose();
  }
  return { model: entry.name, steps: stepList, file };
}
