/**
 * `pnpm start`, the main job: trains an AdaGen policy for dit-tiny at 4 steps from scratch, evaluates it against the
 * searched baseline (and the paper's heuristic) on the same seeds, and writes a report folder:
 *
 *   comparison.md / comparison.json   FID (vs Fashion-MNIST test statistics) and class accuracy per sampler
 *   samples.png                       baseline | AdaGen, the same 8 seeds per class, one class per row
 *   schedules.png                     the policy's executed actions per decision (time point and guidance; for
 *                                     MaskGIT mask ratio, temperatures and guidance), one line per
 *                                     sample (colour = class), the baseline's fixed schedule in black
 *   run/                              the training run (run.json, metrics.jsonl, checkpoint, policy.adagen)
 *
 * Run again with the same --out, it resumes the training run where it stopped (or skips it when done) and
 * rewrites the report.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  ActionDecoder,
  Scorer,
  balancedLabels,
  baselineFor,
  heuristicSchedule,
  describeSchedule,
  generateImages,
  initTensorflow,
  disposePolicy,
  openPolicy,
  policyEnv,
  policyInitOf,
  rollout,
  guidancePerDecision,
  scheduleGuidance,
  type SampleSource,
  type Scores,
} from "@adagen/core";
import { writeFileAtomic } from "@adagen/metrics";
import { STEPS_RANGE, Flags, parseFlags, type FlagSpec } from "./args.js";
import { compareStep, type CompareRow } from "./compare.js";
import { UsageError, getModel, openModel, stepListOf, type ModelEntry, type ScheduleRequest } from "./models.js";
import { lineChart, stackVertically, textRaster, type Rgb, type Series } from "./plot.js";
import { encodePng, imageGrid, sideBySide } from "./png.js";
import { ProgressBar, formatDuration } from "@adagen/metrics";
import { displayPath } from "./scoring.js";
import { train } from "./train.js";

export const START_DEFAULTS = { model: "dit-tiny", steps: 4, iterations: 25, n: 5000, seed: 0, out: "report" } as const;
/** Samples per class in the image grids, and samples in the schedule plot. */
const GRID_PER_CLASS = 8;
const PLOT_SAMPLES = 100;
/** Seed of the grids and the schedule plot (the FID samples use --seed). */
const PICTURE_SEED = 1;

const SPEC: Record<string, FlagSpec> = {
  out: { kind: "string" },
  iterations: { kind: "int", min: 1 },
  n: { kind: "int", min: 2 },
  seed: { kind: "seed" },
  model: { kind: "string" },
  steps: { kind: "int", min: STEPS_RANGE.min, max: STEPS_RANGE.max },
  quiet: { kind: "bool" },
  // Passed to adagen train, for quick trials of the whole job.
  batch: { kind: "int", min: 1, max: 4096 },
  trajectories: { kind: "int", min: 1 },
  "eval-n": { kind: "int", min: 2 },
  "d-warmup": { kind: "int", min: 0 },
};

export const START_HELP = `pnpm start [-- options]

The main job: trains an AdaGen policy for ${START_DEFAULTS.model} at ${START_DEFAULTS.steps} steps from scratch (measured on a 2-core
machine: 6-9 minutes of training, 7½-12 in all), compares it with the searched baseline and the heuristic on --n samples each, and writes
the report folder: comparison.md and comparison.json (FID against the Fashion-MNIST test statistics, class
accuracy), samples.png (baseline | AdaGen for the same seeds, one class per row), schedules.png (the learned
per-sample actions: time points and guidance, or MaskGIT's mask ratio, temperatures and guidance), run/ (the training run). Running it again resumes or reuses run/.

  --out DIR         report folder (default ${START_DEFAULTS.out})
  --iterations N    training iterations (default ${START_DEFAULTS.iterations})
  --n N             samples per sampler for FID (default ${START_DEFAULTS.n})
  --seed S          FID sampling seed (default ${START_DEFAULTS.seed})
  --model M         dit-tiny, sit-tiny, maskgit-tiny, var-tiny or a model card file (default ${START_DEFAULTS.model})
  --steps T         guided evaluations per sample (default ${START_DEFAULTS.steps}; var-tiny: its 6 scales, the only value it takes)
  --quiet           no progress on stderr
  --batch, --trajectories, --eval-n, --d-warmup
                    passed to adagen train (see adagen train --help), e.g. for a quick trial run`;

