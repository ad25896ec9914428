/**
 * `adagen baselines --refine-times F1,F2`: a finished search's winner with its interior time points (MaskGIT: its
 * mask ratios) tuned one at a time (core's `descendTimePoints`). A policy places every time point (sets every mask
 * ratio); the named grids place only the start (follow one named curve), so without this "the policy beats the best
 * fixed schedule" would compare against a weaker schedule than a fixed one can be (docs/method.md §14 item 25).
 * Scored like the rescore: FID on the search's seed against the training statistics, on `--refine-n` samples. The
 * refinement is written into the search (`refined`) and its winner becomes the search's `best`; a later grid search
 * of that step count replaces it. `--refine-continue` starts a further pass from the refinement's best instead of the
 * grid's winner, on the same samples, and does not score again a sampler an earlier pass scored. `--refine-knobs
 * KEY:STEP,…` refines the scalar settings (guidance, temperatures, top-k, top-p) after the points, or alone (VAR).
 * `--refine-from S` also scores another step count's best points carried over (core's `resamplePoints`), with this
 * step count's winner's settings and with that best's own, and starts from whichever scores lowest: the grids place
 * the start only, so a 16-step grid can lose to the refined 8-step points read off at 16 steps.
 * Every score is journaled as it is taken (`ScoreJournal`), so an interrupted refinement run again goes on from there.
 */
import {
  Scorer,
  checkImageCount,
  descendKnobs,
  descendTimePoints,
  describeSchedule,
  initTensorflow,
  lowestFid,
  readBaselines,
  resamplePoints,
  scheduleKey,
  type BaselineResult,
  type ConfirmMove,
  type ScoredSchedule,
  type Knobs,
} from "@adagen/core";
import { MIN_TIME_GAP as DIFFUSION_MIN_GAP } from "@adagen/diffusion";
import { MIN_TIME_GAP as FLOW_MIN_GAP } from "@adagen/flow";
import { maskedCount } from "@adagen/maskgit";
import { ProgressBar } from "@adagen/metrics";
import { Flags, checkOutputFile } from "./args.js";
import { BASELINE_DEFAULTS, scoreSchedule, writeBaselinesFile, type SearchResult } from "./baselines.js";
import { UsageError, getModel, hasGuidanceRamps, openModel, stepListOf, type ModelEntry, type OpenedModel } from "./models.js";
import { ScoreJournal } from "./score-journal.js";

export const REFINE_DEFAULTS = { sweeps: 2, minGain: 0.005 } as const;

/** `--refine-confirm` scores again on the search's seed plus this: held out like it, and not compare's seeds 0 and 1. */
export const CONFIRM_SEED_OFFSET = 1;

/** The grid flags, which a refinement does not take (it starts from the search already in --out, on its seed). */
const GRID_FLAGS = ["n", "seed", "guidance", "guidance-ends", "schedules", "starts", "mask-temps", "sample-temps", "sample-temp-ends", "top-ks", "top-ps", "merge", "rescore", "rescore-n"];

/** The points a refinement moves (both ends fixed), the schedule that carries them, and a move in words. */
interface RefinablePoints {
  points: number[];
  /** The least distance between neighbouring points the sampler runs (time points' minimum step; mask ratios only fall). */
  minGap: number;
  request(points: number[]): ScoredSchedule;
  /** The sampler the points run: MaskGIT's ratios act only through the masked counts ⌊N·m⌋, so moves that keep them are one sampler. */
  samplerKey(points: readonly number[]): string;
  describeMove(point: number, fraction: number): string;
}

/**
 * A time-point sampler's T+1 time points (the start is the grid's, the end the data's); MaskGIT's T mask ratios behind
 * 1, all masked before the first step (the last ratio reveals every token); undefined for a sampler without either
 * (VAR). A move towards the previous point is towards the noise, or towards more tokens kept masked.
 */
