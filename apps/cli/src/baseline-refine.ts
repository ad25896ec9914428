/**
 * `adagen baselines --refine-times F1,F2`: a finished search's winner with its interior time points (MaskGIT: its
 * mask ratios) tuned one at a time (core's `descendTimePoints`). A policy places every time point (sets every mask
 * ratio); the named grids place only the start (follow one named curve), so without this "the policy beats the best
 * fixed schedule" would compare against a weaker schedule than a fixed one can be (docs/method.md §14 item 25).
 * Scored like the rescore: FID on the search's seed against the training statistics, on `--refine-n` samples. The
 * refinement is written into the search (`refined`) and its winner becomes the search's `best`; a later grid search
 * of that step count replaces it. `--refine-continue` starts a further pass from the refinement's best instead of the
 * grid's winner, on the same samples, and does not score again a sampler an earlier pass scored.
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
import { maskedCount } from "@adagen/maskgit";
import { ProgressBar } from "@adagen/metrics";
import { Flags, checkOutputFile } from "./args.js";
import { BASELINE_DEFAULTS, scoreSchedule, writeBaselinesFile, type SearchResult } from "./baselines.js";
import { UsageError, getModel, openModel, stepListOf, type ModelEntry, type OpenedModel } from "./models.js";

export const REFINE_DEFAULTS = { sweeps: 2, minGain: 0.005 } as const;

/** The grid flags, which a refinement does not take (it starts from the search already in --out, on its seed). */
const GRID_FLAGS = ["n", "seed", "guidance", "guidance-ends", "schedules", "starts", "mask-temps", "sample-temps", "sample-temp-ends", "top-ks", "top-ps", "merge", "rescore", "rescore-n"];

/** The points a refinement moves (both ends fixed), the schedule that carries them, and a move in words. */
interface RefinablePoints {
  points: number[];
  request(points: number[]): ScoredSchedule;
  /** The sampler the points run: MaskGIT's ratios act only through the masked counts ⌊N·m⌋, so moves that keep them are one sampler. */
  samplerKey(points: readonly number[]): string;
  describeMove(point: number, fraction: number): string;
}

/**
 * A time-point sampler's T+1 time points (the start is the grid's, the end the data's); MaskGIT's T mask ratios behind
 * 1, all masked before the first step (the last ratio reveals every token). A move towards the previous point is
 * towards the noise, or towards more tokens kept masked.
 */
function refinablePoints(model: OpenedModel, schedule: ScoredSchedule, entry: ModelEntry): RefinablePoints {
  const keys = model.env.actionSpec.keys.map((key) => key.name);
  const by = (fraction: number) => `by ${Math.abs(fraction)} of its gap`;
  if (keys.includes("nextTime"))
    return {
      points: Array.from(model.scheduleTimes(schedule)),
      request: (times) => ({ ...schedule, times }),
      samplerKey: (times) => JSON.stringify(times),
      describeMove: (point, fraction) => `time point ${point} moved ${fraction > 0 ? "towards the noise" : "towards the data"} ${by(fraction)}`,
    };
  if (keys.includes("maskRatio"))
    return {
      points: [1, ...model.scheduleTimes(schedule)],
      request: (points) => ({ ...schedule, maskRatios: points.slice(1) }),
      samplerKey: (points) => points.map((m) => maskedCount(m, entry.card.generator.sampleShape[0])).join(","),
      describeMove: (point, fraction) => `mask ratio after step ${point} moved ${fraction > 0 ? "up (more kept masked)" : "down (more revealed)"} ${by(fraction)}`,
    };
  throw new UsageError(`--refine-times applies to samplers with time points (diffusion, flow) or mask ratios (maskgit); ${entry.name}'s has neither`);
}

