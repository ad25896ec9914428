/**
 * `adagen baselines`: the strongest hand-designed sampler per model and step count, found by search. Every schedule
 * the model knows × a grid of constant guidance weights (and, for time-point samplers, linear ramps between them) is
 * scored by FID on held-out seeds against the Fashion-MNIST *training* statistics (the test statistics stay for
 * `compare`); the best per step count is "the baseline" that `--schedule best` and `compare` use. Results merge into
 * a JSON file (the zoo ships one: packages/zoo/baselines.json).
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
  type BaselineResult,
  type BaselineSearch,
  type BaselinesFile,
  type ScoredSchedule,
} from "@adagen/core";
import { writeFileAtomic } from "@adagen/metrics";
import { Flags, checkOutputFile } from "./args.js";
import { UsageError, getModel, hasGuidanceRamps, openModel, stepListOf, type ModelEntry } from "./models.js";
import { ProgressBar } from "@adagen/metrics";
import { displayPath } from "./scoring.js";

/** The shipped search results, inside @adagen/zoo (its cards name the file). */
export const SHIPPED_BASELINES = "baselines.json";
export const BASELINE_DEFAULTS = { n: 1000, seed: 7919, guidance: [0.5, 1, 1.5, 2, 3] } as const;
/** Time shifts tried for `shifted` schedules. */
export const SHIFTS = [2, 3] as const;

/**
 * Every schedule of the model (or of --schedules) × shift × start time × guidance (each weight, and its ramps to
 * --guidance-ends; plus the heuristic's own guidance when it is not a constant) × the adapter's further search
 * dimensions (MaskGIT's temperatures; VAR's top-k, top-p, temperature).
 */
function candidates(
  entry: ModelEntry,
  schedules: readonly string[],
  guidance: readonly number[],
  guidanceEnds: readonly number[],
  starts: readonly number[],
  space: NonNullable<ModelEntry["facts"]["searchSpace"]>,
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
  return out;
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
  const key = (r: BaselineResult) => JSON.stringify(r.schedule, Object.keys(r.schedule).sort());
  const fresh = new Set(results.map(key));
  return [...previous.grid.filter((r) => !fresh.has(key(r))), ...results];
}

/** The results file after the search, and the model's name in it (a card's name, whatever --model was). */
export interface SearchResult {
  model: string;
  file: BaselinesFile;
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
    throw new UsageError(`--guidance-ends applies to diffusion, flow and MaskGIT samplers, not to ${entry.name}`);
  const starts = flags.list("starts") ?? entry.searchStarts;
  const space = { ...entry.facts.searchSpace };
  for (const [flag, key] of SEARCH_FLAGS) {
    const values = flags.list(flag);
    if (values === undefined) continue;
    if (!space[key]) throw new UsageError(`--${flag} does not apply to ${entry.name} (its sampler has no ${key})`);
    space[key] = values;
  }
  const merge = flags.bool("merge");
  const out = flags.string("out") ?? "runs/baselines.json";
  checkOutputFile(out);
  checkImageCount(n, entry.card.image.shape);
  const file = readBaselines(out);
  try {
    mkdirSync(dirname(out), { recursive: true });
  } catch (err) {
    throw new UsageError(`--out ${out}: cannot create its folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }

  await initTensorflow();
  const scorer = await Scorer.create(entry.card, "train");
  try {
    for (const steps of stepList) {
      const grid = candidates(entry, schedules, guidance, guidanceEnds, starts, space);
      const previous = merge ? file.models[entry.name]?.[String(steps)] : undefined;
      if (previous && (previous.samples !== n || previous.seed !== seed))
        throw new UsageError(`--merge: ${out} holds a ${steps}-step search on ${previous.samples} samples with seed ${previous.seed}, not --n ${n} --seed ${seed}`);
      const model = await openModel(entry, steps);
      const bar = new ProgressBar(`baselines ${entry.name} T=${steps}`, grid.length * n, "images", !quiet);
      const results: BaselineResult[] = [];
      const skipped: NonNullable<BaselineSearch["skipped"]> = [];
      try {
        for (const [i, schedule] of grid.entries()) {
          let images;
          try {
            images = await generateImages(model, { kind: "schedule", schedule }, n, seed, (d) => bar.update(i * n + d));
          } catch (err) {
            if (!(err instanceof InputError)) throw err;
            skipped.push({ schedule, reason: err.message });
            bar.line((i + 1) * n, `${describeSchedule(schedule)}: skipped (${err.message})`);
            continue;
          }
          const scored = { schedule, ...(await scorer.score(images)) };
          results.push(scored);
          const best = results.reduce((a, b) => (b.fid < a.fid ? b : a));
          bar.line((i + 1) * n, `${describeSchedule(schedule)}: FID ${scored.fid.toFixed(2)} | best ${describeSchedule(best.schedule)}: ${best.fid.toFixed(2)}`);
        }
      } catch (err) {
        bar.abort();
        throw err;
      } finally {
        await model.dispose();
      }
      if (results.length === 0) throw new UsageError(`no schedule of ${entry.name} can run at ${steps} steps (${skipped[0]?.reason ?? "none tried"})`);
      const scored = previous ? mergeGrids(previous, results) : results;
      const allSkipped = [...(previous?.skipped ?? []), ...skipped];
      const best = scored.reduce((a, b) => (b.fid < a.fid ? b : a));
      bar.done(`best ${describeSchedule(best.schedule)}: validation FID ${best.fid.toFixed(2)}${previous ? ` (of ${scored.length}, merged)` : ""}`);
      (file.models[entry.name] ??= {})[String(steps)] = { best, samples: n, seed, reference: displayPath(scorer.statsFile), grid: scored, ...(allSkipped.length ? { skipped: allSkipped } : {}) };
      // Written after every step count, so a long search keeps what it found.
      try {
        writeFileAtomic(out, Buffer.from(JSON.stringify(file, null, 2) + "\n", "utf8"));
      } catch (err) {
        throw new UsageError(`--out ${out}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }
  } finally {
    await scorer.dispose();
  }
  return { model: entry.name, file };
}
