/**
 * `adagen baselines`: the strongest hand-designed sampler per model and step count, found by search. Every schedule
 * the model knows × a grid of constant guidance weights (and linear ramps between them; the token samplers' sampling
 * temperatures too) is scored by FID on held-out seeds against the Fashion-MNIST *training* statistics (the test
 * statistics stay for `compare`), optionally the K best again on more samples (`--rescore`); the best per step count
 * is "the baseline" that `--schedule best` and `compare` use. Results merge into a JSON file (the zoo ships one:
 * packages/zoo/baselines.json).
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  Scorer,
  checkImageCount,
  describeSchedule,
  generateImages,
  InputError,
  initTensorflow,
  readBaselines,
  SEARCH_KEYS,
  type SearchKey,
  lowestFid,
  scheduleKey,
  topCandidates,
  type BaselineRescore,
  type BaselineResult,
  type BaselineSearch,
  type BaselinesFile,
  type ScoredSchedule,
} from "@adagen/core";
import { writeFileAtomic } from "@adagen/metrics";
import { ScoreJournal } from "./score-journal.js";
import { Flags, checkOutputFile } from "./args.js";
import { UsageError, getModel, hasGuidanceRamps, openModel, stepListOf, type ModelEntry } from "./models.js";
import { ProgressBar } from "@adagen/metrics";
import { displayPath } from "./scoring.js";

/** The shipped search results, inside @adagen/zoo (its cards name the file). */
export const SHIPPED_BASELINES = "baselines.json";
export const BASELINE_DEFAULTS = { n: 1000, seed: 7919, guidance: [0.5, 1, 1.5, 2, 3], rescoreN: 5000 } as const;
/** Time shifts tried for `shifted` schedules. */
export const SHIFTS = [2, 3] as const;

/**
 * Every schedule of the model (or of --schedules) × shift × start time × guidance (each weight, and its ramps to
 * --guidance-ends; plus the heuristic's own guidance when it is not a constant) × the adapter's further search
 * dimensions (MaskGIT's temperatures; VAR's top-k, top-p, temperature), each sampling temperature also ramped to
 * each of --sample-temp-ends.
 */
