/**
 * Is there room finer than the class? bench:class-oracle showed that a sampler knowing only each image's class would
 * be 9-13 % better than the searched best on the time-point models, short of the issues' 4-step targets; a policy
 * would need per-sample adaptation beyond the class. This bench measures one such finer part: each class is split
 * into `--clusters` K clusters of what its image turns out to be, and each cluster gets its own fixed schedule
 * (generous about the information, which a policy only gathers along its trajectory; narrow about its use, one
 * partition of many).
 *
 * 1. Candidates: as bench:class-oracle (the searched best, one-knob moves `--vary`, the grid's `--top` rows).
 * 2. Clusters (validation seed): the best's `--n` class-balanced images, in `--cluster-space` (default the fidelity
 *    classifier's features; never the FID extractor), k-means per class (k-means++ start, Random(seed)). A sample's
 *    cluster is the nearest centroid of its class to the best's image from the same noise: an oracle's knowledge
 *    (the outcome), which a policy only approaches as its trajectory reveals the image. `--cluster-on first-look`
 *    clusters instead on what a policy sees at its first per-sample decision: the generator's features at the start
 *    state (decision 1; decision 0 only picks the start time), averaged over tokens.
 * 3. Selection (the same images of every candidate, training statistics): coordinate descent on the FID of the
 *    union, (a) over classes (the class oracle, for a paired comparison), (b) over the class × cluster groups (the
 *    cluster oracle), (c) over class × random groups of the same count (a control: as many free choices as (b), blind
 *    to the image; what it gains held out is not the clusters'), (d) over K random groups blind to the class too (the
 *    mixture: each sample draws one of K schedules at random, with weights the descent picks; what it gains is a
 *    mixture's, docs/method.md §14 item 23).
 * 4. Evaluation (held-out seeds, test statistics, `--eval-n` images per class): each sample takes its group's
 *    candidate; rows best, class oracle, cluster oracle, the cluster oracle rotated by one cluster within each class
 *    (the same schedules per class, given to the wrong clusters), the random-group oracle and the mixture. FID of
 *    each row's union, and its ratio to the best.
 *
 * Only the time-point samplers (diffusion, flow) are paired per sample: a seed gives every candidate the same
 * initial noise, so "the best's image from the same noise" names the same sample under every candidate. The token
 * samplers draw afresh at every step, so this bench refuses them.
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/cluster-oracle.ts --model dit-tiny --steps 4
 *        [--clusters 4]          clusters per class
 *        [--cluster-space SPEC]  default packages/zoo/models/fmnist-fidelity.onnx
 *        [--cluster-on outcome]  outcome (the best's image in the cluster space) or first-look (the policy's first view)
 *        [--vary KEY:D1,D2,…] [--top 4] [--n 5000] [--seed 7919] [--eval-n 500] [--eval-seeds 0,1] [--sweeps 2]
 *   (or: pnpm -s bench:cluster-oracle --model dit-tiny --steps 4)
 *
 * The first line echoes the command; the last is one JSON object with every figure.
 */
import {
  CHUNK,
  Random,
  openFeatureSpace,
  describeSchedule,
  generateImages,
  type GeneratedImages,
} from "@adagen/core";
import { ProgressBar, frechetDistance } from "@adagen/metrics";
import { benchArgs } from "./bench-command.js";
import { classSums, descendAssignment, unionStatistics, type ClassSums } from "./class-union.js";
import { kMeans, nearestCluster, type Clusters } from "./clusters.js";
import { ORACLE_FLAGS, candidateImages, fidFeatures, fidOfParts, isCount, openOracleScorers, oracleSetup, readOracleFlag, type OracleArgs } from "./oracle-run.js";
import { zooModel } from "./zoo-model.js";

interface Args extends OracleArgs {
  clusters: number;
  clusterSpace: string;
  clusterOn: "outcome" | "first-look";
}

