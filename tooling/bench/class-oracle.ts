/**
 * How much room is there for a sampler that adapts to its sample? An adaptive policy reads each sample's features,
 * and the first thing those features reveal is the sample's class. This bench measures what knowing the class alone
 * is worth: a class oracle that runs, for each class, its own fixed schedule, chosen from candidates around the
 * searched best. If the oracle does not beat the best fixed schedule on held-out seeds, a policy has to find its
 * gain in finer per-sample differences than the class; if it does, that gain is within a policy's reach.
 *
 * 1. Candidates: the searched best (the baselines file's winner), one-knob moves around it (`--vary`), and the
 *    grid's `--top` lowest-FID rows.
 * 2. Selection (validation seed, training statistics): `--n` class-balanced images of every candidate; the oracle's
 *    assignment (class → candidate) starts at the best for every class and is improved by coordinate descent on the
 *    FID of the union (one class at a time, every candidate tried, `--sweeps` passes or until nothing changes).
 *    The union's statistics come from per-class feature sums, so the descent needs no new images.
 * 3. Evaluation (held-out seeds, test statistics): for each `--eval-seeds` seed and each class, `--eval-n` images of
 *    that class from the best, from the selection seed's best single candidate, from the oracle's choice, and from the
 *    oracle's choice for the next class (the control "rotated": the same mix of schedules, blind to the class; if it
 *    gains as much, the gain is the mix's, not the class's), all on the same seeds (for the time-point samplers the
 *    same initial noise, so the rows are paired); FID of each row's union of all classes, and its ratio to the best.
 *
 * 4. `--select-space SPEC` (repeatable): two more oracles per feature space a reward may use (core's
 *    openFeatureSpace; never the FID extractor), selected on the same selection images by that space's Fréchet
 *    distance to 10,000 training images (Random(0), as the influence reward's data side): of the union ("SPEC
 *    union", the unconditional influence reward's objective) and the mean over classes of each class's own distance
 *    ("SPEC per class", the class-conditional one's; it separates, so each class simply takes its lowest). Held out
 *    they are scored by FID like the FID-selected oracle: does a policy that descends this space's distance have the
 *    class's gain within reach?
 *
 * The selection's in-sample gain is optimistic (the descent picks on the same images it scores; the best single
 * candidate on the selection seed is printed beside it for that reason); the held-out ratio is the figure.
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/class-oracle.ts --model dit-tiny --steps 4
 *        [--vary KEY:D1,D2,…]   additive one-knob moves around the best; repeatable. KEY: guidance, guidanceEnd,
 *                               start, maskTemperature, sampleTemperature, topK, topP, or timeI (time-point samplers:
 *                               interior time point I moved by a fraction of its gap, > 0 towards the noisier
 *                               neighbour; tooling/bench/moves.ts). Default: guidance:-0.5,-0.25,0.25,0.5
 *                               and guidanceEnd:-1,-0.5,0.5,1 where the best sets them
 *        [--top 6]              the grid's lowest-FID rows added as candidates (0: none)
 *        [--n 2000] [--seed 7919]          selection images per candidate and their seed
 *        [--eval-n 500] [--eval-seeds 0,1] evaluation images per class, and the seeds (one evaluation each)
 *        [--sweeps 2]           coordinate-descent passes over the classes
 *        [--select-space SPEC]  also select in this feature space (repeatable; e.g. packages/zoo/models/fmnist-fidelity.onnx)
 *   (or: pnpm -s bench:class-oracle --model dit-tiny --steps 4)
 *
 * The first line echoes the command; the last is one JSON object with every figure.
 */
import {
  Random,
  loadRealImages,
  openFeatureSpace,
  type FeatureSpace,
  describeSchedule,
  generateImages,
  type ScheduleRequest,
} from "@adagen/core";
import { ProgressBar, frechetDistance } from "@adagen/metrics";
import { benchArgs } from "./bench-command.js";
import { classSums, descendAssignment, ownBest, unionStatistics, type ClassSums } from "./class-union.js";
import { ORACLE_FLAGS, candidateImages, fidFeatures, fidOfParts, openOracleScorers, oracleSetup, readOracleFlag, type OracleArgs } from "./oracle-run.js";

interface Args extends OracleArgs {
  selectSpaces: string[];
}

