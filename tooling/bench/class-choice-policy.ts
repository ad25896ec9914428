/**
 * A policy that executes, for each class, the fixed schedule a reward space prefers for that class: the space's
 * class-level choice (bench:class-oracle's "SPEC per class" row), learned by the policy network from the generator's
 * features instead of read from the label. Stops 34-40 measured that this choice, made in the fidelity classifier's
 * space, keeps part of the class oracle's room and that PPO in the same space collects less of it; this script
 * writes that choice into a policy file, so `adagen compare --policy-dir` scores it on its own and `adagen train
 * --warm-start` can continue from it with PPO (docs/method.md §14 item 24).
 *
 * 1. Candidates (time-point samplers only): the searched best and one-knob moves around it (`--vary`, as
 *    bench:class-oracle's), and the grid's `--top` rows. A candidate whose start time differs from the best's is
 *    dropped: decision 0 sees no features (docs/method.md §5.3), so the start cannot depend on the class.
 * 2. Selection (no FID, nothing fit on the test set): `--n` class-balanced images of every candidate on `--seed`; each
 *    class takes the candidate whose images of that class are nearest, by Fréchet distance in `--space`, to 10,000
 *    training images of the class (Random(0), as the influence reward's data side).
 *    With `--rounds R` > 1, R − 1 more rounds class by class: the same moves (`--vary`) around the class's current
 *    choice, on that class's images alone (`--n` / classes per candidate, a fresh seed each round, the current
 *    choice redrawn beside its moves), and the nearest stays; rounds stop early when no class moves. A coordinate
 *    descent of each class's distance, so it can walk as far from the best as the space leads it.
 * 3. Targets: the policy's raw outputs that turn the best's schedule (its residual, the policy's `init`) into the
 *    class's candidate: the candidate's residual table minus the best's (docs/method.md §4.4), with decision 0 kept at
 *    the best's. With zero raw outputs the policy is the best; with a class's targets, that class's candidate.
 * 4. Data: `--fit-n` trajectories per class on `--fit-seed`, each run with its class's targets; every decision's
 *    features (what the policy will see on that trajectory) and target.
 * 5. Fit: the CLI's policy network (preset cpu-small) regresses the targets (mean squared error, Adam, `--epochs`
 *    passes in minibatches of 256); then a check on fresh trajectories (`--fit-seed` + 1, 50 per class): the policy
 *    runs as it will be sampled, and the executed actions' mean and largest absolute error against the class's
 *    candidate are printed per class and key.
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/class-choice-policy.ts --model dit-tiny --steps 4
 *        --space SPEC           the reward space (core's openFeatureSpace; e.g. packages/zoo/models/fmnist-fidelity.onnx)
 *        --out FILE             the policy file to write (e.g. runs/x/dit-tiny-4/policy.adagen, for compare --policy-dir runs/x)
 *        [--vary KEY:D1,D2,…]   one-knob moves around the best, repeatable (tooling/bench/moves.ts); default, as
 *                               bench:class-oracle's: guidance ±0.25, ±0.5 and guidanceEnd ±0.5, ±1 where the best sets them
 *        [--top 0]              the grid's lowest-FID rows added as candidates
 *        [--n 2000] [--seed 7919]           selection images per candidate and their seed
 *        [--fit-n 200] [--fit-seed 1]       trajectories per class for the fit, and their seed
 *        [--rounds 1]           selection rounds (round 2 on: per class, moves around its choice)
 *        [--epochs 60] [--learning-rate 0.001]
 *   (or: pnpm -s bench:class-choice-policy --model dit-tiny --steps 4 --space S --out F)
 *
 * The first line echoes the command; the last is one JSON object (the choice per class and the fit's errors).
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import {
  ActionDecoder,
  InputError,
  PRESETS,
  PolicyNetwork,
  Random,
  describeSchedule,
  generateImages,
  loadRealImages,
  openFeatureSpace,
  openModel,
  policyInit,
  policyNetworkConfig,
  residualOffsets,
  rollout,
  savePolicy,
  scheduleInit,
  type FeatureSpace,
  type GenerationEnv,
  type ScheduleRequest,
} from "@adagen/core";
import { ProgressBar, frechetDistance } from "@adagen/metrics";
import { benchArgs } from "./bench-command.js";
import { classSums, ownBest, unionStatistics, type ClassSums } from "./class-union.js";
import { oracleCandidates } from "./moves.js";
import { ORACLE_FLAGS, candidateImages, isCount, oracleSetup, readOracleFlag, type OracleArgs } from "./oracle-run.js";

interface Args extends OracleArgs {
  space: string;
  out: string;
  fitN: number;
  fitSeed: number;
  epochs: number;
  learningRate: number;
  rounds: number;
}

function parseArgs(argv: string[]): Args {
  const out: Args = { model: "", steps: 0, vary: [], top: 0, n: 2000, seed: 7919, evalN: 2, evalSeeds: [], sweeps: 1, space: "", out: "", fitN: 200, fitSeed: 1, epochs: 60, learningRate: 1e-3, rounds: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const num = Number(value);
    if (["--eval-n", "--eval-seeds", "--sweeps"].includes(flag)) throw new Error(`${flag} is bench:class-oracle's; this script evaluates nothing held out (adagen compare does)`);
    if (readOracleFlag(out, flag, value)) continue;
    if (flag === "--space" && value) out.space = value;
    else if (flag === "--out" && value) out.out = value;
    else if (flag === "--fit-n" && isCount(num, 1)) out.fitN = num;
    else if (flag === "--fit-seed" && isCount(num, 0) && num < 0xffffffff) out.fitSeed = num;
    else if (flag === "--epochs" && isCount(num, 1)) out.epochs = num;
    else if (flag === "--learning-rate" && num > 0 && Number.isFinite(num)) out.learningRate = num;
    else if (flag === "--rounds" && isCount(num, 1)) out.rounds = num;
    else throw new Error(`unknown flag or bad value: ${flag} ${value ?? ""} (expected ${ORACLE_FLAGS}, --space SPEC, --out FILE, --fit-n N ≥ 1, --fit-seed S, --epochs E ≥ 1, --learning-rate R > 0, --rounds R ≥ 1)`);
  }
  if (!out.model || !out.steps) throw new Error("--model and --steps are required");
  if (!out.space) throw new Error("--space is required (the reward space whose per-class choice the policy learns)");
  if (!out.out) throw new Error("--out is required (the policy file to write)");
  if (existsSync(out.out)) throw new Error(`--out ${out.out} exists; choose another file`);
  return out;
}

/** Runs `labels` with each sample's raw outputs from `rawOf(label, decision)`; every decision's features and raw outputs. */
async function traceTargets(env: GenerationEnv, decoder: ActionDecoder, labels: Int32Array, seed: number, rawOf: (label: number, k: number) => number[]) {
  const B = labels.length;
  const A = decoder.numKeys;
  const [N, D] = env.featureShape;
  const H = env.horizon;
  const features = new Float32Array(H * B * N * D);
  const steps = new Float32Array(H * B);
  const targets = new Float32Array(H * B * A);
  await env.reset(labels, seed);
  decoder.reset(B);
  for (let k = 0; k < H; k++) {
    const obs = await env.observe();
    features.set(obs.features.data, k * B * N * D);
    const raw = new Float32Array(B * A);
    for (let b = 0; b < B; b++) raw.set(rawOf(labels[b], k), b * A);
    steps.fill(k, k * B, (k + 1) * B);
    targets.set(raw, k * B * A);
    await env.step(decoder.decode(raw, k));
  }
  return { features, steps, targets, rows: H * B };
}