function refinablePoints(model: OpenedModel, schedule: ScoredSchedule, entry: ModelEntry): RefinablePoints | undefined {
  const keys = model.env.actionSpec.keys.map((key) => key.name);
  const by = (fraction: number) => `by ${Math.abs(fraction)} of its gap`;
  if (keys.includes("nextTime"))
    return {
      points: Array.from(model.scheduleTimes(schedule)),
      minGap: Math.max(DIFFUSION_MIN_GAP, FLOW_MIN_GAP),
      request: (times) => ({ ...schedule, times }),
      samplerKey: (times) => JSON.stringify(times),
      describeMove: (point, fraction) => `time point ${point} moved ${fraction > 0 ? "towards the noise" : "towards the data"} ${by(fraction)}`,
    };
  if (keys.includes("maskRatio"))
    return {
      points: [1, ...model.scheduleTimes(schedule)],
      minGap: 0,
      request: (points) => ({ ...schedule, maskRatios: points.slice(1) }),
      samplerKey: (points) => points.map((m) => maskedCount(m, entry.card.generator.sampleShape[0])).join(","),
      describeMove: (point, fraction) => `mask ratio after step ${point} moved ${fraction > 0 ? "up (more kept masked)" : "down (more revealed)"} ${by(fraction)}`,
    };
  return undefined;
}

/**
 * The scalar settings `--refine-knobs` moves: each one's range (a move outside it is skipped, not sampled) and
 * whether the model's fixed schedules have it.
 */
const KNOBS: Record<string, { above?: number; atLeast?: number; atMost?: number; integer?: boolean; applies(entry: ModelEntry): boolean }> = {
  guidance: { atLeast: 0, applies: () => true },
  guidanceEnd: { atLeast: 0, applies: hasGuidanceRamps },
  maskTemperature: { above: 0, applies: (e) => e.facts.searchSpace?.maskTemperature !== undefined },
  sampleTemperature: { above: 0, applies: (e) => e.facts.searchSpace?.sampleTemperature !== undefined },
  sampleTemperatureEnd: { above: 0, applies: (e) => e.facts.searchSpace?.sampleTemperature !== undefined },
  topK: { atLeast: 1, integer: true, applies: (e) => e.facts.searchSpace?.topK !== undefined },
  topP: { above: 0, atMost: 1, applies: (e) => e.facts.searchSpace?.topP !== undefined },
};

/** `--refine-knobs guidance:0.25,guidanceEnd:0.5` → each knob's step, checked against the model's settings. */
function parseKnobSteps(text: string | undefined, entry: ModelEntry): Knobs {
  const steps: Knobs = {};
  for (const part of text?.split(",") ?? []) {
    const [name, step, extra] = part.trim().split(":");
    const value = Number(step);
    if (!name || step === undefined || extra !== undefined || step.trim() === "" || !(Number.isFinite(value) && value > 0))
      throw new UsageError(`--refine-knobs: each entry is KEY:STEP with a positive step (e.g. guidance:0.25), got "${part}"`);
    const knob = KNOBS[name];
    if (!knob) throw new UsageError(`--refine-knobs: unknown setting "${name}" (choose ${Object.keys(KNOBS).join(", ")})`);
    if (!knob.applies(entry)) throw new UsageError(`--refine-knobs: ${name} does not apply to ${entry.name} (its fixed schedules have no ${name})`);
    if (knob.integer && !Number.isInteger(value)) throw new UsageError(`--refine-knobs: ${name} is a count; its step must be a whole number, got ${step}`);
    if (name in steps) throw new UsageError(`--refine-knobs lists ${name} twice`);
    steps[name] = value;
  }
  return steps;
}

/** A knob's value in a schedule: a ramp's end defaults to its start (a constant); undefined when the schedule leaves it to the heuristic. */
function knobValue(schedule: ScoredSchedule, name: string): number | undefined {
  if (name === "guidanceEnd") return schedule.guidanceEnd ?? schedule.guidance;
  if (name === "sampleTemperatureEnd") return schedule.sampleTemperatureEnd ?? schedule.sampleTemperature;
  return (schedule as unknown as Record<string, number | undefined>)[name];
}

