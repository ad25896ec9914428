/**
 * `adagen compare`: per step count, FID and class accuracy of the model's heuristic schedule (time-uniform, its
 * constant guidance: what an untrained policy executes) and of the trained policy at DIR/M-T/policy.adagen.
 *
 * FID: fmnist-features' 128-d `features` of the uint8 samples (exactly what `adagen sample` writes) against the
 * zoo's Fashion-MNIST test statistics (packages/zoo/stats/fmnist-test-stats.npz). Class accuracy: share of samples
 * whose fmnist-features logits argmax is their conditioning label (the zoo manifest's `class_acc`). Both samplers
 * use the same seed, hence the same labels and initial noise.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { initTensorflow } from "@adagen/core";
import { Flags } from "./args.js";
import { baselineFor } from "./baselines.js";
import { generateImages, loadPolicyFor, policyInitOf, shippedPolicyPath, type SampleSource } from "./generate.js";
import { getModel, openModel, type ModelEntry } from "./models.js";
import { ProgressBar } from "./progress.js";
import { Scorer, TEST_STATS, type Scores } from "./scoring.js";

export interface CompareRow {
  steps: number;
  baseline: Scores & { sampler: string };
  adagen: (Scores & { policy: string }) | null;
  /** AdaGen FID / baseline FID. */
  fidRatio: number | null;
  note?: string;
}

export interface CompareReport {
  model: string;
  samples: number;
  seed: number;
  reference: string;
  rows: CompareRow[];
}

/** Where compare finds a policy: the zoo's shipped one, or DIR/M-T/policy.adagen of a training run folder. */
export function policyPathFor(entry: ModelEntry, steps: number, policyDir?: string): string {
  return policyDir === undefined ? shippedPolicyPath(entry.name, steps) : join(policyDir, `${entry.name}-${steps}`, "policy.adagen");
}

export interface CompareStepOptions {
  n: number;
  seed: number;
  policyPath: string;
  scorer: Scorer;
  /** Searched baselines file (default: the zoo's). */
  baselinesFile?: string;
  onProgress?: (done: number, total: number) => void;
}

/** One row of the table: the best searched baseline (or the heuristic, if none was searched) vs the policy, same seeds. */
export async function compareStep(entry: ModelEntry, steps: number, o: CompareStepOptions): Promise<CompareRow> {
  const model = await openModel(entry, steps, await policyInitOf(o.policyPath, entry, steps));
  let policy: SampleSource | undefined;
  try {
    if (existsSync(o.policyPath)) policy = await loadPolicyFor(o.policyPath, entry, steps, model);
    const { schedule, sampler } = baselineFor(entry, steps, o.baselinesFile);
    const total = policy ? 2 * o.n : o.n;
    const baselineImages = await generateImages(model, { kind: "schedule", schedule }, o.n, o.seed, (d) => o.onProgress?.(d, total));
    const baseline = { ...(await o.scorer.score(baselineImages)), sampler };
    let adagen: CompareRow["adagen"] = null;
    if (policy?.kind === "policy") {
      const images = await generateImages(model, policy, o.n, o.seed, (d) => o.onProgress?.(o.n + d, total));
      adagen = { ...(await o.scorer.score(images)), policy: policy.path };
    }
    return {
      steps,
      baseline,
      adagen,
      fidRatio: adagen ? adagen.fid / baseline.fid : null,
      ...(adagen ? {} : { note: `no policy at ${o.policyPath}` }),
    };
  } finally {
    if (policy?.kind === "policy") policy.actor.dispose();
    await model.dispose();
  }
}

export async function compare(flags: Flags, quiet: boolean): Promise<CompareReport> {
  const entry = getModel(flags.require("model", flags.string, "compare"));
  const stepList = flags.require("steps", flags.list, "compare");
  const n = flags.require("n", flags.number, "compare");
  const seed = flags.number("seed") ?? 0;
  const policyDir = flags.string("policy-dir");

  await initTensorflow();
  const scorer = await Scorer.create(TEST_STATS);
  const rows: CompareRow[] = [];
  try {
    for (const steps of stepList) {
      const policyPath = policyPathFor(entry, steps, policyDir);
      const bar = new ProgressBar(`compare ${entry.name} T=${steps}`, existsSync(policyPath) ? 2 * n : n, "images", !quiet);
      try {
        const row = await compareStep(entry, steps, { n, seed, policyPath, scorer, onProgress: (d) => bar.update(d) });
        rows.push(row);
        bar.done(`baseline FID ${row.baseline.fid.toFixed(2)}${row.adagen ? `, AdaGen FID ${row.adagen.fid.toFixed(2)}` : ""}`);
      } catch (err) {
        bar.abort();
        throw err;
      }
    }
  } finally {
    await scorer.dispose();
  }
  return { model: entry.name, samples: n, seed, reference: `packages/zoo/${TEST_STATS}`, rows };
}

export function formatCompare(r: CompareReport): string {
  const lines = [
    `${r.model}: ${r.samples} class-balanced samples per sampler (seed ${r.seed}); FID vs ${r.reference}`,
    "",
    "| steps | baseline FID | AdaGen FID | ratio | baseline acc | AdaGen acc |",
    "|------:|-------------:|-----------:|------:|-------------:|-----------:|",
  ];
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  for (const row of r.rows) {
    lines.push(
      `| ${row.steps} | ${row.baseline.fid.toFixed(2)} | ${row.adagen ? row.adagen.fid.toFixed(2) : "-"} | ` +
        `${row.fidRatio === null ? "-" : row.fidRatio.toFixed(3)} | ${pct(row.baseline.classAccuracy)} | ${row.adagen ? pct(row.adagen.classAccuracy) : "-"} |`,
    );
  }
  const notes = r.rows.filter((row) => row.note).map((row) => `T=${row.steps}: ${row.note}`);
  if (notes.length) lines.push("", ...notes);
  lines.push("", ...r.rows.map((row) => `baseline at T=${row.steps}: ${row.baseline.sampler}`));
  return lines.join("\n");
}