function parseArgs(argv: string[]): Args {
  const out: Args = {
    model: "",
    steps: 0,
    clusters: 4,
    clusterSpace: "packages/zoo/models/fmnist-fidelity.onnx",
    clusterOn: "outcome",
    vary: [],
    top: 4,
    n: 5000,
    seed: 7919,
    evalN: 500,
    evalSeeds: [0, 1],
    sweeps: 2,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (readOracleFlag(out, flag, value)) continue;
    if (flag === "--clusters" && isCount(Number(value), 2)) out.clusters = Number(value);
    else if (flag === "--cluster-space" && value) out.clusterSpace = value;
    else if (flag === "--cluster-on" && (value === "outcome" || value === "first-look")) out.clusterOn = value;
    else throw new Error(`unknown flag or bad value: ${flag} ${value ?? ""} (expected ${ORACLE_FLAGS}, --clusters K ≥ 2, --cluster-space SPEC, --cluster-on outcome|first-look)`);
  }
  if (!out.model || !out.steps) throw new Error("--model and --steps are required");
  // Refused here, before any work, so that the error is one line.
  const { card } = zooModel(out.model);
  if (card.paradigm !== "diffusion" && card.paradigm !== "flow") throw new Error(`--model ${out.model} is a ${card.paradigm} model: its samples are not paired across schedules (diffusion and flow only)`);
  return out;
}

const args = benchArgs(import.meta.url, parseArgs);
const { entry, opened, best, candidates } = await oracleSetup(args);
const K = args.clusters;

const classes = opened.env.numClasses;
const scorers = await openOracleScorers(entry);
const { select: selectScorer, evaluate: evalScorer, trainStats, testStats } = scorers;
const space = await openFeatureSpace(args.clusterSpace, entry.card.image.shape);
/**
 * The policy's view at its first per-sample decision: decision 0 of a time-point sampler sees no features and picks
 * the start time (here the best's; its other outputs are unused), decision 1 sees the generator's features at the
 * start state, averaged here over tokens. Chunked and seeded as generateImages, so row r is the sample that
 * generateImages(…, labels, seed) draws as row r (the same initial noise; checked to the bit against a fixed
 * schedule's images).
 */
const firstLook = async (labels: Int32Array, seed: number): Promise<Float32Array> => {
  const env = opened.env;
  const startTime = opened.scheduleTimes(best)[0];
  const row = env.actionSpec.keys.map((key, j) => (key.name === "nextTime" ? startTime : env.actionSpec.heuristic[0][j]));
  const [tokens, dims] = env.featureShape;
  const out = new Float32Array(labels.length * dims);
  const rng = new Random(seed);
  for (let start = 0; start < labels.length; start += CHUNK) {
    const chunk = labels.slice(start, Math.min(labels.length, start + CHUNK));
    await env.reset(chunk, rng.nextUint32());
    await env.observe(); // decision 0 (all-zero features)
    await env.step(Object.fromEntries(env.actionSpec.keys.map((key, j) => [key.name, new Float32Array(chunk.length).fill(row[j])])));
    const { data } = (await env.observe()).features;
    for (let b = 0; b < chunk.length; b++)
      for (let t = 0; t < tokens; t++) for (let i = 0; i < dims; i++) out[(start + b) * dims + i] += data[(b * tokens + t) * dims + i] / tokens;
  }
  return out;
};
const clusterDims = args.clusterOn === "outcome" ? space.dims : opened.env.featureShape[1];
/** What a sample is clustered on: the best's image in the cluster space, or (first-look) the policy's first view. */
const clusterFeatures = async (images: GeneratedImages, labels: Int32Array, seed: number) =>
  args.clusterOn === "outcome" ? (await space.features({ data: Float32Array.from(images.images, (v) => v / 255), shape: images.shape })).data : firstLook(labels, seed); // the zoo's u8 / 255
/** The rows of `data` (`rows × dims`) listed in `rows`. */
const pick = (data: Float32Array, dims: number, rows: number[]) => {
  const out = new Float32Array(rows.length * dims);
  rows.forEach((r, i) => out.set(data.subarray(r * dims, (r + 1) * dims), i * dims));
  return out;
};
/** Each row's cluster within its class (`labels` class-sorted or not), by the class's centroids. */
const clusterOf = (features: Float32Array, labels: Int32Array, perClass: Clusters[]) => {
  const out = new Int32Array(labels.length);
  for (let c = 0; c < classes; c++) {
    const rows = [...labels.keys()].filter((r) => labels[r] === c);
    if (rows.length) nearestCluster(perClass[c], pick(features, clusterDims, rows)).forEach((j, i) => (out[rows[i]] = j));
  }
  return out;
};

