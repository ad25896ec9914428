/**
 * Does the reward rank samplers the way FID does? Every fixed sampler of a baseline grid (schedule × guidance, with
 * its FID from the grid file) is set against the discriminator the CLI trains with (core's discriminatorFor: the
 * projected discriminator of the card, Adam at --d-lr), or against the distance the influence reward climbs down.
 * Three instruments:
 *
 *   pool        One discriminator, trained on a pool of all samplers' training images vs real images. Each sampler's
 *               mean reward on its held-out images vs its FID → Spearman rho(mean reward, −FID). This is what PPO
 *               sees: a reward it can climb to a better FID needs a clearly positive rho.
 *   two-sample  Per sampler, a fresh discriminator (same construction, same seed, same real batches) trained for
 *               --d-steps against that sampler's training images only; then the ROC-AUC of held-out reals vs its
 *               held-out images, scored by the discriminator's mean logit (1 = fully separated, 0.5 = the sampler
 *               is indistinguishable from data). A sampler closer to the data should be harder to tell apart →
 *               Spearman rho(AUC, FID); positive = aligned. Costs one discriminator training per grid entry.
 *   distance    For the influence reward (`adagen train --reward influence --reward-backbone F1,F2,…`), whose
 *               per-image reward is that image's share of lowering its batch's Fréchet distance to the training
 *               images in the backbones' features: each sampler's held-out images' distance in every
 *               --fd-backbone space (10,000 training images, Random(0), as reference), the mean over the spaces
 *               (the reward's, with --influence-unconditional) → Spearman rho(−mean distance, −FID); positive =
 *               aligned. No discriminator is trained.
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/reward-alignment.ts   (or: pnpm -s bench:reward-alignment …)
 *        [--model dit-tiny] [--steps 4]          model and step count; the grid is the one searched at these
 *        [--instrument both]                     pool | two-sample | both (the two discriminator instruments) |
 *                                                distance (needs --fd-backbone)
 *        [--fd-backbone FILE]                    a feature space for `distance` (repeat it for several; core's
 *                                                openFeatureSpace: a .adagen ViT backbone or an ONNX model's features)
 *        [--grid FILE]                           a baselines file (`adagen baselines --out FILE`); default: the zoo's
 *                                                packages/zoo/baselines.json
 *        [--augment none]                        none | translate-cutout: the discriminator's real and fake batches
 *                                                both go through core's translateCutout (the CLI's --augment)
 *        [--d-steps 150] [--n 256] [--d-lr 1e-3] discriminator steps, batch / per-sampler image count, learning rate
 *        [--samplers all]                        N: only N of the grid's samplers, evenly spaced in FID rank (the
 *                                                best and the worst included); two-sample trains one discriminator
 *                                                per sampler, so a grid of 100 costs 100 trainings
 *
 * Per grid entry: --n training (discriminator instruments only) and --n held-out class-balanced images (seeds 11 and
 * 12). Each discriminator step:
 * --n training reals (Fashion-MNIST train split) vs --n fakes drawn uniformly from the training images (pool: of all
 * entries), one Random(5) stream for both (and the augmentation's draws). Held-out reals: --n images of the test
 * split (Random(12)), so no held-out real was seen in training; held-out images are scored unaugmented.
 * Output: the command line first; a table (sampler, FID, mean reward, AUC, mean distance; "-" where the instrument
 * did not run); the rhos, over all samplers and (from 8 samplers on) over the best quarter by FID, where a policy
 * moves; last, one JSON line with the settings, every rho (null when not run) and every row.
 */