interface Report {
  model: string;
  steps: number;
  samples: number;
  seed: number;
  reference: string;
  heuristic: Scores & { sampler: string };
  baseline: CompareRow["baseline"];
  adagen: NonNullable<CompareRow["adagen"]> & { selectedIteration: number; validationFid?: number; init: string };
  fidRatio: number;
  fidRatioVsHeuristic: number;
  /** What schedules.png plots per decision: time point and guidance, or a token sampler's action keys. */
  schedulePlot: string[];
  seconds: { training: number; evaluation: number; total: number };
  command: string;
}

const CLASS_COLORS: Rgb[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];
const CLASS_NAMES = ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"];

export async function start(argv: string[]): Promise<Report | undefined> {
  if (argv[0] === "--") argv = argv.slice(1); // `pnpm start -- --n 100` passes the separator on
  const values = parseFlags(argv, SPEC, "start");
  if (values.get("help") === true) {
    process.stdout.write(START_HELP + "\n");
    return undefined;
  }
  const flags = new Flags(values);
  const o = {
    out: flags.string("out") ?? START_DEFAULTS.out,
    iterations: flags.number("iterations") ?? START_DEFAULTS.iterations,
    n: flags.number("n") ?? START_DEFAULTS.n,
    seed: flags.number("seed") ?? START_DEFAULTS.seed,
    model: flags.string("model") ?? START_DEFAULTS.model,
    quiet: flags.bool("quiet"),
  };
  const entry = getModel(o.model);
  const givenSteps = flags.number("steps");
  // A model with a fixed step count (var-tiny: one decision per scale) takes it by default, not the 4 of the others.
  const steps = entry.facts.fixedSteps === undefined
    ? (givenSteps ?? START_DEFAULTS.steps)
    : stepListOf(entry, givenSteps === undefined ? undefined : [givenSteps], "start")[0]!;
  const runDir = join(o.out, "run");
  const t0 = performance.now();
  try {
    mkdirSync(o.out, { recursive: true });
  } catch (err) {
    throw new UsageError(`--out ${o.out}: cannot create it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }

  // 1. Training (resumed when a previous start left a checkpoint).
  const resume = existsSync(join(runDir, "checkpoint.adagen"));
  const trainFlags = new Map<string, string | number | boolean>([
    ["model", entry.name],
    ["steps", steps],
    ["iterations", o.iterations],
    ["out", runDir],
  ]);
  if (resume) trainFlags.set("resume", true);
  else for (const k of ["batch", "trajectories", "eval-n", "d-warmup"]) if (flags.has(k)) trainFlags.set(k, flags.number(k)!);
  const trained = await train(new Flags(trainFlags), o.quiet);
  const t1 = performance.now();

  // 2. FID and class accuracy on the same seeds: searched baseline, AdaGen, heuristic.
  await initTensorflow();
  const scorer = await Scorer.create(entry.card, "test");
  let row: Awaited<ReturnType<typeof compareStep>>;
  let heuristic: Report["heuristic"];
  const heuristic0: ScheduleRequest = heuristicSchedule(entry);
  try {
    const bar = new ProgressBar(`evaluate ${entry.name} T=${steps}`, 3 * o.n, "images", !o.quiet);
    row = await compareStep(entry, steps, { n: o.n, seed: o.seed, policyPath: trained.policy, scorer, onProgress: (d) => bar.update(d) });
    if (!row.adagen) throw new Error(`the trained policy ${trained.policy} was not found`);
    const model = await openModel(entry, steps);
    try {
      const images = await generateImages(model, { kind: "schedule", schedule: heuristic0 }, o.n, o.seed, (d) => bar.update(2 * o.n + d));
      heuristic = { ...(await scorer.score(images)), sampler: `${describeSchedule(heuristic0)} (the paper's heuristic)` };
    } finally {
      await model.dispose();
    }
    bar.done(`baseline FID ${row.baseline.fid.toFixed(2)}, AdaGen FID ${row.adagen.fid.toFixed(2)}, heuristic FID ${heuristic.fid.toFixed(2)}`);
  } finally {
    await scorer.dispose();
  }

  // 3. Pictures: sample grids and the learned schedules.
  const schedulePlot = await writePictures(entry, steps, trained.policy, row.baseline.sampler, o.out);
  const t2 = performance.now();

  const report: Report = {
    model: entry.name,
    steps: steps,
    samples: o.n,
    seed: o.seed,
    reference: displayPath(entry.card.evaluation!.testStats!),
    heuristic,
    baseline: row.baseline,
    adagen: { ...row.adagen!, selectedIteration: trained.selectedIteration, validationFid: trained.bestValidation?.fid, init: trained.init.name },
    fidRatio: row.adagen!.fid / row.baseline.fid,
    fidRatioVsHeuristic: row.adagen!.fid / heuristic.fid,
    schedulePlot,
    seconds: { training: (t1 - t0) / 1000, evaluation: (t2 - t1) / 1000, total: (t2 - t0) / 1000 },
    command: `pnpm start${argv.length ? ` -- ${argv.join(" ")}` : ""}`,
  };
  writeFileAtomic(join(o.out, "comparison.json"), Buffer.from(JSON.stringify(report, null, 2) + "\n", "utf8"));
  writeFileAtomic(join(o.out, "comparison.md"), Buffer.from(formatReport(report, trained.iteration, trained.resumedFrom), "utf8"));
  if (!o.quiet) process.stderr.write(`report written to ${o.out}/ in ${formatDuration(report.seconds.total)}\n`);
  return report;
}

function formatReport(r: Report, iterations: number, resumedFrom: number | undefined): string {
  const pct = (x: number | null) => (x === null ? "-" : `${(100 * x).toFixed(1)}%`);
  return [
    `# AdaGen on ${r.model}, ${r.steps} guided model evaluations`,
    "",
    `${r.samples} class-balanced samples per sampler, the same labels and initial noise (seed ${r.seed}); FID of fmnist-features`,
    `against ${r.reference}. Produced by \`${r.command}\`.`,
    "",
    "| sampler | FID | class accuracy |",
    "|---|---:|---:|",
    `| heuristic: ${r.heuristic.sampler} | ${r.heuristic.fid.toFixed(2)} | ${pct(r.heuristic.classAccuracy)} |`,
    `| baseline: ${r.baseline.sampler} | ${r.baseline.fid.toFixed(2)} | ${pct(r.baseline.classAccuracy)} |`,
    `| AdaGen: ${r.adagen.policy} | ${r.adagen.fid.toFixed(2)} | ${pct(r.adagen.classAccuracy)} |`,
    "",
    `AdaGen / baseline FID: **${r.fidRatio.toFixed(3)}**; AdaGen / heuristic FID: ${r.fidRatioVsHeuristic.toFixed(3)}.`,
    "",
    `Training: ${iterations} iterations${resumedFrom !== undefined ? ` (resumed at ${resumedFrom})` : ""}; the policy kept is iteration ` +
      `${r.adagen.selectedIteration}'s, by validation FID${r.adagen.validationFid !== undefined ? ` ${r.adagen.validationFid.toFixed(2)}` : ""} ` +
      `(held-out seeds, training statistics; iteration 0 is the starting schedule, ${r.adagen.init}). Per-iteration figures: run/metrics.jsonl.`,
    "",
    `Wall time: training ${formatDuration(r.seconds.training)}, evaluation and pictures ${formatDuration(r.seconds.evaluation)}, ` +
      `total ${formatDuration(r.seconds.total)}.`,
    "",
    "- samples.png: left the baseline, right AdaGen; the same seed in the same cell, one class per row.",
    `- schedules.png: ${r.schedulePlot.join(", ")} the policy executed at each decision,`,
    "  one line per sample, coloured by class; black: the baseline's fixed schedule.",
    "",
  ].join("\n");
}

/** Writes samples.png and schedules.png; returns what the schedule plot shows. */
async function writePictures(entry: ModelEntry, steps: number, policyPath: string, baselineSampler: string, out: string): Promise<string[]> {
  const model = await openModel(entry, steps, await policyInitOf(policyPath, entry, steps));
  let source: (SampleSource & { kind: "policy" }) | undefined;
  try {
    const policy = await openPolicy(policyPath, entry, steps, model);
    source = policy;
    const { schedule } = baselineFor(entry, steps);
    const gridN = GRID_PER_CLASS * model.env.numClasses;
    const base = await generateImages(model, { kind: "schedule", schedule }, gridN, PICTURE_SEED);
    const ada = await generateImages(model, policy, gridN, PICTURE_SEED);
    const [, h, w] = base.shape;
    const titled = (title: string, images: Uint8Array) =>
      stackVertically([textRaster(title, 1), imageGrid(images, gridN, h, w, GRID_PER_CLASS)], 4);
    const grids = sideBySide(titled(`baseline: ${baselineSampler}`.slice(0, 60), base.images), titled("AdaGen", ada.images), 16);
    writeFileAtomic(join(out, "samples.png"), encodePng(grids));

    // The executed schedule of PLOT_SAMPLES class-balanced samples.
    const labels = balancedLabels(PLOT_SAMPLES, model.env.numClasses);
    await rollout(policyEnv(model.env, policy), policy.actor, new ActionDecoder(policy.actionSpec), labels, PICTURE_SEED);
    const panels = model.scheduleActions ? tokenPanels(model, schedule) : timePointPanels(model, schedule, entry.guidance);
    const seriesOf = (rows: ArrayLike<number>[]): Series[] =>
      Array.from(labels, (c, b) => ({ values: rows.map((r) => r[b]), color: CLASS_COLORS[c % CLASS_COLORS.length] }));
    const charts = panels.map((panel, i) =>
      lineChart({
        title: i === 0 ? `${entry.name}, ${steps} steps: ${panel.title} (colour = class)` : panel.title,
        xLabel: "decision",
        yLabel: panel.yLabel,
        series: [...seriesOf(panel.executed), { values: panel.baseline, color: [0, 0, 0] }],
        yRange: panel.yRange,
        xTicks: panel.baseline.map((_, k) => String(k)),
        width: 720,
        height: panels.length > 2 ? 240 : 320,
      }),
    );
    const legend = textRaster(CLASS_NAMES.map((n, i) => `${i}=${n}`).join(" "), 1);
    writeFileAtomic(join(out, "schedules.png"), encodePng(stackVertically([...charts, legend], 8)));
    return panels.map((p) => p.quantity);
  } finally {
    if (source?.kind === "policy") disposePolicy(source);
    await model.dispose();
  }
}

/** One chart of schedules.png: each sample's executed value per decision, and the baseline's in black. */
interface SchedulePanel {
  /** What is plotted, for the report (e.g. "time point", "topK"). */
  quantity: string;
  title: string;
  yLabel: string;
  executed: ArrayLike<number>[];
  baseline: number[];
  yRange?: [number, number];
}

type OpenedModel = Awaited<ReturnType<typeof openModel>>;

/** Time-point samplers (diffusion, flow): the time point and the guidance weight per decision. */
function timePointPanels(model: OpenedModel, schedule: ScheduleRequest, defaultGuidance: number): SchedulePanel[] {
  const env = model.env as typeof model.env & { executedSchedule?: () => { times: Float64Array[]; guidance: Float32Array[] } };
  if (!env.executedSchedule) throw new Error("the env does not report its executed schedule");
  const executed = env.executedSchedule();
  return [
    { quantity: "time point", title: "time point per decision", yLabel: "time", executed: executed.times, baseline: Array.from(model.scheduleTimes(schedule)), yRange: [0, 1] },
    {
      quantity: "guidance weight",
      title: "guidance weight w per decision (decision 0 picks only the start time)",
      yLabel: "w",
      executed: executed.guidance,
      baseline: guidancePerDecision(scheduleGuidance(schedule, executed.guidance.length - 1, defaultGuidance), executed.guidance.length - 1),
    },
  ];
}

const AXIS_LABELS: Record<string, string> = {
  maskRatio: "ratio",
  maskTemperature: "temperature",
  sampleTemperature: "temperature",
  guidanceScale: "w",
  topK: "k",
  topP: "p",
};

/** Token samplers (MaskGIT, VAR): one chart per action key, in the env's key order. */
function tokenPanels(model: OpenedModel, schedule: ScheduleRequest): SchedulePanel[] {
  const env = model.env as typeof model.env & { executedSchedule?: () => Float32Array[][] };
  if (!env.executedSchedule) throw new Error("the env does not report its executed schedule");
  const executed = env.executedSchedule();
  const baseline = model.scheduleActions!(schedule);
  return model.env.actionSpec.keys.map((key, j) => ({
    quantity: key.name,
    title: `${key.name} per decision`,
    yLabel: AXIS_LABELS[key.name] ?? key.name,
    executed: executed.map((row) => row[j]),
    baseline: baseline.map((row) => row[j]),
    yRange: key.name === "maskRatio" || key.name === "topP" ? [0, 1] : undefined,
  }));
}

if (process.argv[1] && /start\.(ts|js)$/.test(process.argv[1])) {
  start(process.argv.slice(2)).then(
    () => undefined,
    (err: unknown) => {
      if (err instanceof UsageError) {
        process.stderr.write(`adagen start: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      process.stderr.write(`adagen start: internal error: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