function candidates(
  entry: ModelEntry,
  schedules: readonly string[],
  guidance: readonly number[],
  guidanceEnds: readonly number[],
  starts: readonly number[],
  space: NonNullable<ModelEntry["facts"]["searchSpace"]>,
  temperatureEnds: readonly number[],
): ScoredSchedule[] {
  const weights: (number | undefined)[] = entry.facts.heuristicSchedule ? [undefined, ...guidance] : [...guidance];
  // Each constant, then each ramp from a searched weight to another end (an equal end is that constant again).
  const guidances = weights.flatMap((w) => [
    w === undefined ? {} : { guidance: w },
    ...(w === undefined ? [] : guidanceEnds.filter((end) => end !== w).map((end) => ({ guidance: w, guidanceEnd: end }))),
  ]);
  let out: ScoredSchedule[] = [];
  for (const name of schedules)
    for (const shift of name === "shifted" ? SHIFTS : [undefined])
      for (const start of starts.length ? starts : [undefined])
        for (const g of guidances)
          out.push({
            name,
            ...(shift === undefined ? {} : { shift }),
            ...(start === undefined ? {} : { start }),
            ...g,
          });
  for (const key of SEARCH_KEYS) {
    const values = space[key];
    if (values) out = out.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  // Each sampling temperature, then its ramps to the other ends (as the guidance ramps).
  return out.flatMap((c) => [
    c,
    ...(c.sampleTemperature === undefined ? [] : temperatureEnds.filter((end) => end !== c.sampleTemperature).map((end) => ({ ...c, sampleTemperatureEnd: end }))),
  ]);
}

/** `--schedules a,b`: the model's schedules to search (default all of them), each checked against the model's. */
function schedulesOf(entry: ModelEntry, list: string | undefined): string[] {
  if (list === undefined) return [...entry.schedules];
  const names = list.split(",").map((name) => name.trim());
  for (const name of names)
    if (!entry.schedules.includes(name)) throw new UsageError(`--schedules: "${name}" is not one of ${entry.name}'s schedules (${entry.schedules.join(", ")})`);
  if (new Set(names).size !== names.length) throw new UsageError(`--schedules lists a schedule twice: "${list}"`);
  return names;
}

/** The flags that replace a search dimension of the card's `sampler.searchSpace`. */
export const SEARCH_FLAGS = [
  ["mask-temps", "maskTemperature"],
  ["sample-temps", "sampleTemperature"],
  ["top-ks", "topK"],
  ["top-ps", "topP"],
] as const satisfies readonly (readonly [string, SearchKey])[];

/**
 * `--merge`: the new candidates join the grid already in the file for this step count (a candidate scored again
 * replaces its old row), so a search can be extended, e.g. by more start times. Only searches on the same samples
 * and seed are comparable.
 */
function mergeGrids(previous: BaselineSearch, results: BaselineResult[]): BaselineResult[] {
  const fresh = new Set(results.map((r) => scheduleKey(r.schedule)));
  return [...previous.grid.filter((r) => !fresh.has(scheduleKey(r.schedule))), ...results];
}

/**
 * One schedule's images on `n` samples of `seed`, scored, or the sampler's reason for refusing it (an input error);
 * `onProgress` gets the images made so far.
 */
export async function scoreSchedule(
  model: Awaited<ReturnType<typeof openModel>>,
  scorer: Scorer,
  schedule: ScoredSchedule,
  n: number,
  seed: number,
  onProgress: (done: number) => void,
): Promise<BaselineResult | { skipped: string }> {
  let images;
  try {
    images = await generateImages(model, { kind: "schedule", schedule }, n, seed, onProgress);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { skipped: err.message };
  }
  return { schedule, ...(await scorer.score(images)) };
}

/**
 * Each schedule's images on `n` samples of `seed`, scored; those the sampler cannot run are listed with the reason.
 * Each score goes to the journal as it is taken, and one the journal holds (an interrupted run's) is read back.
 */
async function scoreSchedules(
  model: Awaited<ReturnType<typeof openModel>>,
  scorer: Scorer,
  schedules: readonly ScoredSchedule[],
  n: number,
  seed: number,
  bar: ProgressBar,
  journaling: { journal: ScoreJournal; model: string; steps: number },
): Promise<{ results: BaselineResult[]; skipped: NonNullable<BaselineSearch["skipped"]> }> {
  const results: BaselineResult[] = [];
  const skipped: NonNullable<BaselineSearch["skipped"]> = [];
  const { journal, model: name, steps } = journaling;
  const journaled = new Map(journal.results(name, steps, n, seed).map((r) => [scheduleKey(r.schedule), r]));
  if (journaled.size) bar.line(0, journal.resuming(journaled.size));
  for (const [i, schedule] of schedules.entries()) {
    const known = journaled.get(scheduleKey(schedule));
    const scored = known ?? (await scoreSchedule(model, scorer, schedule, n, seed, (d) => bar.update(i * n + d)));
    if (!known && !("skipped" in scored)) journal.record(name, steps, n, seed, scored);
    if ("skipped" in scored) {
      skipped.push({ schedule, reason: scored.skipped });
      bar.line((i + 1) * n, `${describeSchedule(schedule)}: skipped (${scored.skipped})`);
      continue;
    }
    results.push(scored);
    const best = lowestFid(results);
    bar.line((i + 1) * n, `${describeSchedule(schedule)}: FID ${scored.fid.toFixed(2)}${known ? " (read back from the journal)" : ""} | best ${describeSchedule(best.schedule)}: ${best.fid.toFixed(2)}`);
  }
  return { results, skipped };
}

/**
 * `--rescore K`: the merged grid's K lowest-FID candidates on `samples` images of the same seed. Rows the file
 * already holds for this rescore (same samples) are reused, as scoring is deterministic.
 */
function rescorePlan(previous: BaselineRescore | undefined, top: number, samples: number, grid: readonly BaselineResult[]) {
  const wanted = topCandidates(grid, top).map((r) => r.schedule);
  const known = new Map((previous?.samples === samples ? previous.grid : []).map((r) => [scheduleKey(r.schedule), r]));
  return {
    reused: wanted.flatMap((s) => known.get(scheduleKey(s)) ?? []),
    missing: wanted.filter((s) => !known.has(scheduleKey(s))),
    order: wanted.map(scheduleKey),
  };
}

/** The results file after the search, and the model's name in it (a card's name, whatever --model was). */
export interface SearchResult {
  model: string;
  /** The step counts searched. */
  steps: number[];
  file: BaselinesFile;
}

/** The results file written atomically (a killed run leaves the previous file, never half of one). */
export function writeBaselinesFile(out: string, file: BaselinesFile): void {
  try {
    writeFileAtomic(out, Buffer.from(JSON.stringify(file, null, 2) + "\n", "utf8"));
  } catch (err) {
    throw new UsageError(`--out ${out}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export async function searchBaselines(flags: Flags, quiet: boolean): Promise<SearchResult> {
  const entry = getModel(flags.require("model", flags.string, "baselines"));
  const stepList = stepListOf(entry, flags.list("steps"), "baselines");
  const n = flags.number("n") ?? BASELINE_DEFAULTS.n;
  const seed = flags.number("seed") ?? BASELINE_DEFAULTS.seed;
  const guidance = flags.list("guidance") ?? BASELINE_DEFAULTS.guidance;
  const schedules = schedulesOf(entry, flags.string("schedules"));
  const guidanceEnds = flags.list("guidance-ends") ?? [];
  if (guidanceEnds.length && !hasGuidanceRamps(entry))
    throw new UsageError(`--guidance-ends applies to samplers whose fixed schedules take a guidance ramp, which ${entry.name}'s do not`);
  const starts = flags.list("starts") ?? entry.searchStarts;
  const space = { ...entry.facts.searchSpace };
  for (const [flag, key] of SEARCH_FLAGS) {
    const values = flags.list(flag);
    if (values === undefined) continue;
    if (!space[key]) throw new UsageError(`--${flag} does not apply to ${entry.name} (its sampler has no ${key})`);
    space[key] = values;
  }
  const temperatureEnds = flags.list("sample-temp-ends") ?? [];
  if (temperatureEnds.length && !space.sampleTemperature)
    throw new UsageError(`--sample-temp-ends does not apply to ${entry.name} (its sampler has no sampleTemperature)`);
  const merge = flags.bool("merge");
  const rescoreTop = flags.number("rescore");
  const rescoreN = flags.number("rescore-n") ?? BASELINE_DEFAULTS.rescoreN;
  if (flags.has("rescore-n") && rescoreTop === undefined) throw new UsageError("--rescore-n sets the samples of --rescore K: give --rescore too");
  const stray = ["refine-sweeps", "refine-n", "refine-continue", "refine-confirm"].find((f) => flags.has(f));
  if (stray) throw new UsageError(`--${stray} sets a refinement of the winner: give --refine-times, --refine-knobs or --refine-from too`);
  const out = flags.string("out") ?? "runs/baselines.json";
  checkOutputFile(out);
  checkImageCount(n, entry.card.image.shape);
  if (rescoreTop !== undefined) {
    checkImageCount(rescoreN, entry.card.image.shape);
    if (rescoreN <= n) throw new UsageError(`--rescore-n ${rescoreN} must be more samples than --n ${n}`);
  }
  const file = readBaselines(out);
  try {
    mkdirSync(dirname(out), { recursive: true });
  } catch (err) {
    throw new UsageError(`--out ${out}: cannot create its folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }

  const journal = new ScoreJournal(`${out}.journal`);
  await initTensorflow();
  const scorer = await Scorer.create(entry.card, "train");
  try {
    for (const steps of stepList) {
      const grid = candidates(entry, schedules, guidance, guidanceEnds, starts, space, temperatureEnds);
      const previous = merge ? file.models[entry.name]?.[String(steps)] : undefined;
      if (previous && (previous.samples !== n || previous.seed !== seed))
        throw new UsageError(`--merge: ${out} holds a ${steps}-step search on ${previous.samples} samples with seed ${previous.seed}, not --n ${n} --seed ${seed}`);
      if (previous?.rescored && rescoreTop !== undefined && previous.rescored.samples !== rescoreN)
        throw new UsageError(`--merge: ${out} rescored its ${steps}-step search on ${previous.rescored.samples} samples, not --rescore-n ${rescoreN}`);
      const top = rescoreTop ?? previous?.rescored?.top ?? 0;
      const topN = rescoreTop === undefined ? (previous?.rescored?.samples ?? rescoreN) : rescoreN;
      const model = await openModel(entry, steps);
      const journaling = { journal, model: entry.name, steps };
      const bar = new ProgressBar(`baselines ${entry.name} T=${steps}`, grid.length * n, "images", !quiet);
      let results: BaselineResult[];
      let skipped: NonNullable<BaselineSearch["skipped"]>;
      let scored: BaselineResult[];
      let rescored: BaselineRescore | undefined;
      let active = bar;
      // "validation FID 4.53 on 5000 samples (the grid's top 4 of 49 rescored, merged)": one bracket, whatever applies.
      const summary = (best: BaselineResult, rescoredOf?: { top: number; samples: number }) => {
        const notes: string[] = [];
        if (rescoredOf) notes.push(`the grid's top ${rescoredOf.top}${previous ? ` of ${scored.length}` : ""} rescored`);
        else if (previous) notes.push(`of ${scored.length}`);
        if (previous) notes.push("merged");
        const on = rescoredOf ? ` on ${rescoredOf.samples} samples` : "";
        return `best ${describeSchedule(best.schedule)}: validation FID ${best.fid.toFixed(2)}${on}${notes.length ? ` (${notes.join(", ")})` : ""}`;
      };
      try {
        ({ results, skipped } = await scoreSchedules(model, scorer, grid, n, seed, bar, journaling));
        if (results.length === 0) throw new UsageError(`no schedule of ${entry.name} can run at ${steps} steps (${skipped[0]?.reason ?? "none tried"})`);
        scored = previous ? mergeGrids(previous, results) : results;
        if (top === 0) bar.done(summary(lowestFid(scored)));
        else {
          const plan = rescorePlan(previous?.rescored, top, topN, scored);
          bar.done(`${summary(lowestFid(scored))}; rescoring the top ${top} on ${topN} samples (${plan.reused.length} scored before)`);
          active = new ProgressBar(`rescore ${entry.name} T=${steps}`, plan.missing.length * topN, "images", !quiet);
          const fresh = await scoreSchedules(model, scorer, plan.missing, topN, seed, active, journaling);
          const byKey = new Map([...plan.reused, ...fresh.results].map((r) => [scheduleKey(r.schedule), r]));
          rescored = { top, samples: topN, grid: plan.order.flatMap((k) => byKey.get(k) ?? []) };
          active.done(summary(lowestFid(rescored.grid), { top: rescored.grid.length, samples: topN }));
        }
      } catch (err) {
        active.abort();
        throw err;
      } finally {
        await model.dispose();
      }
      const allSkipped = [...(previous?.skipped ?? []), ...skipped];
      const best = lowestFid(rescored?.grid ?? scored);
      (file.models[entry.name] ??= {})[String(steps)] = {
        best,
        samples: n,
        seed,
        reference: displayPath(scorer.statsFile),
        grid: scored,
        ...(allSkipped.length ? { skipped: allSkipped } : {}),
        ...(rescored ? { rescored } : {}),
      };
      // Written after every step count, so a long search keeps what it found; the journal keeps what is under way.
      writeBaselinesFile(out, file);
      journal.finish(entry.name, steps);
    }
  } finally {
    await scorer.dispose();
  }
  return { model: entry.name, steps: stepList, file };
}