try {
  // 2-3. Selection: the best's images define the clusters; every candidate's images are kept as per-group sums.
  const selectBar = new ProgressBar(`cluster oracle ${entry.name} T=${args.steps}: selection`, candidates.length * args.n, "images", true);
  const usable: typeof candidates = [];
  const sums = { byClass: [] as ClassSums[][], byCluster: [] as ClassSums[][], byRandom: [] as ClassSums[][], byMixture: [] as ClassSums[][] };
  let groups: { cluster: Int32Array; random: Int32Array; mixture: Int32Array } | undefined;
  let perClass: Clusters[] = [];
  const clusterRng = new Random(args.seed);
  for (const schedule of candidates) {
    const images = await candidateImages(opened, schedule, schedule === best, args.n, args.seed, (d) => selectBar.update(usable.length * args.n + d));
    if (!images) continue;
    if (!groups) {
      // The best comes first: its images fix the clusters and the random control's groups.
      const features = await clusterFeatures(images, images.labels, args.seed);
      const labels = images.labels;
      perClass = Array.from({ length: classes }, (_, c) => {
        const rows = [...labels.keys()].filter((r) => labels[r] === c);
        return kMeans(pick(features, clusterDims, rows), clusterDims, K, clusterRng);
      });
      const cluster = clusterOf(features, labels, perClass);
      const random = labels.map((c) => c * K + clusterRng.int(K));
      groups = { cluster: cluster.map((j, r) => labels[r] * K + j), random, mixture: labels.map(() => clusterRng.int(K)) };
    }
    const fid = await fidFeatures(selectScorer, images);
    sums.byClass.push(classSums(fid, images.labels, classes));
    sums.byCluster.push(classSums(fid, groups.cluster, classes * K));
    sums.byRandom.push(classSums(fid, groups.random, classes * K));
    sums.byMixture.push(classSums(fid, groups.mixture, K));
    usable.push(schedule);
  }
  selectBar.done(`${usable.length} candidates`);
  if (!groups) throw new Error("no candidate could be sampled");
  const clusterSizes = Array.from({ length: classes * K }, (_, g) => sums.byCluster[0][g].count);
  const fidOf = (parts: ClassSums[][]) => (assignment: readonly number[]) => frechetDistance(unionStatistics(assignment.map((k, g) => parts[k][g])), trainStats).fid;
  const byClass = descendAssignment(classes, usable.length, fidOf(sums.byClass), args.sweeps);
  const byCluster = descendAssignment(classes * K, usable.length, fidOf(sums.byCluster), args.sweeps);
  const byRandom = descendAssignment(classes * K, usable.length, fidOf(sums.byRandom), args.sweeps);
  const byMixture = descendAssignment(K, usable.length, fidOf(sums.byMixture), args.sweeps);
  const bestFid = fidOf(sums.byClass)(Array(classes).fill(0));

  // 4. Evaluation: per class, every candidate some row uses, on the same held-out noise; each sample takes its group's.
  const plans: Record<string, (c: number, j: number, random: number) => number> = {
    best: () => 0,
    classOracle: (c) => byClass.assignment[c],
    clusterOracle: (c, j) => byCluster.assignment[c * K + j],
    rotated: (c, j) => byCluster.assignment[c * K + ((j + 1) % K)],
    randomGroups: (c, _j, random) => byRandom.assignment[c * K + random],
    mixture: (_c, _j, random) => byMixture.assignment[random],
  };
  const used = (c: number) =>
    new Set([0, byClass.assignment[c], ...byMixture.assignment, ...Array.from({ length: K }, (_, j) => [byCluster.assignment[c * K + j], byRandom.assignment[c * K + j]]).flat()]);
  const evalImages = args.evalSeeds.length * args.evalN * Array.from({ length: classes }, (_, c) => used(c).size).reduce((a, b) => a + b, 0);
  const evalBar = new ProgressBar(`cluster oracle ${entry.name} T=${args.steps}: evaluation`, evalImages, "images", true);
  let done = 0;
  const dims = testStats.mu.length;
  const evaluations: ({ seed: number } & Record<string, number>)[] = [];
  for (const seed of args.evalSeeds) {
    const rng = new Random(seed);
    const rows: Record<string, Float32Array[]> = Object.fromEntries(Object.keys(plans).map((name) => [name, []]));
    for (let c = 0; c < classes; c++) {
      const classSeed = rng.nextUint32();
      const labels = new Int32Array(args.evalN).fill(c);
      const drawn = new Map<number, Float32Array>();
      let cluster: Int32Array | undefined;
      for (const k of used(c)) {
        const images = await generateImages(opened, { kind: "schedule", schedule: usable[k] }, args.evalN, classSeed, (d) => evalBar.update(done + d), labels);
        done += args.evalN;
        if (k === 0) cluster = clusterOf(await clusterFeatures(images, labels, classSeed), labels, perClass);
        drawn.set(k, (await fidFeatures(evalScorer, images)).data);
      }
      const random = Int32Array.from({ length: args.evalN }, () => rng.int(K));
      for (const [name, plan] of Object.entries(plans)) {
        const out = new Float32Array(args.evalN * dims);
        for (let r = 0; r < args.evalN; r++) {
          const source = drawn.get(plan(c, (cluster as Int32Array)[r], random[r])) as Float32Array;
          out.set(source.subarray(r * dims, (r + 1) * dims), r * dims);
        }
        rows[name].push(out);
      }
    }
    evaluations.push({ seed, ...Object.fromEntries(Object.entries(rows).map(([name, parts]) => [name, fidOfParts(parts, testStats)])) });
  }
  evalBar.done(`${args.evalSeeds.length} seeds`);

  console.log(`\n${entry.name}, ${args.steps} steps; the searched best: ${describeSchedule(best)}`);
  console.log(`selection: ${usable.length} candidates × ${args.n} images, seed ${args.seed}, training statistics; ${K} clusters per class in ${args.clusterOn === "outcome" ? args.clusterSpace : "the policy's first view"}`);
  usable.forEach((s, k) => console.log(`  ${String(k).padStart(2)}  FID ${fidOf(sums.byClass)(Array(classes).fill(k)).toFixed(3)}  ${describeSchedule(s)}`));
  for (let c = 0; c < classes; c++)
    console.log(
      `  class ${c}: class oracle ${byClass.assignment[c]}; clusters (images ${clusterSizes.slice(c * K, (c + 1) * K).join(" ")}) → ${byCluster.assignment.slice(c * K, (c + 1) * K).join(" ")}; random groups → ${byRandom.assignment.slice(c * K, (c + 1) * K).join(" ")}`,
    );
  console.log(`mixture (K groups blind to class and image) → ${byMixture.assignment.join(" ")}`);
  console.log(
    `in sample: best ${bestFid.toFixed(3)}, class oracle ${byClass.cost.toFixed(3)}, cluster oracle ${byCluster.cost.toFixed(3)}, random groups ${byRandom.cost.toFixed(3)}, mixture ${byMixture.cost.toFixed(3)}`,
  );
  console.log(`held out: ${args.evalN} images per class (${classes * args.evalN} per FID), test statistics; ratios to the best`);
  const names = Object.keys(plans).filter((name) => name !== "best");
  const ratio = (e: Record<string, number>, name: string) => e[name] / e.best;
  for (const e of evaluations) console.log(`  seed ${e.seed}: best ${e.best.toFixed(3)}` + names.map((name) => `; ${name} ${e[name].toFixed(3)} (${ratio(e, name).toFixed(4)})`).join(""));
  const meanRatio = (name: string) => evaluations.reduce((a, e) => a + ratio(e, name), 0) / evaluations.length;
  console.log(`mean ratio to the best over ${evaluations.length} seeds: ` + names.map((name) => `${name} ${meanRatio(name).toFixed(4)}`).join(", "));
  console.log(
    JSON.stringify({
      model: entry.name,
      steps: args.steps,
      clusters: K,
      clusterOn: args.clusterOn === "outcome" ? args.clusterSpace : "first-look",
      best: describeSchedule(best),
      candidates: usable.map((s) => describeSchedule(s)),
      selection: { n: args.n, seed: args.seed, bestFid, classOracle: byClass, clusterOracle: byCluster, randomGroups: byRandom, mixture: byMixture, clusterSizes },
      evaluation: { perClass: args.evalN, seeds: evaluations, meanRatio: Object.fromEntries(names.map((name) => [name, meanRatio(name)])) },
    }),
  );
} finally {
  await space.dispose();
  await scorers.dispose();
  await opened.dispose();
}
