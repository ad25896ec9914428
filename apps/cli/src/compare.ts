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
import { FeatureExtractor, featureStatistics, frechetDistance, readStatistics, type FeatureStatistics } from "@adagen/metrics";
import { modelPath, zooPath } from "@adagen/zoo";
import { Flags } from "./args.js";
import { CHUNK, generateImages, loadPolicyFor, type GeneratedImages, type SampleSource } from "./generate.js";
import { getModel, openModel } from "./models.js";
import { ProgressBar } from "./progress.js";

export const REFERENCE_STATS = "stats/fmnist-test-stats.npz";

export interface Scores {
  fid: number;
  classAccuracy: number;
}

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

async function score(images: GeneratedImages, extractor: FeatureExtractor, reference: FeatureStatistics): Promise<Scores> {
  const [n, h, w, c] = images.shape;
  const features = new Float32Array(n * 128);
  let dims = 0;
  let correct = 0;
  for (let start = 0; start < n; start += CHUNK) {
    const count = Math.min(CHUNK, n - start);
    const out = await extractor.extract({ data: images.images.subarray(start * h * w * c, (start + count) * h * w * c), count, height: h, width: w, channels: c });
    dims = out.featureDims;
    if (dims !== 128) throw new Error(`fmnist-features gave ${dims}-d features, expected 128`);
    features.set(out.features, start * dims);
    const logits = out.logits as Float32Array;
    const k = out.logitDims as number;
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + best]) best = j;
      if (best === images.labels[start + i]) correct++;
    }
  }
  const fid = frechetDistance(featureStatistics({ data: features, rows: n, dims }), reference).fid;
  return { fid, classAccuracy: correct / n };
}

export async function compare(flags: Flags, quiet: boolean): Promise<CompareReport> {
  const entry = getModel(flags.require("model", flags.string, "compare"));
  const stepList = flags.require("steps", flags.list, "compare");
  const n = flags.require("n", flags.number, "compare");
  const seed = flags.number("seed") ?? 0;
  const policyDir = flags.string("policy-dir") ?? "runs";

  await initTensorflow();
  const reference = readStatistics(zooPath(REFERENCE_STATS));
  const extractor = await FeatureExtractor.create(modelPath("fmnist-features"));
  const rows: CompareRow[] = [];
  try {
    for (const steps of stepList) {
      const model = await openModel(entry, steps);
      let policy: SampleSource | undefined;
      try {
        const policyPath = join(policyDir, `${entry.name}-${steps}`, "policy.adagen");
        if (existsSync(policyPath)) policy = await loadPolicyFor(policyPath, entry, steps, model);
        const total = policy ? 2 * n : n;
        const bar = new ProgressBar(`compare ${entry.name} T=${steps}`, total, "images", !quiet);
        const baselineImages = await generateImages(model, { kind: "schedule", schedule: { name: "uniform" } }, n, seed, (d) => bar.update(d));
        const baseline = { ...(await score(baselineImages, extractor, reference)), sampler: `uniform, w = ${entry.guidance}` };
        let adagen: CompareRow["adagen"] = null;
        if (policy?.kind === "policy") {
          const images = await generateImages(model, policy, n, seed, (d) => bar.update(n + d));
          adagen = { ...(await score(images, extractor, reference)), policy: policy.path };
        }
        bar.done(`${total} images scored`);
        rows.push({
          steps,
          baseline,
          adagen,
          fidRatio: adagen ? adagen.fid / baseline.fid : null,
          ...(adagen ? {} : { note: `no policy at ${policyPath}` }),
        });
      } finally {
        if (policy?.kind === "policy") policy.actor.dispose();
        await model.dispose();
      }
    }
  } finally {
    await extractor.dispose();
  }
  return { model: entry.name, samples: n, seed, reference: `packages/zoo/${REFERENCE_STATS}`, rows };
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
  lines.push("", `baseline: ${r.rows[0]?.baseline.sampler ?? ""} (the model's heuristic schedule)`);
  return lines.join("\n");
}