function parseArgs(argv: string[]): Args {
  const out: Args = { model: "", steps: 0, vary: [], top: 6, n: 2000, seed: 7919, evalN: 500, evalSeeds: [0, 1], sweeps: 2, selectSpaces: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (readOracleFlag(out, flag, value)) continue;
    if (flag === "--select-space" && value) out.selectSpaces.push(value);
    else throw new Error(`unknown flag or bad value: ${flag} ${value ?? ""} (expected ${ORACLE_FLAGS}, --select-space SPEC)`);
  }
  if (!out.model || !out.steps) throw new Error("--model and --steps are required");
  return out;
}

const args = benchArgs(import.meta.url, parseArgs);
const { entry, opened, best, candidates } = await oracleSetup(args);

const classes = opened.env.numClasses;
const scorers = await openOracleScorers(entry);
const { select: selectScorer, evaluate: evalScorer, trainStats, testStats } = scorers;
const spaces: FeatureSpace[] = [];
try {
  for (const spec of args.selectSpaces) spaces.push(await openFeatureSpace(spec, entry.card.image.shape));
  // The data side of every selection space: 10,000 training images, as the influence reward's.
  const realSums: ClassSums[][] = [];
  if (spaces.length) {
    const real = await loadRealImages(entry.card).sample(10000, new Random(0));
    for (const space of spaces) realSums.push(classSums(await space.features(real.samples), real.labels, classes));
  }

  // 2. Selection: every candidate's images on the validation seed, kept as per-class sums.
  const selectBar = new ProgressBar(`class oracle ${entry.name} T=${args.steps}: selection`, candidates.length * args.n, "images", true);
  const sums: ClassSums[][] = [];
  const spaceSums: ClassSums[][][] = spaces.map(() => []); // [space][candidate][class]
  const usable: ScheduleRequest[] = [];
  for (const schedule of candidates) {
    const images = await candidateImages(opened, schedule, schedule === best, args.n, args.seed, (d) => selectBar.update(usable.length * args.n + d));
    if (!images) continue;
    sums.push(classSums(await fidFeatures(selectScorer, images), images.labels, classes));
    if (spaces.length) {
      const floats = { data: Float32Array.from(images.images, (v) => v / 255), shape: images.shape }; // the zoo's u8 / 255
      for (const [i, space] of spaces.entries()) spaceSums[i].push(classSums(await space.features(floats), images.labels, classes));
    }
    usable.push(schedule);
  }
  selectBar.done(`${usable.length} candidates`);
  const fidOf = (assignment: readonly number[]) => frechetDistance(unionStatistics(assignment.map((k, c) => sums[k][c])), trainStats).fid;
  const single = usable.map((_, k) => fidOf(Array(classes).fill(k)));
  const { assignment, cost: current } = descendAssignment(classes, usable.length, fidOf, args.sweeps);
  const bestSingle = single.indexOf(Math.min(...single));
  // 4. The same descent in each selection space: its union's distance, and (separable) each class's own distance.
  const spaceOracles: Record<string, number[]> = {};
  for (const [i, spec] of args.selectSpaces.entries()) {
    const realUnion = unionStatistics(realSums[i]);
    const unionOf = (assignment: readonly number[]) => frechetDistance(unionStatistics(assignment.map((k, c) => spaceSums[i][k][c])), realUnion).fid;
    spaceOracles[`${spec} union`] = descendAssignment(classes, usable.length, unionOf, args.sweeps).assignment;
    const own = Array.from({ length: classes }, (_, c) => {
      const realClass = unionStatistics([realSums[i][c]]);
      return usable.map((_, k) => frechetDistance(unionStatistics([spaceSums[i][k][c]]), realClass).fid);
    });
    spaceOracles[`${spec} per class`] = ownBest(classes, usable.length, (c, k) => own[c][k]);
  }

  // 3. Evaluation: each class from the best, from the selection seed's best single candidate, from the oracle's
  // choice, and from the oracle's choice of the next class (a control: the same schedules, blind to the class), on
  // the same held-out seeds; a class's draws of one candidate are shared between the rows that use it.
  const plans: Record<string, number[]> = {
    best: Array(classes).fill(0),
    bestSingle: Array(classes).fill(bestSingle),
    oracle: assignment,
    rotated: assignment.map((_, c) => assignment[(c + 1) % classes]),
    ...spaceOracles,
  };
  const rotatedInSample = fidOf(plans.rotated);
  const perClass = (c: number) => new Set(Object.values(plans).map((plan) => plan[c]));
  const evalImages = args.evalSeeds.length * args.evalN * Array.from({ length: classes }, (_, c) => perClass(c).size).reduce((a, b) => a + b, 0);
  const evalBar = new ProgressBar(`class oracle ${entry.name} T=${args.steps}: evaluation`, evalImages, "images", true);
  let done = 0;
  const evaluations: ({ seed: number } & Record<string, number>)[] = [];
  for (const seed of args.evalSeeds) {
    const rng = new Random(seed);
    const rows: Record<string, Float32Array[]> = Object.fromEntries(Object.keys(plans).map((name) => [name, []]));
    for (let c = 0; c < classes; c++) {
      const classSeed = rng.nextUint32();
      const labels = new Int32Array(args.evalN).fill(c);
      const drawn = new Map<number, Float32Array>();
      for (const k of perClass(c)) {
        const images = await generateImages(opened, { kind: "schedule", schedule: usable[k] }, args.evalN, classSeed, (d) => evalBar.update(done + d), labels);
        done += args.evalN;
        drawn.set(k, (await fidFeatures(evalScorer, images)).data);
      }
      for (const [name, plan] of Object.entries(plans)) rows[name].push(drawn.get(plan[c]) as Float32Array);
    }
    evaluations.push({ seed, ...Object.fromEntries(Object.entries(rows).map(([name, parts]) => [name, fidOfParts(parts, testStats)])) });
  }
  evalBar.done(`${args.evalSeeds.length} seeds`);

  console.log(`\n${entry.name}, ${args.steps} steps; the searched best: ${describeSchedule(best)}`);
  console.log(`selection: ${usable.length} candidates × ${args.n} images, seed ${args.seed}, training statistics`);
  usable.forEach((s, k) => console.log(`  ${String(k).padStart(2)}  FID ${single[k].toFixed(3)}  ${describeSchedule(s)}`));
  console.log(
    `in sample: class oracle FID ${current.toFixed(3)}, its schedules rotated by one class ${rotatedInSample.toFixed(3)}; the best ${single[0].toFixed(3)}, ` +
      `the best single candidate ${single[bestSingle].toFixed(3)} (candidate ${bestSingle})`,
  );
  for (let c = 0; c < classes; c++) console.log(`  class ${c}: candidate ${assignment[c]}${assignment[c] === 0 ? " (the best)" : `  ${describeSchedule(usable[assignment[c]])}`}`);
  for (const [name, plan] of Object.entries(spaceOracles))
    console.log(`selected by ${name}: candidates ${plan.join(" ")} for classes 0..${classes - 1}; in-sample FID ${fidOf(plan).toFixed(3)}`);
  console.log(`held out: ${args.evalN} images per class (${classes * args.evalN} per FID), test statistics; ratios to the best`);
  const ratio = (e: Record<string, number>, name: string) => e[name] / e.best;
  for (const e of evaluations)
    console.log(
      `  seed ${e.seed}: best ${e.best.toFixed(3)}; best single candidate ${e.bestSingle.toFixed(3)} (${ratio(e, "bestSingle").toFixed(4)}); ` +
        `class oracle ${e.oracle.toFixed(3)} (${ratio(e, "oracle").toFixed(4)}); rotated ${e.rotated.toFixed(3)} (${ratio(e, "rotated").toFixed(4)})` +
        Object.keys(spaceOracles).map((name) => `; selected by ${name} ${e[name].toFixed(3)} (${ratio(e, name).toFixed(4)})`).join(""),
    );
  const meanRatio = (name: string) => evaluations.reduce((a, e) => a + ratio(e, name), 0) / evaluations.length;
  console.log(
    `mean ratio to the best over ${evaluations.length} seeds: class oracle ${meanRatio("oracle").toFixed(4)}, rotated ${meanRatio("rotated").toFixed(4)}, best single candidate ${meanRatio("bestSingle").toFixed(4)}` +
      Object.keys(spaceOracles).map((name) => `, selected by ${name} ${meanRatio(name).toFixed(4)}`).join(""),
  );
  console.log(
    JSON.stringify({
      model: entry.name,
      steps: args.steps,
      best: describeSchedule(best),
      candidates: usable.map((s, k) => ({ schedule: describeSchedule(s), selectionFid: single[k] })),
      selection: { n: args.n, seed: args.seed, oracleFid: current, rotatedFid: rotatedInSample, bestFid: single[0], bestSingle },
      assignment,
      spaceAssignments: spaceOracles,
      evaluation: { perClass: args.evalN, seeds: evaluations, meanRatio: Object.fromEntries(Object.keys(plans).filter((name) => name !== "best").map((name) => [name, meanRatio(name)])) },
    }),
  );
} finally {
  for (const space of spaces) await space.dispose();
  await scorers.dispose();
  await opened.dispose();
}
