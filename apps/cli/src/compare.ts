/**
 * `adagen compare`: per step count, FID and class accuracy of the searched fixed schedule (the baseline; the model's
 * heuristic when none was searched), of the learned shared schedule (an `adagen train --non-adaptive` policy at
 * SHARED/M-T-shared/policy.adagen, when there is one: paper Table XI, "learnable vs adaptive") and of the adaptive
 * policy (the zoo's shipped one, or DIR/M-T/policy.adagen with --policy-dir).
 *
 * FID: the card's extractor features of the uint8 samples (exactly what `adagen sample` writes) against its test
 * statistics (the zoo's: fmnist-features' 128-d `features` vs packages/zoo/stats/fmnist-test-stats.npz). Class
 * accuracy: share of samples whose extractor logits argmax is their conditioning label (the zoo manifest's
 * `class_acc`). All samplers use the same seed, hence the same labels and initial noise.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  Scorer,
  baselineFor,
  checkImageCount,
  generateImages,
  initTensorflow,
  disposePolicy,
  openPolicy,
  policyInitOf,
  shippedPolicyPath,
  type SampleSource,
  type Scores,
} from "@adagen/core";
import { Flags } from "./args.js";
import { UsageError, getModel, openModel, stepListOf, type ModelEntry } from "./models.js";
import { ProgressBar } from "@adagen/metrics";
import { displayPath } from "./scoring.js";

export interface CompareRow {
  steps: number;
  baseline: Scores & { sampler: string };
  adagen: (Scores & { policy: string }) | null;
  /** AdaGen FID / baseline FID. */
  fidRatio: number | null;
  note?: string;
  /**
   * The learned shared schedule (non-adaptive policy), with its FID / baseline FID; null when none was found (then
   * `sharedNote` says where compare looked). Absent when it was not asked for (`sharedPath`).
   */
  shared?: (Scores & { policy: string; fidRatio: number }) | null;
  sharedNote?: string;
}

export interface CompareReport {
  model: string;
  samples: number;
  seed: number;
  reference: string;
  rows: CompareRow[];
}

/** Where compare looks for shared-schedule policies (`--shared`): "adagen train --non-adaptive" writes runs/M-T-shared. */
export const DEFAULT_SHARED_DIR = "runs";

/** DIR/M-T-shared/policy.adagen: the run folder "adagen train --non-adaptive" writes by default under DIR. */
export function sharedPolicyPathFor(entry: ModelEntry, steps: number, dir: string = DEFAULT_SHARED_DIR): string {
  return join(dir, `${entry.name}-${steps}-shared`, "policy.adagen");
}

/** Where compare finds a policy: the card's shipped one, or DIR/M-T/policy.adagen of a training run folder. */
export function policyPathFor(entry: ModelEntry, steps: number, policyDir?: string): string {
  return policyDir === undefined ? shippedPolicyPath(entry, steps) : join(policyDir, `${entry.name}-${steps}`, "policy.adagen");
}

export interface CompareStepOptions {
  n: number;
  seed: number;
  policyPath: string;
  scorer: Scorer;
  /** A shared-schedule (non-adaptive) policy to score too; a missing file is noted. Omit for no shared row. */
  sharedPath?: string;
  /** Searched baselines file (default: the zoo's). */
  baselinesFile?: string;
  onProgress?: (done: number, total: number) => void;
}

/** Images compareStep generates: the baseline, plus each policy file that exists. */
export function compareStepImages(n: number, policyPath: string, sharedPath?: string): number {
  return n * (1 + Number(existsSync(policyPath)) + Number(sharedPath !== undefined && existsSync(sharedPath)));
}

/**
 * One step count: the best searched baseline (or the heuristic, if none was searched), the shared schedule (when
 * `sharedPath` is given and exists) and the policy, all on the same seeds.
 */
export async function compareStep(entry: ModelEntry, steps: number, o: CompareStepOptions): Promise<CompareRow> {
  const model = await openModel(entry, steps, await policyInitOf(o.policyPath, entry, steps));
  let policy: SampleSource | undefined;
  try {
    if (existsSync(o.policyPath)) policy = await openPolicy(o.policyPath, entry, steps, model);
    const { schedule, sampler } = baselineFor(entry, steps, o.baselinesFile);
    const total = compareStepImages(o.n, o.policyPath, o.sharedPath);
    const baselineImages = await generateImages(model, { kind: "schedule", schedule }, o.n, o.seed, (d) => o.onProgress?.(d, total));
    const baseline = { ...(await o.scorer.score(baselineImages)), sampler };
    let done = o.n;
    let shared: CompareRow["shared"];
    if (o.sharedPath !== undefined) {
      shared = existsSync(o.sharedPath) ? await scoreShared(entry, steps, o, o.sharedPath, baseline.fid, (d) => o.onProgress?.(done + d, total)) : null;
      if (shared) done += o.n;
    }
    let adagen: CompareRow["adagen"] = null;
    if (policy?.kind === "policy") {
      const images = await generateImages(model, policy, o.n, o.seed, (d) => o.onProgress?.(done + d, total));
      adagen = { ...(await o.scorer.score(images)), policy: policy.path };
    }
    return {
      steps,
      baseline,
      adagen,
      fidRatio: adagen ? adagen.fid / baseline.fid : null,
      ...(adagen ? {} : { note: `no policy at ${o.policyPath}` }),
      ...(shared === undefined ? {} : { shared }),
      ...(shared === null ? { sharedNote: `no shared-schedule policy at ${o.sharedPath} (adagen train --non-adaptive); row omitted` } : {}),
    };
  } finally {
    if (policy?.kind === "policy") disposePolicy(policy);
    await model.dispose();
  }
}