import { existsSync } from "node:fs";
import { relative, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import {
  AUGMENTS,
  AdversarialReward,
  ImageRealData,
  Random,
  balancedLabels,
  bestBaseline,
  describeSchedule,
  discriminatorFor,
  initTensorflow,
  makeDiscriminator,
  openModel,
  translateCutout,
  type Batch,
  type Discriminator,
  type ImageAugment,
  type LabeledBatch,
  type ScheduleRequest,
} from "@adagen/core";
import { ProgressBar, rocAuc, spearman } from "@adagen/metrics";
import { loadFashionMnist, zooPath } from "@adagen/zoo";
import { zooModel } from "./zoo-model.js";
import { benchArgs } from "./bench-command.js";
import { backboneDistance } from "./backbone-distance.js";

const INSTRUMENTS = ["pool", "two-sample", "both", "distance"] as const;

interface Args {
  model: string;
  steps: number;
  dSteps: number;
  n: number;
  dLr: number;
  instrument: (typeof INSTRUMENTS)[number];
  grid?: string;
  augment: (typeof AUGMENTS)[number];
  fdBackbones: string[];
  /** Keep only this many samplers, evenly spaced in FID rank; undefined = the whole grid. */
  samplers?: number;
}

function parseArgs(argv: string[]): Args {
  const out: Args = { model: "dit-tiny", steps: 4, dSteps: 150, n: 256, dLr: 1e-3, instrument: "both", augment: "none", fdBackbones: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const num = Number(value);
    if (flag === "--model" && value) out.model = value;
    else if (flag === "--grid" && value) out.grid = value;
    else if (flag === "--instrument" && (INSTRUMENTS as readonly string[]).includes(value)) out.instrument = value as Args["instrument"];
    else if (flag === "--augment" && (AUGMENTS as readonly string[]).includes(value)) out.augment = value as Args["augment"];
    else if (flag === "--d-lr" && num > 0) out.dLr = num;
    else if (flag === "--fd-backbone" && value) out.fdBackbones.push(value);
    else if (flag === "--samplers" && Number.isInteger(num) && num >= 2) out.samplers = num;
    else if (["--steps", "--d-steps", "--n"].includes(flag) && Number.isInteger(num) && num >= 1)
      out[flag === "--steps" ? "steps" : flag === "--n" ? "n" : "dSteps"] = num;
    else
      throw new Error(
        `unknown flag or bad value: ${flag} ${value ?? ""} (expected --model M, --steps T, --instrument ${INSTRUMENTS.join("|")}, ` +
          `--grid FILE, --augment ${AUGMENTS.join("|")}, --d-steps K, --n N, --d-lr X, --fd-backbone FILE, --samplers N ≥ 2)`,
      );
  }
  if (out.instrument === "distance" && out.fdBackbones.length === 0) throw new Error("--instrument distance needs at least one --fd-backbone FILE");
  if (out.instrument !== "distance" && out.fdBackbones.length > 0) throw new Error(`--fd-backbone is read by --instrument distance only (got --instrument ${out.instrument})`);
  for (const file of out.fdBackbones) if (!existsSync(file)) throw new Error(`--fd-backbone ${file}: no such file`);
  return out;
}

const args = benchArgs(import.meta.url, parseArgs);
const runPool = args.instrument === "pool" || args.instrument === "both";
const runTwoSample = args.instrument === "two-sample" || args.instrument === "both";
const runDistance = args.instrument === "distance";
const entry = zooModel(args.model);
const gridFile = args.grid === undefined ? zooPath("baselines.json") : resolve(args.grid);
if (!existsSync(gridFile)) throw new Error(`--grid ${args.grid}: no such file`);
const gridName = relative(process.cwd(), gridFile);
const search = bestBaseline(entry, args.steps, gridFile);
if (!search) throw new Error(`${gridName} has no ${entry.name} grid at ${args.steps} steps`);
/** `count` entries of `grid`, evenly spaced in FID rank from the best to the worst. */
function evenlyByRank<T extends { fid: number }>(grid: readonly T[], count: number): T[] {
  const sorted = [...grid].sort((a, b) => a.fid - b.fid);
  if (count >= sorted.length) return sorted;
  return Array.from({ length: count }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (count - 1))]);
}
const grid = args.samplers === undefined ? search.grid : evenlyByRank(search.grid, args.samplers);
if (grid.length < 2) throw new Error(`${gridName}: the ${entry.name} grid at ${args.steps} steps has ${grid.length} sampler(s); a rank correlation needs 2`);

await initTensorflow();
const opened = await openModel(entry, args.steps);
const start = performance.now();
const elapsed = () => `${((performance.now() - start) / 1000).toFixed(0)} s`;
const size = 28 * 28;
const labels = balancedLabels(args.n, opened.env.numClasses);
// The distance instrument trains nothing, so it samples the held-out images only.
const noImages: Batch = { data: new Float32Array(0), shape: [0, 28, 28, 1] };
const entries: { schedule: ScheduleRequest; fid: number; train: Batch; heldOut: Batch }[] = [];
const sampling = new ProgressBar("sampling", grid.length, "samplers", true);
for (const { schedule, fid } of grid) {
  const train = runDistance ? noImages : await opened.sampleSchedule(schedule, labels, 11);
  entries.push({ schedule, fid, train, heldOut: await opened.sampleSchedule(schedule, labels, 12) });
  sampling.update(entries.length);
}
sampling.done();

