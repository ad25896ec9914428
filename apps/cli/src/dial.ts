/**
 * `adagen dial`: the fidelity/diversity dial's report (paper Sec. III-F2, Fig. 13) for a dial's fidelity policy
 * (`adagen train --fidelity-of BASE`): at each λ, N class-balanced samples on one seed scored by FID and class
 * accuracy (the card's extractor against its test statistics, as `compare`) and by precision and recall (k = 3,
 * the same extractor's features against N of the card's training images); written to a folder as dial.json,
 * dial.md, dial.png (the four figures against λ) and samples.png (the same seeds at λ = 0, 0.5, 1).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Random, Scorer, balancedLabels, createSampler, loadRealImages, quantizeImages, readTensorFile } from "@adagen/core";
import { ProgressBar, precisionRecall, writeFileAtomic } from "@adagen/metrics";
import { Flags, checkOutputFile } from "./args.js";
import { UsageError, getModel, stepListOf } from "./models.js";
import { lineChart, stackVertically, textRaster } from "./plot.js";
import { encodePng, imageGrid, sideBySide } from "./png.js";
import { displayPath } from "./scoring.js";

export const DIAL_DEFAULTS = { n: 10000, seed: 0, lambdas: [0, 0.25, 0.5, 0.75, 1], out: "report-dial" } as const;
/** λ of the sample grids, and samples per class in each. */
const GRID_LAMBDAS = [0, 0.5, 1];
const GRID_PER_CLASS = 8;
/** Seed of the grids (the scored samples use --seed) and of the reference images' draw. */
const PICTURE_SEED = 1;
const REFERENCE_SEED = 7;

export interface DialRow {
  lambda: number;
  fid: number;
  classAccuracy: number | null;
  precision: number;
  recall: number;
}

export interface DialReport {
  model: string;
  steps: number;
  policy: string;
  samples: number;
  seed: number;
  reference: string;
  rows: DialRow[];
  out: string;
}

export async function dialReport(flags: Flags, quiet: boolean): Promise<DialReport> {
  const entry = getModel(flags.require("model", flags.string, "dial"));
  const [steps] = stepListOf(entry, flags.has("steps") ? [flags.number("steps")!] : undefined, "dial");
  const policy = flags.require("policy", flags.string, "dial");
  const n = flags.number("n") ?? DIAL_DEFAULTS.n;
  const seed = flags.number("seed") ?? DIAL_DEFAULTS.seed;
  const lambdas = flags.list("lambdas") ?? [...DIAL_DEFAULTS.lambdas];
  const out = flags.string("out") ?? DIAL_DEFAULTS.out;
  checkOutputFile(join(out, "dial.json"));
  let meta: Record<string, unknown>;
  try {
    meta = (await readTensorFile(policy)).meta;
  } catch (err) {
    throw new UsageError(`${policy}: not a readable policy (${(err as Error).message})`);
  }
  if (!meta.dialBase) throw new UsageError(`${policy} is not a dial's fidelity policy (train one with "adagen train --fidelity-of BASE")`);

  const sampler = await createSampler({ adapter: entry.adapter, model: entry.card, steps, policy });
  const scorer = await Scorer.create(entry.card, "test");
  const bar = new ProgressBar(`dial ${entry.name} T=${steps}`, lambdas.length * n, "images", !quiet);
  try {
    // The reference set of precision and recall: n training images (a card names no test images).
    const real = loadRealImages(entry.card).sample(n, new Random(REFERENCE_SEED));
    const realImages = new Uint8Array(real.samples.data.length);
    quantizeImages(real.samples.data, realImages);
    const [H, W, C] = entry.card.image.shape;
    const reference = (await scorer.extract({ images: realImages, labels: real.labels, shape: [n, H, W, C] })).features;
    const rows: DialRow[] = [];
    for (const [i, lambda] of lambdas.entries()) {
      const images = await sampler.sample({ n, seed, lambda, onProgress: (d) => bar.update(i * n + d) });
      const { features, classAccuracy } = await scorer.extract(images);
      const fid = scorer.fid(features);
      const pr = precisionRecall(features, reference, { k: 3 });
      rows.push({ lambda, fid, classAccuracy, precision: pr.precision, recall: pr.recall });
    }
    bar.done(`${lambdas.length} values of λ × ${n} samples`);
    const report: DialReport = { model: entry.name, steps, policy, samples: n, seed, reference: displayPath(scorer.statsFile), rows, out };

    const gridLabels = balancedLabels(GRID_PER_CLASS * entry.card.classes.count, entry.card.classes.count);
    const grids = [];
    for (const lambda of GRID_LAMBDAS) {
      const g = await sampler.sample({ labels: gridLabels, seed: PICTURE_SEED, lambda });
      grids.push(stackVertically([textRaster(`lambda = ${lambda}`, 1), imageGrid(g.images, gridLabels.length, H, W, GRID_PER_CLASS)], 4));
    }
    const chart = (title: string, yLabel: string, values: number[]) =>
      lineChart({ title, xLabel: "lambda", yLabel, series: [{ values, color: [31, 119, 180] }], xTicks: lambdas.map(String), width: 480, height: 220 });
    const charts = [
      chart(`${entry.name}, ${steps} steps: FID`, "FID", rows.map((r) => r.fid)),
      chart("precision", "precision", rows.map((r) => r.precision)),
      chart("recall", "recall", rows.map((r) => r.recall)),
      chart("class accuracy", "class accuracy", rows.map((r) => r.classAccuracy ?? NaN)),
    ];
    mkdirSync(out, { recursive: true });
    writeFileAtomic(join(out, "dial.json"), Buffer.from(JSON.stringify(report, null, 2) + "\n", "utf8"));
    writeFileAtomic(join(out, "dial.md"), Buffer.from(formatDial(report) + "\n", "utf8"));
    writeFileAtomic(join(out, "dial.png"), encodePng(stackVertically(charts, 8)));
    writeFileAtomic(join(out, "samples.png"), encodePng(grids.reduce((a, b) => sideBySide(a, b, 16))));
    return report;
  } catch (err) {
    bar.abort();
    throw err;
  } finally {
    await scorer.dispose();
    await sampler.dispose();
  }
}

/** The report as a markdown table, with what was measured and how. */
export function formatDial(r: DialReport): string {
  const pct = (x: number | null) => (x === null ? "-" : `${(100 * x).toFixed(1)} %`);
  return [
    `# The fidelity/diversity dial: ${r.model}, ${r.steps} steps`,
    "",
    `Policy ${r.policy}; ${r.samples} class-balanced samples per λ, seed ${r.seed}. FID and class accuracy: the card's`,
    `extractor against ${r.reference}; precision and recall (k = 3): the same features against ${r.samples} training images.`,
    "λ = 0 is the base policy exactly, λ = 1 the fidelity policy alone.",
    "",
    "| λ | FID | precision | recall | class accuracy |",
    "|---:|---:|---:|---:|---:|",
    ...r.rows.map((row) => `| ${row.lambda} | ${row.fid.toFixed(3)} | ${row.precision.toFixed(4)} | ${row.recall.toFixed(4)} | ${pct(row.classAccuracy)} |`),
    "",
    "dial.png: the four figures against λ. samples.png: the same seeds at λ = 0, 0.5 and 1, one class per row.",
  ].join("\n");
}