/**
 * The shared schedule's scores. It may start from another schedule than the adaptive policy (--init), so it gets
 * the model opened around its own; a file that is not a --non-adaptive policy is refused rather than mislabelled.
 */
async function scoreShared(
  entry: ModelEntry,
  steps: number,
  o: CompareStepOptions,
  path: string,
  baselineFid: number,
  onProgress: (done: number) => void,
): Promise<NonNullable<CompareRow["shared"]>> {
  const model = await openModel(entry, steps, await policyInitOf(path, entry, steps));
  let source: (SampleSource & { kind: "policy" }) | undefined;
  try {
    const policy = await openPolicy(path, entry, steps, model);
    source = policy;
    if (policy.adaptive !== false) throw new UsageError(`${path}: not a shared-schedule policy (it was not trained with --non-adaptive)`);
    const scores = await o.scorer.score(await generateImages(model, policy, o.n, o.seed, onProgress));
    return { ...scores, policy: policy.path, fidRatio: scores.fid / baselineFid };
  } finally {
    if (source) disposePolicy(source);
    await model.dispose();
  }
}

export async function compare(flags: Flags, quiet: boolean): Promise<CompareReport> {
  const entry = getModel(flags.require("model", flags.string, "compare"));
  const stepList = stepListOf(entry, flags.list("steps"), "compare");
  const n = flags.require("n", flags.number, "compare");
  const seed = flags.number("seed") ?? 0;
  const policyDir = flags.string("policy-dir");
  const sharedDir = flags.string("shared") ?? DEFAULT_SHARED_DIR;
  checkImageCount(n, entry.card.image.shape);

  await initTensorflow();
  const scorer = await Scorer.create(entry.card, "test");
  const rows: CompareRow[] = [];
  try {
    for (const steps of stepList) {
      const policyPath = policyPathFor(entry, steps, policyDir);
      const sharedPath = sharedPolicyPathFor(entry, steps, sharedDir);
      const bar = new ProgressBar(`compare ${entry.name} T=${steps}`, compareStepImages(n, policyPath, sharedPath), "images", !quiet);
      try {
        const row = await compareStep(entry, steps, { n, seed, policyPath, sharedPath, scorer, onProgress: (d) => bar.update(d) });
        rows.push(row);
        bar.done(
          `baseline FID ${row.baseline.fid.toFixed(2)}` +
            (row.shared ? `, shared schedule FID ${row.shared.fid.toFixed(2)}` : "") +
            (row.adagen ? `, AdaGen FID ${row.adagen.fid.toFixed(2)}` : ""),
        );
      } catch (err) {
        bar.abort();
        throw err;
      }
    }
  } finally {
    await scorer.dispose();
  }
  return { model: entry.name, samples: n, seed, reference: displayPath(scorer.statsFile), rows };
}

export function formatCompare(r: CompareReport): string {
  const lines = [
    `${r.model}: ${r.samples} class-balanced samples per sampler (seed ${r.seed}); FID vs ${r.reference}`,
    "",
    "| steps | sampler | FID | ratio to baseline | class acc |",
    "|------:|---------|----:|------------------:|----------:|",
  ];
  const pct = (x: number | null) => (x === null ? "-" : `${(100 * x).toFixed(1)}%`);
  for (const row of r.rows) {
    lines.push(`| ${row.steps} | searched fixed schedule | ${row.baseline.fid.toFixed(2)} | 1.000 | ${pct(row.baseline.classAccuracy)} |`);
    if (row.shared)
      lines.push(`| ${row.steps} | learned shared schedule | ${row.shared.fid.toFixed(2)} | ${row.shared.fidRatio.toFixed(3)} | ${pct(row.shared.classAccuracy)} |`);
    lines.push(
      `| ${row.steps} | AdaGen (adaptive) | ${row.adagen ? row.adagen.fid.toFixed(2) : "-"} | ` +
        `${row.fidRatio === null ? "-" : row.fidRatio.toFixed(3)} | ${row.adagen ? pct(row.adagen.classAccuracy) : "-"} |`,
    );
  }
  const notes = r.rows.flatMap((row) => [row.note, row.sharedNote].filter((x) => x).map((x) => `T=${row.steps}: ${x}`));
  if (notes.length) lines.push("", ...notes);
  lines.push("", ...r.rows.map((row) => `baseline at T=${row.steps}: ${row.baseline.sampler}`));
  return lines.join("\n");
}