const reals = new ImageRealData(loadFashionMnist("train"), [28, 28, 1]);
const realHeldOut = new ImageRealData(loadFashionMnist("test"), [28, 28, 1]).sample(args.n, new Random(12));
const augment: ImageAugment = args.augment === "translate-cutout" ? translateCutout() : (images) => images;
const augmented = (b: LabeledBatch, rng: Random): LabeledBatch => ({ samples: augment(b.samples, rng), labels: b.labels });

/** Fakes for one discriminator step: --n training images drawn uniformly from `from` (one entry or all). */
function fakes(from: typeof entries, rng: Random): LabeledBatch {
  const data = new Float32Array(args.n * size);
  const fakeLabels = new Int32Array(args.n);
  for (let i = 0; i < args.n; i++) {
    const e = from[rng.int(from.length)];
    const j = rng.int(args.n);
    data.set(e.train.data.subarray(j * size, (j + 1) * size), i * size);
    fakeLabels[i] = labels[j];
  }
  return { samples: { data, shape: [args.n, 28, 28, 1] }, labels: fakeLabels };
}

/** The per-sample mean logit (the reward before its sigmoid, which saturates to ties in float32). */
function meanLogits(d: Discriminator, samples: Batch, sampleLabels: Int32Array): Float32Array {
  return tf.tidy(() => tf.mean(d.apply(tf.tensor(samples.data, samples.shape), sampleLabels), 1).dataSync() as Float32Array);
}

/** The discriminator's weights (and the frozen backbone of a projected one) and Adam's moments. */
function disposeReward(reward: AdversarialReward): void {
  reward.optimizer.dispose();
  const d = reward.discriminator as Discriminator & { dispose?: () => void };
  if (d.dispose) d.dispose();
  else d.params.dispose();
}

/**
 * Trains a fresh discriminator (seed 0, Random(5) for the batches) against fakes from `from`, hands it to `use`, and
 * disposes of it. Returns what `use` returns and the loss of the last step.
 */
async function withTrainedReward<T>(from: typeof entries, what: string, use: (reward: AdversarialReward) => Promise<T>): Promise<{ result: T; dLoss: number }> {
  const reward = new AdversarialReward(await makeDiscriminator(discriminatorFor(entry.card, "projected"), 0), { learningRate: args.dLr });
  try {
    const rng = new Random(5);
    let dLoss = NaN;
    for (let k = 1; k <= args.dSteps; k++) {
      const real = augmented(reals.sample(args.n, rng), rng);
      dLoss = (await reward.update(real, augmented(fakes(from, rng), rng))).discriminatorLoss;
      process.stderr.write(`\r${what}: discriminator step ${k}/${args.dSteps}, loss ${dLoss.toFixed(3)} (${elapsed()})`.padEnd(100));
    }
    return { result: await use(reward), dLoss };
  } finally {
    disposeReward(reward);
  }
}

const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
const tensorsBefore = tf.memory().numTensors;
interface Row {
  schedule: ScheduleRequest;
  fid: number;
  /** pool: mean reward on the held-out images. */
  reward?: number;
  /** two-sample: held-out ROC-AUC of reals vs this sampler, and that discriminator's last loss. */
  auc?: number;
  dLoss?: number;
  /** distance: Fréchet distance of the held-out images in each --fd-backbone space, and their mean. */
  distances?: number[];
  distance?: number;
}
const rows: Row[] = entries.map((e) => ({ schedule: e.schedule, fid: e.fid }));

let pool: { spearman: number; realReward: number; dLoss: number } | undefined;
if (runPool) {
  const { result, dLoss } = await withTrainedReward(entries, "pool", async (reward) => {
    for (const [i, e] of entries.entries()) rows[i].reward = mean(await reward.score(e.heldOut, labels));
    return mean(await reward.score(realHeldOut.samples, realHeldOut.labels));
  });
  process.stderr.write("\n");
  pool = { spearman: spearman(rows.map((r) => r.reward!), rows.map((r) => -r.fid)), realReward: result, dLoss };
}