export async function refineBaselines(flags: Flags, quiet: boolean): Promise<SearchResult> {
  const entry = getModel(flags.require("model", flags.string, "baselines"));
  const stepList = stepListOf(entry, flags.list("steps"), "baselines");
  const fractions = flags.list("refine-times") ?? [];
  for (const f of fractions) if (!(f > 0 && f < 1)) throw new UsageError(`--refine-times: each move is a fraction of a gap strictly between 0 and 1, got ${f}`);
  const sweeps = flags.number("refine-sweeps") ?? REFINE_DEFAULTS.sweeps;
  const continuing = flags.bool("refine-continue");
  const given = GRID_FLAGS.find((f) => flags.has(f));
  if (given) throw new UsageError(`--refine-times refines the search already in --out; it takes no grid flag (--${given})`);
  const out = flags.string("out") ?? "runs/baselines.json";
  checkOutputFile(out);
  const file = readBaselines(out);
  const searches = stepList.map((steps) => {
    const search = file.models[entry.name]?.[String(steps)];
    if (!search) throw new UsageError(`--refine-times: ${out} holds no ${steps}-step search of ${entry.name}; run adagen baselines --steps ${steps} first`);
    if (continuing) {
      if (!search.refined) throw new UsageError(`--refine-continue: ${out}'s ${steps}-step search of ${entry.name} has no refinement to continue; run --refine-times without it first`);
      const n = flags.number("refine-n");
      // Scores on other samples would not compare with the earlier pass's.
      if (n !== undefined && n !== search.refined.samples)
        throw new UsageError(`--refine-n ${n}: the ${steps}-step refinement to continue was scored on ${search.refined.samples} samples; a further pass scores on the same ones`);
    }
    return search;
  });

  await initTensorflow();
  const scorer = await Scorer.create(entry.card, "train");
  try {
    for (const [k, steps] of stepList.entries()) {
      const search = searches[k];
      const earlier = continuing ? search.refined : undefined;
      const samples = earlier?.samples ?? flags.number("refine-n") ?? search.rescored?.samples ?? BASELINE_DEFAULTS.rescoreN;
      checkImageCount(samples, entry.card.image.shape);
      const model = await openModel(entry, steps);
      // A fresh refinement starts from the grid's winner (before any earlier refinement); a continued one from its best.
      const from = earlier ? search.best : (search.refined?.from ?? search.best);
      const bar = new ProgressBar(`refine ${entry.name} T=${steps}`, fractions.length * sweeps * (steps - 1) * 2 * samples, "images (at most)", !quiet);
      let done = 0;
      const score = async (schedule: ScoredSchedule): Promise<BaselineResult | { skipped: string }> => {
        const scored = await scoreSchedule(model, scorer, schedule, samples, search.seed, (d) => bar.update(done + d));
        done += samples;
        return scored;
      };
      let refinable: RefinablePoints | undefined;
      // Every move scored, by sampler: an earlier pass's moves first, so a continued pass does not score them again.
      const scored = new Map<string, BaselineResult>();
      const earlierKeys = new Set<string>();
      const describeTrial = (trial: TimePointTrial, current: { times: number[]; score: number }) => {
        const what = refinable!.describeMove(trial.point, trial.fraction);
        const before = earlierKeys.has(refinable!.samplerKey(trial.times)) ? " (scored by an earlier pass)" : "";
        const outcome = "skipped" in trial ? `skipped (${trial.skipped})` : `FID ${trial.score.toFixed(3)}${before}${current.times === trial.times ? ", taken" : ""}`;
        bar.line(done, `${what}: ${outcome} | current ${current.times.map((t) => Number(t.toPrecision(4))).join(", ")}: ${current.score.toFixed(3)}`);
      };
      try {
        refinable = refinablePoints(model, from.schedule, entry);
        const { points, request, samplerKey } = refinable;
        for (const row of earlier?.grid ?? []) scored.set(samplerKey(refinablePoints(model, row.schedule, entry).points), row);
        for (const key of scored.keys()) earlierKeys.add(key);
        // The start's scores on these samples: the continued refinement's best, or the rescore's row when it was
        // scored on them, else scored now.
        const reuse = earlier ? from : search.rescored?.samples === samples ? search.rescored.grid.find((r) => scheduleKey(r.schedule) === scheduleKey(from.schedule)) : undefined;
        const start = reuse ?? (await score(from.schedule));
        if ("skipped" in start) throw new UsageError(`--refine-times: the search's best (${describeSchedule(from.schedule)}) cannot run: ${start.skipped}`);
        const result = await descendTimePoints(points, start.fid, async (times) => {
          const known = scored.get(samplerKey(times));
          if (known) return known.fid;
          const row = await score(request(times));
          if ("skipped" in row) return row;
          scored.set(samplerKey(times), row);
          return row.fid;
        }, { fractions, sweeps, minGain: REFINE_DEFAULTS.minGain, samplerKey, onTrial: describeTrial });
        const grid = [...scored.values()];
        const best = scored.get(samplerKey(result.times)) ?? start;
        const skipped = [...(earlier?.skipped ?? []), ...result.trials.flatMap((t) => ("skipped" in t ? [{ schedule: request(t.times), reason: t.skipped }] : []))];
        const pass = { fractions, sweeps };
        search.best = best;
        search.refined = earlier
          ? { ...earlier, grid, ...(skipped.length ? { skipped } : {}), continued: [...(earlier.continued ?? []), pass] }
          : { from: start, ...pass, minGain: REFINE_DEFAULTS.minGain, samples, grid, ...(skipped.length ? { skipped } : {}) };
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
