/**
 * Is per-sample randomness alone worth FID? The cluster oracle's control "random groups" (bench:cluster-oracle:
 * each class's samples split at random, each group its own fixed schedule) gains held out about as much as the class
 * oracle does: part of the room for adaptation is a *mixture* of schedules, blind to the image. This bench measures
 * the simplest such mixture directly: the searched best (or a policy) with Gaussian noise of std σ added to its raw
 * outputs at every decision, independently per sample, as PPO's exploration does in training (core's `rollout`
 * with `explore`; then the usual decoding: residual on the starting schedule, smoothing, clamps). σ = 0 is the
 * deterministic sampler. Every σ runs on the same seeds, labels and initial noise (the time-point samplers are
 * paired), so the rows differ only in the action noise.
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/stochastic-schedule.ts --model dit-tiny --steps 4
 *        [--stds 0,0.1,0.2,0.3]   exploration std σ on the raw outputs (0: the deterministic sampler; listed first)
 *        [--policy PATH]          a policy file for this model and step count (default: none, the untrained
 *                                 policy at the searched best: it executes the best exactly at σ = 0)
 *        [--n 5000] [--eval-seeds 0,1]  images per FID (class-balanced) and the seeds (one FID per seed and σ)
 *   (or: pnpm -s bench:stochastic-schedule --model dit-tiny --steps 4)
 *
 * FID against the test statistics; the ratio is to σ = 0 on the same seed. The executed actions' spread across
 * samples (each decision's standard deviation, averaged over decisions; on the last seed) is printed per σ, so a reader sees how far
 * the noise moved the time points and guidance. The first line echoes the command; the last is one JSON object.
 */
import {
  ActionDecoder,
  CHUNK,
  Random,
  Scorer,
  balancedLabels,
  disposePolicy,
  initTensorflow,
  openModel,
  openPolicy,
  policyEnv,
  policyInit,
  policyInitOf,
  quantizeImages,
  rollout,
  type GeneratedImages,
} from "@adagen/core";
import { ProgressBar } from "@adagen/metrics";
import { benchArgs } from "./bench-command.js";
import { isCount } from "./oracle-run.js";
import { zooModel } from "./zoo-model.js";

interface Args {
  model: string;
  steps: number;
  stds: number[];
  policy?: string;
  n: number;
  evalSeeds: number[];
}

function parseArgs(argv: string[]): Args {
  const out: Args = { model: "", steps: 0, stds: [0, 0.1, 0.2, 0.3], n: 5000, evalSeeds: [0, 1] };
  const list = (v: string | undefined) => (v ?? "").split(",").map(Number);
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const num = Number(value);
    if (flag === "--model" && value) out.model = value;
    else if (flag === "--steps" && isCount(num, 1)) out.steps = num;
    else if (flag === "--stds" && list(value).every((s) => Number.isFinite(s) && s >= 0) && list(value)[0] === 0) out.stds = list(value);
    else if (flag === "--policy" && value) out.policy = value;
    else if (flag === "--n" && isCount(num, 20)) out.n = num;
    else if (flag === "--eval-seeds" && value && list(value).every((s) => isCount(s, 0))) out.evalSeeds = list(value);
    else throw new Error(`unknown flag or bad value: ${flag} ${value ?? ""} (expected --model M, --steps T, --stds 0,S1,… (σ ≥ 0, 0 first), --policy PATH, --n N ≥ 20, --eval-seeds S1,S2)`);
  }
  if (!out.model || !out.steps) throw new Error("--model and --steps are required");
  return out;
}

const args = benchArgs(import.meta.url, parseArgs);
const entry = zooModel(args.model);
await initTensorflow();
const init = args.policy ? await policyInitOf(args.policy, entry, args.steps) : await policyInit(entry, args.steps, "best");
const opened = await openModel(entry, args.steps, init);
const source = args.policy ? await openPolicy(args.policy, entry, args.steps, opened) : undefined;
const env = source ? policyEnv(opened.env, source) : opened.env;
const decoder = new ActionDecoder(opened.env.actionSpec);
const scorer = await Scorer.create(entry.card, "test");