const args = benchArgs(import.meta.url, parseArgs);
const { entry, opened, best, candidates } = await oracleSetup(args);
const classes = opened.env.numClasses;
let space: FeatureSpace | undefined;
const init = await policyInit(entry, args.steps, "best");
const base = await openModel(entry, args.steps, init);
try {
  if (!base.env.actionSpec.keys.some((k) => k.name === "nextTime")) throw new Error(`${entry.name}: a time-point sampler is needed (diffusion or flow)`);
  // 1. Candidates: their action tables and raw offsets from the best (the policy's residual).
  type Executable = { offsets: number[][]; heuristic: number[][] };
  const offsetsKnown = new Map<string, Executable | undefined>();
  const offsetsOf = async (schedule: ScheduleRequest): Promise<Executable | undefined> => {
    const key = describeSchedule(schedule);
    if (offsetsKnown.has(key)) return offsetsKnown.get(key);
    let own;
    try {
      own = await openModel(entry, args.steps, scheduleInit(opened, entry, args.steps, schedule, "candidate"));
    } catch (err) {
      // A move the sampler refuses (e.g. a time point closer than its minimum gap to the next) is no candidate.
      if (!(err instanceof RangeError || err instanceof InputError)) throw err;
      console.log(`dropped ${key}: ${err.message}`);
      offsetsKnown.set(key, undefined);
      return undefined;
    }
    try {
      const startMoved = own.env.actionSpec.heuristic[0][0] !== base.env.actionSpec.heuristic[0][0];
      if (startMoved) console.log(`dropped ${key}: its start time is not the best's (decision 0 cannot depend on the class)`);
      const { heuristic } = own.env.actionSpec;
      offsetsKnown.set(key, startMoved ? undefined : { offsets: residualOffsets(base.env.actionSpec, own.env.actionSpec), heuristic });
      return offsetsKnown.get(key);
    } finally {
      await own.dispose();
    }
  };
  const usable: ({ schedule: ScheduleRequest } & Executable)[] = [];
  for (const schedule of candidates) {
    const executable = await offsetsOf(schedule);
    if (executable) usable.push({ schedule, ...executable });
  }

  // 2. Selection in the space, class by class.
  space = await openFeatureSpace(args.space, entry.card.image.shape);
  const real = await loadRealImages(entry.card).sample(10000, new Random(0));
  const realSums = classSums(await space.features(real.samples), real.labels, classes);
  const bar = new ProgressBar(`class choice ${entry.name} T=${args.steps}: selection`, usable.length * args.n, "images", true);
  const sums: ClassSums[][] = [];
  for (const [k, { schedule }] of usable.entries()) {
    const images = await candidateImages(opened, schedule, k === 0, args.n, args.seed, (d) => bar.update(k * args.n + d));
    if (!images) throw new Error(`${describeSchedule(schedule)} cannot run; leave it out of the candidates`);
    const floats = { data: Float32Array.from(images.images, (v) => v / 255), shape: images.shape }; // the zoo's u8 / 255
    sums.push(classSums(await space.features(floats), images.labels, classes));
  }
  bar.done(`${usable.length} candidates`);
  const distance = Array.from({ length: classes }, (_, c) => sums.map((s) => frechetDistance(unionStatistics([s[c]]), unionStatistics([realSums[c]])).fid));
  const choice = ownBest(classes, usable.length, (c, k) => distance[c][k]);
  console.log(`\n${entry.name}, ${args.steps} steps; the policy's residual (the searched best): ${init.name}`);
  usable.forEach(({ schedule }, k) => console.log(`  candidate ${String(k).padStart(2)}  ${describeSchedule(schedule)}`));
  for (let c = 0; c < classes; c++)
    console.log(`  class ${c}: candidate ${choice[c]} (distance ${distance[c][choice[c]].toFixed(3)}; the best's ${distance[c][0].toFixed(3)})`);

  // 2b. Further rounds, class by class: the moves around the class's choice, on that class's images alone (as many
  // per candidate as round 1 had per class, on a fresh seed, the choice itself redrawn beside them); the nearest stays.
  const perClass = Math.ceil(args.n / classes);
  for (let round = 2; round <= args.rounds; round++) {
    const rng = new Random(args.seed + round - 1);
    const roundBar = new ProgressBar(`class choice ${entry.name} T=${args.steps}: round ${round}`, classes, "classes", true);
    let moved = 0;
    for (let c = 0; c < classes; c++) {
      const classSeed = rng.nextUint32();
      const labels = new Int32Array(perClass).fill(c);
      const realClass = unionStatistics([realSums[c]]);
      let [nearest, nearestDistance, currentDistance] = [usable[choice[c]].schedule, Infinity, Infinity];
      for (const schedule of oracleCandidates(usable[choice[c]].schedule, args.vary, [], opened.scheduleTimes)) {
        const isCurrent = schedule === usable[choice[c]].schedule;
        if (!isCurrent && !(await offsetsOf(schedule))) continue;
        let images;
        try {
          images = await generateImages(opened, { kind: "schedule", schedule }, perClass, classSeed, undefined, labels);
        } catch (err) {
          console.log(`skipped ${describeSchedule(schedule)}: ${(err as Error).message}`);
          continue;
        }
        const floats = { data: Float32Array.from(images.images, (v) => v / 255), shape: images.shape };
        const d = frechetDistance(unionStatistics(classSums(await space.features(floats), images.labels, classes).slice(c, c + 1)), realClass).fid;
        if (isCurrent) currentDistance = d;
        if (d < nearestDistance) [nearest, nearestDistance] = [schedule, d];
      }
      if (nearest !== usable[choice[c]].schedule) {
        const known = usable.findIndex(({ schedule }) => describeSchedule(schedule) === describeSchedule(nearest));
        choice[c] = known >= 0 ? known : usable.push({ schedule: nearest, ...(await offsetsOf(nearest))! }) - 1;
        moved++;
        console.log(`  round ${round}, class ${c}: candidate ${choice[c]} ${describeSchedule(nearest)} (distance ${nearestDistance.toFixed(3)}; its previous choice ${currentDistance.toFixed(3)})`);
      }
      roundBar.update(c + 1);
    }
    roundBar.done(`${moved} classes moved`);
    if (moved === 0) break;
  }

  // 3-4. The fit's data: every class's trajectories under its candidate's raw outputs.
  const env = base.env;
  const decoder = new ActionDecoder(env.actionSpec);
  const A = decoder.numKeys;
  const labels = Int32Array.from({ length: classes * args.fitN }, (_, i) => Math.floor(i / args.fitN));
  const data = await traceTargets(env, decoder, labels, args.fitSeed, (c, k) => usable[choice[c]].offsets[k]);

  // 5. The fit: mean squared error of the network's raw outputs.
  const [N, D] = env.featureShape;
  const actor = new PolicyNetwork(policyNetworkConfig({ tokens: N, featureDim: D, outputs: A }, PRESETS["cpu-small"].network), "actor");
  const optimizer = tf.train.adam(args.learningRate);
  const rng = new Random(args.fitSeed);
  const minibatch = 256;
  const fitBar = new ProgressBar(`class choice ${entry.name} T=${args.steps}: fit`, args.epochs, "epochs", true);
  let lastLoss = NaN;
  try {
    for (let epoch = 0; epoch < args.epochs; epoch++) {
      const order = rng.shuffle(Int32Array.from({ length: data.rows }, (_, i) => i)) as Int32Array;
      let sum = 0;
      for (let at = 0; at < data.rows; at += minibatch) {
        const rows = order.subarray(at, Math.min(at + minibatch, data.rows));
        const B = rows.length;
        const f = new Float32Array(B * N * D);
        const s = new Float32Array(B);
        const y = new Float32Array(B * A);
        rows.forEach((r, i) => {
          f.set(data.features.subarray(r * N * D, (r + 1) * N * D), i * N * D);
          s[i] = data.steps[r];
          y.set(data.targets.subarray(r * A, (r + 1) * A), i * A);
        });
        const loss = tf.tidy(() =>
          optimizer.minimize(() => tf.mean(tf.square(tf.sub(actor.apply(tf.tensor3d(f, [B, N, D]), s), tf.tensor2d(y, [B, A])))) as tf.Scalar, true, actor.variables) as tf.Scalar,
        );
        sum += (await loss.data())[0] * B;
        loss.dispose();
      }
      lastLoss = sum / data.rows;
      fitBar.update(epoch + 1, `loss ${lastLoss.toExponential(2)}`);
    }
  } finally {
    optimizer.dispose();
  }
  fitBar.done(`loss ${lastLoss.toExponential(2)}`);

  // The check: fresh trajectories, the policy as sampled; each class's mean and largest error against its candidate.
  const checkN = 50;
  const checkLabels = Int32Array.from({ length: classes * checkN }, (_, i) => Math.floor(i / checkN));
  const { actions } = await rollout(env, actor, decoder, checkLabels, args.fitSeed + 1);
  const wanted = usable.map(({ schedule }) => schedule);
  const errors: Record<string, number>[] = [];
  for (let c = 0; c < classes; c++) {
    const error: Record<string, number> = {};
    // The last decision's time is the data end whatever the policy says (docs/method.md §5.3), so it is not compared.
    decoder.spec.keys.forEach((key, j) => {
      let [sum, count, worst] = [0, 0, 0];
      for (let k = 1; k < env.horizon; k++) {
        if (key.name === "nextTime" && k === env.horizon - 1) continue;
        for (let b = c * checkN; b < (c + 1) * checkN; b++) {
          const e = Math.abs(actions[k][key.name][b] - usable[choice[c]].heuristic[k][j]);
          [sum, count, worst] = [sum + e, count + 1, Math.max(worst, e)];
        }
      }
      error[`${key.name} mean`] = sum / count;
      error[`${key.name} largest`] = worst;
    });
    errors.push(error);
    console.log(`  class ${c}: executed error ${Object.entries(error).map(([name, v]) => `${name} ${v.toFixed(4)}`).join(", ")}`);
  }
  mkdirSync(dirname(args.out), { recursive: true });
  await savePolicy(args.out, actor, env.actionSpec, {
    model: entry.name,
    steps: args.steps,
    iteration: 0,
    init,
    adaptive: true,
    classChoice: { space: args.space, n: args.n, seed: args.seed, candidates: wanted.map(describeSchedule), choice },
  });
  actor.dispose();
  console.log(`wrote ${args.out} (fit loss ${lastLoss.toExponential(3)} over ${data.rows} decisions)`);
  console.log(JSON.stringify({ model: entry.name, steps: args.steps, space: args.space, best: describeSchedule(best), candidates: wanted.map(describeSchedule), choice, distance, fitLoss: lastLoss, errors }));
} finally {
  await space?.dispose();
  await base.dispose();
  await opened.dispose();
}
