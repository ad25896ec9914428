/**
 * Does the adversarial reward rank samplers the way FID does? The discriminator the CLI trains with
 * (apps/cli/src/train.ts: DISCRIMINATORS.projected, reals noised to the sampler's end point) is trained on samples of
 * every fixed sampler of the model's baseline grid (packages/zoo/baselines.json), then each sampler's mean reward on
 * held-out samples is set against its FID from that grid. A reward PPO can climb to a better FID needs a clearly
 * positive rank correlation.
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/reward-alignment.ts [--model dit-tiny] [--steps 4]
 *        [--d-steps 150] [--n 256] [--d-lr 1e-3]       (or: pnpm bench:reward-alignment …)
 *
 * Per grid entry: --n training and --n held-out class-balanced images (seeds 11 and 12). Each discriminator step:
 * --n reals vs --n fakes drawn uniformly from all entries' training images, Adam at --d-lr (the CLI's default).
 * The first line echoes the command; the last is one JSON object with every row and Spearman's rho.
 */
import { relative } from "node:path";
import { AdversarialReward, Random, balancedLabels, initTensorflow, type Batch, type LabeledBatch } from "@adagen/core";
import { ImageRealData } from "@adagen/diffusion";
import { loadFashionMnist } from "@adagen/zoo";
import { bestBaseline, describeSchedule } from "../../apps/cli/src/baselines.js";
import { getModel, openModel, type ScheduleRequest } from "../../apps/cli/src/models.js";
import { DISCRIMINATORS, makeDiscriminator } from "../../apps/cli/src/train.js";

interface Args {
  model: string;
  steps: number;
  dSteps: number;
  n: number;
  dLr: number;
}

function parseArgs(argv: string[]): Args {
  const out: Args = { model: "dit-tiny", steps: 4, dSteps: 150, n: 256, dLr: 1e-3 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const num = Number(value);
    if (flag === "--model" && value) out.model = value;
    else if (flag === "--d-lr" && num > 0) out.dLr = num;
    else if (["--steps", "--d-steps", "--n"].includes(flag) && Number.isInteger(num) && num >= 1)
      out[flag === "--steps" ? "steps" : flag === "--n" ? "n" : "dSteps"] = num;
    else throw new Error(`unknown flag or bad value: ${flag} ${value} (expected --model M, --steps T, --d-steps K, --n N, --d-lr X)`);
  }
  return out;
}

/** Spearman's rank correlation (no ties expected among float rewards and FIDs). */
function spearman(a: number[], b: number[]): number {
  const ranks = (v: number[]) => {
    const r = new Array<number>(v.length);
    v.map((x, i) => [x, i]).sort((p, q) => p[0] - q[0]).forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const [ra, rb] = [ranks(a), ranks(b)];
  const n = a.length;
  const d2 = ra.reduce((s, r, i) => s + (r - rb[i]) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

console.log(`$ node ${process.execArgv.join(" ")} ${relative(process.cwd(), process.argv[1])} ${process.argv.slice(2).join(" ")}`.trimEnd());
const args = parseArgs(process.argv.slice(2).filter((a) => a !== "--"));
const entry = getModel(args.model);
const search = bestBaseline(entry, args.steps);
if (!search) throw new Error(`packages/zoo/baselines.json has no ${entry.name} grid at ${args.steps} steps`);

await initTensorflow();
const opened = await openModel(entry, args.steps);
const start = performance.now();
const elapsed = () => `${((performance.now() - start) / 1000).toFixed(0)} s`;
const labels = balancedLabels(args.n, opened.env.numClasses);
const entries: { schedule: ScheduleRequest & { guidance: number }; fid: number; train: Batch; heldOut: Batch }[] = [];
for (const { schedule, fid } of search.grid) {
  entries.push({ schedule, fid, train: await opened.sampleSchedule(schedule, labels, 11), heldOut: await opened.sampleSchedule(schedule, labels, 12) });
  process.stderr.write(`\rsampled ${entries.length}/${search.grid.length} samplers (${elapsed()})`);
}
process.stderr.write("\n");

const reward = new AdversarialReward(await makeDiscriminator(DISCRIMINATORS.projected, 0), { learningRate: args.dLr });
const reals = new ImageRealData(loadFashionMnist("train"), [28, 28, 1], opened.endPointNoise);
const rng = new Random(5);
const size = 28 * 28;
function mixedFakes(): LabeledBatch {
  const data = new Float32Array(args.n * size);
  const fakeLabels = new Int32Array(args.n);
  for (let i = 0; i < args.n; i++) {
    const e = entries[rng.int(entries.length)];
    const j = rng.int(args.n);
    data.set(e.train.data.subarray(j * size, (j + 1) * size), i * size);
    fakeLabels[i] = labels[j];
  }
  return { samples: { data, shape: [args.n, 28, 28, 1] }, labels: fakeLabels };
}
let last: Record<string, number> = {};
for (let k = 1; k <= args.dSteps; k++) {
  last = await reward.update(reals.sample(args.n, rng), mixedFakes());
  process.stderr.write(`\rdiscriminator step ${k}/${args.dSteps}: loss ${last.discriminatorLoss.toFixed(3)} (${elapsed()})`);
}
process.stderr.write("\n");

const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
const rows = [];
for (const e of entries) rows.push({ schedule: e.schedule, fid: e.fid, reward: mean(await reward.score(e.heldOut, labels)) });
const realHeldOut = reals.sample(args.n, new Random(12));
const realReward = mean(await reward.score(realHeldOut.samples, realHeldOut.labels));
const rho = spearman(rows.map((r) => r.reward), rows.map((r) => -r.fid));
rows.sort((a, b) => a.fid - b.fid);
console.log(`${entry.name} at ${args.steps} steps; FID from packages/zoo/baselines.json (${search.samples} samples, training statistics)`);
console.log(["sampler", "FID", "mean reward"].map((h, i) => (i ? h.padStart(12) : h.padEnd(26))).join(""));
for (const r of rows) console.log(describeSchedule(r.schedule).padEnd(26) + r.fid.toFixed(2).padStart(12) + r.reward.toFixed(3).padStart(12));
console.log(`real images (held out)`.padEnd(38) + realReward.toFixed(3).padStart(12));
console.log(`discriminator loss at the last step ${last.discriminatorLoss.toFixed(3)}; Spearman rho(reward, -FID) = ${rho.toFixed(3)}; ${elapsed()}`);
console.log(JSON.stringify({ model: entry.name, steps: args.steps, dSteps: args.dSteps, n: args.n, dLr: args.dLr, spearman: rho, realReward, rows }));
await opened.dispose();