/** Why a knob value cannot run, or undefined when it can. */
function outOfRange(name: string, value: number): string | undefined {
  const k = KNOBS[name];
  if (k.above !== undefined && !(value > k.above)) return `${name} ${value} is not above ${k.above}`;
  if (k.atLeast !== undefined && value < k.atLeast) return `${name} ${value} is below ${k.atLeast}`;
  if (k.atMost !== undefined && value > k.atMost) return `${name} ${value} is above ${k.atMost}`;
  return undefined;
}

/**
 * The `from`-step best's (`schedule`'s) points read off their curve at the new step fractions, run with `winner`'s
 * settings (this step count's grid searched them: MaskGIT's masking temperature grows with the steps) and with its
 * own (points and guidance ramp were tuned together: dit-tiny 8's points lose 14 % at 16 steps under the 16-step
 * grid's ramp); each scored like a move. Points the sampler cannot take at `steps` are a usage error that says why.
 */
async function carryBest(
  schedule: ScoredSchedule,
  from: number,
  winner: ScoredSchedule,
  model: OpenedModel,
  steps: number,
  entry: ModelEntry,
  score: (schedule: ScoredSchedule) => Promise<BaselineResult | { skipped: string }>,
): Promise<BaselineResult[]> {
  const fromModel = await openModel(entry, from);
  let points: number[];
  try {
    points = refinablePoints(fromModel, schedule, entry)!.points;
  } finally {
    await fromModel.dispose();
  }
  const { times: _t, maskRatios: _m, ...own } = schedule;
  // With the points given, the grid's name, start and shift only say where they came from.
  const sampler = ({ name: _n, start: _s, shift: _h, ...rest }: ScoredSchedule) => scheduleKey(rest as ScoredSchedule);
  const settings = sampler(own) === sampler(winner) ? [winner] : [winner, own];
  let carried: ScoredSchedule[];
  try {
    carried = settings.map((s) => {
      const here = refinablePoints(model, s, entry)!;
      return here.request(resamplePoints(points, steps, here.minGap));
    });
  } catch (err) {
    throw new UsageError(`--refine-from ${from}: the ${from}-step best's points (${describeSchedule(schedule)}) cannot be carried to ${steps} steps: ${(err as Error).message}`);
  }
  const rows: BaselineResult[] = [];
  for (const request of carried) {
    const row = await score(request);
    if ("skipped" in row) throw new UsageError(`--refine-from ${from}: the ${from}-step best carried to ${steps} steps (${describeSchedule(request)}) cannot run: ${row.skipped}`);
    rows.push(row);
  }
  return rows;
}