let twoSample: { spearman: number } | undefined;
if (runTwoSample) {
  for (const [i, e] of entries.entries()) {
    const what = `two-sample ${i + 1}/${entries.length} (${describeSchedule(e.schedule)})`;
    const { result, dLoss } = await withTrainedReward([e], what, async (reward) =>
      rocAuc(meanLogits(reward.discriminator, realHeldOut.samples, realHeldOut.labels), meanLogits(reward.discriminator, e.heldOut, labels)),
    );
    Object.assign(rows[i], { auc: result, dLoss });
  }
  process.stderr.write("\n");
  twoSample = { spearman: spearman(rows.map((r) => r.auc!), rows.map((r) => r.fid)) };
}
let distance: { spearman: number } | undefined;
if (runDistance) {
  const spaces = [];
  for (const file of args.fdBackbones) spaces.push(await backboneDistance(file, entry.card, opened.env.numClasses));
  const measuring = new ProgressBar("distances", entries.length, "samplers", true);
  for (const [i, e] of entries.entries()) {
    const distances: number[] = [];
    for (const space of spaces) distances.push((await space.distance(e.heldOut as { data: Float32Array; shape: [number, number, number, number] }, labels)).fid);
    Object.assign(rows[i], { distances, distance: distances.reduce((a, b) => a + b, 0) / distances.length });
    measuring.update(i + 1);
  }
  measuring.done();
  for (const space of spaces) await space.dispose();
  distance = { spearman: spearman(rows.map((r) => -r.distance!), rows.map((r) => -r.fid)) };
}
const leaked = tf.memory().numTensors - tensorsBefore;

rows.sort((a, b) => a.fid - b.fid);
// Near the optimum is where a policy moves, and where FID's differences are smallest: each rho again over the best
// quarter of the samplers by FID (from 8 samplers on).
const best = rows.length >= 8 ? rows.slice(0, Math.ceil(rows.length / 4)) : undefined;
const amongBest = (x: (r: Row) => number, y: (r: Row) => number) => (best ? spearman(best.map(x), best.map(y)) : null);
const bestRho = {
  pool: pool ? amongBest((r) => r.reward!, (r) => -r.fid) : null,
  twoSample: twoSample ? amongBest((r) => r.auc!, (r) => r.fid) : null,
  distance: distance ? amongBest((r) => -r.distance!, (r) => -r.fid) : null,
};
const bestText = (rho: number | null) =>
  best && rho !== null ? `; over the best ${best.length} samplers (FID ≤ ${best[best.length - 1].fid.toFixed(2)}) ${rho.toFixed(3)}` : "";
const cell = (v: number | undefined, digits: number) => (v === undefined ? "-" : v.toFixed(digits)).padStart(12);
console.log(
  `${entry.name} at ${args.steps} steps; ${grid.length} of the grid's ${search.grid.length} samplers; FID from ${gridName} (${search.samples} samples vs ${search.reference}); augment ${args.augment}`,
);
console.log("sampler".padEnd(26) + ["FID", "mean reward", "AUC", "distance"].map((h) => h.padStart(12)).join(""));
for (const r of rows) console.log(describeSchedule(r.schedule).padEnd(26) + r.fid.toFixed(2).padStart(12) + cell(r.reward, 3) + cell(r.auc, 3) + cell(r.distance, 3));
if (pool) {
  console.log(`real images (held out)`.padEnd(38) + pool.realReward.toFixed(3).padStart(12));
  console.log(`pool: discriminator loss at the last step ${pool.dLoss.toFixed(3)}; Spearman rho(mean reward, -FID) = ${pool.spearman.toFixed(3)}${bestText(bestRho.pool)}`);
}
if (twoSample) {
  const losses = rows.map((r) => r.dLoss!);
  console.log(
    `two-sample: last-step discriminator losses ${Math.min(...losses).toFixed(3)}..${Math.max(...losses).toFixed(3)}; ` +
      `Spearman rho(AUC, FID) = ${twoSample.spearman.toFixed(3)}${bestText(bestRho.twoSample)}`,
  );
}
if (distance)
  console.log(
    `distance: mean Fréchet distance over ${args.fdBackbones.length} space(s) (${args.fdBackbones.map((f) => relative(process.cwd(), resolve(f))).join(", ")}), ` +
      `${args.n} held-out images per sampler; Spearman rho(-distance, -FID) = ${distance.spearman.toFixed(3)}${bestText(bestRho.distance)}`,
  );
console.log(`${elapsed()}${leaked ? `; WARNING: ${leaked} tensors not disposed` : ""}`);
console.log(
  JSON.stringify({
    model: entry.name,
    steps: args.steps,
    instrument: args.instrument,
    augment: args.augment,
    grid: gridName,
    dSteps: args.dSteps,
    n: args.n,
    dLr: args.dLr,
    fdBackbones: args.fdBackbones,
    samplers: grid.length,
    spearmanBestQuarter: best ? { samplers: best.length, ...bestRho } : null,
    spearman: { pool: pool?.spearman ?? null, twoSample: twoSample?.spearman ?? null, distance: distance?.spearman ?? null },
    realReward: pool?.realReward ?? null,
    leakedTensors: leaked,
    rows,
  }),
);
await opened.dispose();