/** `n` images as generateImages draws them (chunk seeds from Random(seed)), with exploration noise σ; and the spread of each action. */
async function draw(std: number, seed: number, bar: ProgressBar, done: number): Promise<{ images: GeneratedImages; spread: Record<string, number> }> {
  const labels = balancedLabels(args.n, opened.env.numClasses);
  const rng = new Random(seed);
  let images: Uint8Array | undefined;
  let shape: [number, number, number, number] = [args.n, 0, 0, 0];
  const executed: Record<string, number[][]> = {}; // key → decision → values over all samples
  for (let start = 0; start < args.n; start += CHUNK) {
    const chunkLabels = labels.slice(start, Math.min(args.n, start + CHUNK));
    const chunkSeed = rng.nextUint32();
    // The action noise has its own stream, so σ = 0 and σ > 0 share the env's initial noise.
    const explore = std > 0 ? { std, rng: new Random((chunkSeed ^ 0x5bd1e995) >>> 0) } : undefined;
    const { samples, actions } = await rollout(env, source?.actor, decoder, chunkLabels, chunkSeed, { explore });
    if (!images) {
      shape = [args.n, samples.shape[1], samples.shape[2], samples.shape[3]];
      images = new Uint8Array(args.n * shape[1] * shape[2] * shape[3]);
    }
    quantizeImages(samples.data, images, start * shape[1] * shape[2] * shape[3]);
    actions.forEach((a, k) => {
      for (const [key, values] of Object.entries(a)) ((executed[key] ??= [])[k] ??= []).push(...Array.from(values as ArrayLike<number>));
    });
    bar.update(done + start + chunkLabels.length);
  }
  const spread: Record<string, number> = {};
  for (const [key, perDecision] of Object.entries(executed)) {
    const sds = perDecision.map((v) => {
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    });
    spread[key] = sds.reduce((a, b) => a + b, 0) / sds.length;
  }
  return { images: { images: images as Uint8Array, labels, shape }, spread };
}

const rows: { std: number; seeds: { seed: number; fid: number; ratio: number }[]; meanRatio: number; spread: Record<string, number> }[] = [];
try {
  const bar = new ProgressBar(`stochastic schedule ${entry.name} T=${args.steps}`, args.stds.length * args.evalSeeds.length * args.n, "images", true);
  const base: number[] = [];
  let done = 0;
  for (const std of args.stds) {
    const row = { std, seeds: [] as { seed: number; fid: number; ratio: number }[], meanRatio: 0, spread: {} as Record<string, number> };
    for (const [s, seed] of args.evalSeeds.entries()) {
      const { images, spread } = await draw(std, seed, bar, done);
      done += args.n;
      const { fid } = await scorer.score(images);
      if (std === 0) base[s] = fid;
      row.seeds.push({ seed, fid, ratio: fid / base[s] });
      row.spread = spread;
    }
    row.meanRatio = row.seeds.reduce((a, r) => a + r.ratio, 0) / row.seeds.length;
    rows.push(row);
  }
  bar.done(`${args.stds.length} stds × ${args.evalSeeds.length} seeds`);

  console.log(`\n${entry.name}, ${args.steps} steps; ${source ? `policy ${args.policy}` : `the searched best (${init?.name})`}; ${args.n} images per FID, test statistics`);
  for (const row of rows)
    console.log(
      `  σ ${row.std.toFixed(2)}: ${row.seeds.map((r) => `seed ${r.seed} FID ${r.fid.toFixed(3)} (${r.ratio.toFixed(4)})`).join("; ")}; mean ratio ${row.meanRatio.toFixed(4)}; ` +
        `action spread ${Object.entries(row.spread)
          .map(([k, v]) => `${k} ${v.toFixed(4)}`)
          .join(", ")}`,
    );
  console.log(JSON.stringify({ model: entry.name, steps: args.steps, sampler: source ? args.policy : init?.name, n: args.n, rows }));
} finally {
  await scorer.dispose();
  if (source) disposePolicy(source);
  await opened.dispose();
}