export async function refineBaselines(flags: Flags, quiet: boolean): Promise<SearchResult> {
  const entry = getModel(flags.require("model", flags.string, "baselines"));
  const stepList = stepListOf(entry, flags.list("steps"), "baselines");
  const fractions = flags.list("refine-times") ?? [];
  for (const f of fractions) if (!(f > 0 && f < 1)) throw new UsageError(`--refine-times: each move is a fraction of a gap strictly between 0 and 1, got ${f}`);
  const knobSteps = parseKnobSteps(flags.string("refine-knobs"), entry);
  const knobNames = Object.keys(knobSteps);
  const sweeps = flags.number("refine-sweeps") ?? REFINE_DEFAULTS.sweeps;
  const continuing = flags.bool("refine-continue");
  const carryFrom = flags.number("refine-from");
  const confirming = flags.bool("refine-confirm");
  const refining = flags.has("refine-times") ? "--refine-times" : flags.has("refine-knobs") ? "--refine-knobs" : "--refine-from";
  if (carryFrom !== undefined) {
    if (continuing) throw new UsageError(`--refine-from starts a refinement afresh; it does not combine with --refine-continue`);
    if (stepList.includes(carryFrom)) throw new UsageError(`--refine-from ${carryFrom} carries the ${carryFrom}-step best to other step counts; --steps lists ${carryFrom} too`);
  }
  const given = GRID_FLAGS.find((f) => flags.has(f));
  if (given) throw new UsageError(`${refining} refines the search already in --out; it takes no grid flag (--${given})`);
  const out = flags.string("out") ?? "runs/baselines.json";
  checkOutputFile(out);
  const file = readBaselines(out);
  const source = carryFrom === undefined ? undefined : file.models[entry.name]?.[String(carryFrom)];
  if (carryFrom !== undefined && !source) throw new UsageError(`--refine-from ${carryFrom}: ${out} holds no ${carryFrom}-step search of ${entry.name} to carry`);
  const searches = stepList.map((steps) => {
    const search = file.models[entry.name]?.[String(steps)];
    if (!search) throw new UsageError(`${refining}: ${out} holds no ${steps}-step search of ${entry.name}; run adagen baselines --steps ${steps} first`);
    if (continuing) {
      if (!search.refined) throw new UsageError(`--refine-continue: ${out}'s ${steps}-step search of ${entry.name} has no refinement to continue; run --refine-times or --refine-knobs without it first`);
      const n = flags.number("refine-n");
      // Scores on other samples would not compare with the earlier pass's.
      if (n !== undefined && n !== search.refined.samples)
        throw new UsageError(`--refine-n ${n}: the ${steps}-step refinement to continue was scored on ${search.refined.samples} samples; a further pass scores on the same ones`);
    }
    // A fresh refinement starts from the grid's winner (before any earlier refinement); a continued one from its best.
    const from = continuing ? search.best : (search.refined?.carried?.winner ?? search.refined?.from ?? search.best);
    for (const name of knobNames)
      if (knobValue(from.schedule, name) === undefined)
        throw new UsageError(`--refine-knobs: the ${steps}-step schedule to refine (${describeSchedule(from.schedule)}) leaves ${name} to the heuristic; search it on the grid first`);
    return { search, from };
  });

  const journal = new ScoreJournal(`${out}.journal`);
  await initTensorflow();
  const scorer = await Scorer.create(entry.card, "train");
  try {
    for (const [k, steps] of stepList.entries()) {
      const { search, from } = searches[k];
      const earlier = continuing ? search.refined : undefined;
      const samples = earlier?.samples ?? flags.number("refine-n") ?? search.rescored?.samples ?? BASELINE_DEFAULTS.rescoreN;
      checkImageCount(samples, entry.card.image.shape);
      const model = await openModel(entry, steps);
      const pointMoves = fractions.length * (steps - 1) * 2 + knobNames.length * 2;
      // A confirmation scores the move and, at most once per taken move, the current best on the second seed.
      const bar = new ProgressBar(`refine ${entry.name} T=${steps}`, (pointMoves * sweeps * (confirming ? 3 : 1) + (source ? 2 : 1)) * samples, "images (at most)", !quiet);
      let done = 0;
      const refinable = refinablePoints(model, from.schedule, entry);
      // The sampler a schedule runs: its points as the sampler sees them, and every other setting.
      const keyOf = (schedule: ScoredSchedule): string => {
        const { times: _t, maskRatios: _m, ...rest } = schedule;
        const settings: Record<string, unknown> = { ...rest, guidanceEnd: knobValue(schedule, "guidanceEnd"), sampleTemperatureEnd: knobValue(schedule, "sampleTemperatureEnd") };
        const points = refinable ? refinable.samplerKey(refinablePoints(model, schedule, entry)!.points) : "";
        return `${points}|${JSON.stringify(Object.keys(settings).sort().map((key) => [key, settings[key]]))}`;
      };
      const confirmSeed = search.seed + CONFIRM_SEED_OFFSET;
      // What an interrupted run of this refinement scored, by seed and sampler: read back instead of sampled again.
      const journaled = new Map<string, BaselineResult>();
      for (const seed of [search.seed, confirmSeed])
        for (const row of journal.results(entry.name, steps, samples, seed)) journaled.set(`${seed}|${keyOf(row.schedule)}`, row);
      const readBack = new Set<string>();
      if (journaled.size) bar.line(done, journal.resuming(journaled.size));
      const score = async (schedule: ScoredSchedule, seed = search.seed): Promise<BaselineResult | { skipped: string }> => {
        const key = `${seed}|${keyOf(schedule)}`;
        const known = journaled.get(key);
        const scored = known ?? (await scoreSchedule(model, scorer, schedule, samples, seed, (d) => bar.update(done + d)));
        done += samples;
        if (known) readBack.add(key);
        else if (!("skipped" in scored)) journal.record(entry.name, steps, samples, seed, scored);
        return scored;
      };
      // Every move scored, by sampler: an earlier pass's moves first, so a continued pass does not score them again.
      const scored = new Map<string, BaselineResult>();
      const earlierKeys = new Set<string>();
      const line = (what: string, outcome: string, current: ScoredSchedule, score: number) =>
        bar.line(done, `${what}: ${outcome} | current ${describeSchedule(current)}: ${score.toFixed(3)}`);
      const outcomeOf = (trial: { score: number; unconfirmed?: true } | { skipped: string }, key: string, taken: boolean) =>
        "skipped" in trial
          ? `skipped (${trial.skipped})`
          : `FID ${trial.score.toFixed(3)}${earlierKeys.has(key) ? " (scored by an earlier pass)" : readBack.has(`${search.seed}|${key}`) ? " (read back from the journal)" : ""}${taken ? ", taken" : ""}${trial.unconfirmed ? `, not confirmed on seed ${confirmSeed}` : ""}`;
      try {
        if ((fractions.length || source) && !refinable)
          throw new UsageError(`${fractions.length ? "--refine-times" : "--refine-from"} applies to samplers with time points (diffusion, flow) or mask ratios (maskgit); ${entry.name}'s has neither (--refine-knobs refines its settings)`);
        for (const row of earlier?.grid ?? []) scored.set(keyOf(row.schedule), row);
        for (const key of scored.keys()) earlierKeys.add(key);
        // The start's scores on these samples: the continued refinement's best, or the rescore's row when it was
        // scored on them, else scored now.
        const reuse = earlier ? from : search.rescored?.samples === samples ? search.rescored.grid.find((r) => scheduleKey(r.schedule) === scheduleKey(from.schedule)) : undefined;
        const winner = reuse ?? (await score(from.schedule));
        if ("skipped" in winner) throw new UsageError(`${refining}: the search's best (${describeSchedule(from.schedule)}) cannot run: ${winner.skipped}`);
        const carried = source && (await carryBest(source.best.schedule, carryFrom!, from.schedule, model, steps, entry, score));
        const start = lowestFid([winner, ...(carried ?? [])]);
        if (carried)
          bar.line(done, `the ${carryFrom}-step best's points carried to ${steps} steps: FID ${carried.map((c) => `${c.fid.toFixed(3)} (${describeSchedule(c.schedule)})`).join(", ")}; the grid's winner: ${winner.fid.toFixed(3)}; starting from ${start === winner ? "the grid's winner" : describeSchedule(start.schedule)}`);
        const scoreRequest = async (schedule: ScoredSchedule): Promise<number | { skipped: string }> => {
          const known = scored.get(keyOf(schedule));
          if (known) return known.fid;
          const row = await score(schedule);
          if ("skipped" in row) return row;
          scored.set(keyOf(schedule), row);
          return row.fid;
        };
        // --refine-confirm: a move that beats the current best is scored again on a second seed, with the current best,
        // and taken only when it beats it there too by the same margin (each sampler scored there at most once).
        const confirmed = new Map<string, BaselineResult>((earlier?.confirmed?.grid ?? []).map((row) => [keyOf(row.schedule), row]));
        const onConfirmSeed = async (schedule: ScoredSchedule): Promise<BaselineResult> => {
          const known = confirmed.get(keyOf(schedule));
          if (known) return known;
          const row = await score(schedule, confirmSeed);
          // It ran on the first seed, so it runs on this one.
          if ("skipped" in row) throw new Error(`${describeSchedule(schedule)} ran on seed ${search.seed} but not on ${confirmSeed}: ${row.skipped}`);
          confirmed.set(keyOf(schedule), row);
          return row;
        };
        const confirmMove = <P>(scheduleOf: (value: P) => ScoredSchedule): ConfirmMove<P> | undefined =>
          confirming
            ? async (value, current) => {
                const [move, now] = [await onConfirmSeed(scheduleOf(value)), await onConfirmSeed(scheduleOf(current))];
                const holds = move.fid < now.fid * (1 - REFINE_DEFAULTS.minGain);
                bar.line(done, `  on seed ${confirmSeed}: FID ${move.fid.toFixed(3)} against the current best's ${now.fid.toFixed(3)}: ${holds ? "confirmed" : "not confirmed"}`);
                return holds;
              }
            : undefined;
        const skipped: { schedule: ScoredSchedule; reason: string }[] = [...(earlier?.skipped ?? [])];
        let current = { schedule: start.schedule, score: start.fid };
        // The time points (mask ratios) first, then the scalar settings from where the points ended.
        if (refinable && fractions.length) {
          const points = refinablePoints(model, start.schedule, entry)!;
          const r = await descendTimePoints(points.points, current.score, (times) => scoreRequest(points.request(times)), {
            fractions,
            sweeps,
            minGain: REFINE_DEFAULTS.minGain,
            samplerKey: (times) => keyOf(points.request([...times])),
            confirm: confirmMove((times: number[]) => points.request(times)),
            onTrial: (trial, now) => line(points.describeMove(trial.point, trial.fraction), outcomeOf(trial, keyOf(points.request(trial.times)), now.times === trial.times), points.request(now.times), now.score),
          });
          for (const t of r.trials) if ("skipped" in t) skipped.push({ schedule: points.request(t.times), reason: t.skipped });
          current = { schedule: points.request(r.times), score: r.score };
        }
        if (knobNames.length) {
          const base = current.schedule;
          const withKnobs = (knobs: Knobs): ScoredSchedule => ({ ...base, ...knobs });
          const startKnobs = Object.fromEntries(knobNames.map((name) => [name, knobValue(base, name)!]));
          const r = await descendKnobs(
            startKnobs,
            current.score,
            async (knobs) => {
              const refused = knobNames.map((name) => outOfRange(name, knobs[name])).find((why) => why !== undefined);
              return refused ? { skipped: refused } : scoreRequest(withKnobs(knobs));
            },
            {
              steps: knobSteps,
              sweeps,
              minGain: REFINE_DEFAULTS.minGain,
              key: (knobs) => keyOf(withKnobs(knobs)),
              confirm: confirmMove(withKnobs),
              onTrial: (trial, now) =>
                line(`${trial.knob} ${trial.delta > 0 ? "up" : "down"} by ${Math.abs(trial.delta)}`, outcomeOf(trial, keyOf(withKnobs(trial.knobs)), now.knobs === trial.knobs), withKnobs(now.knobs), now.score),
            },
          );
          for (const t of r.trials) if ("skipped" in t) skipped.push({ schedule: withKnobs(t.knobs), reason: t.skipped });
          current = { schedule: withKnobs(r.knobs), score: r.score };
        }
        const grid = [...scored.values()];
        const best = scored.get(keyOf(current.schedule)) ?? start;
        const pass = { fractions, ...(knobNames.length ? { knobs: knobSteps } : {}), sweeps, ...(confirming ? { confirm: true as const } : {}) };
        const confirmations = confirmed.size ? { confirmed: { seed: confirmSeed, grid: [...confirmed.values()] } } : {};
        search.best = best;
        search.refined = earlier
          ? { ...earlier, grid, ...(skipped.length ? { skipped } : {}), ...confirmations, continued: [...(earlier.continued ?? []), pass] }
          : { from: start, ...(carried ? { carried: { steps: carryFrom!, results: carried, winner } } : {}), ...pass, minGain: REFINE_DEFAULTS.minGain, samples, grid, ...(skipped.length ? { skipped } : {}), ...confirmations };
        bar.done(`best ${describeSchedule(best.schedule)}: validation FID ${best.fid.toFixed(2)} on ${samples} samples (from ${start.fid.toFixed(2)}, ${grid.length} moves scored)`);
      } catch (err) {
        bar.abort();
        throw err;
      } finally {
        await model.dispose();
      }
      writeBaselinesFile(out, file);
      journal.finish(entry.name, steps);
    }
  } finally {
    await scorer.dispose();
  }
  return { model: entry.name, steps: stepList, file };
}
