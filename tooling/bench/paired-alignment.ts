/**
 * Does the reward point where FID does *locally*, the way PPO uses it? Group-relative advantages compare explorations
 * of one (label, initial noise) that differ only by the action noise, so what PPO climbs is the sign of the reward's
 * paired difference between neighbouring schedules. This bench moves one knob of the starting schedule (the searched
 * best) at a time and, on the same seeds (same labels, same initial noise), measures
 *
 *   Δreward   per image, the discriminator's reward of the moved schedule minus that of the base schedule: mean, its
 *             standard error, and the share of images where it is positive (what group-relative advantages see);
 *   ΔFID      FID of the moved schedule minus the base's, both on the same seeds against the card's training
 *             statistics (the validation metric; the test statistics stay for compare).
 *
 * A reward aligned with FID gives Δreward > 0 where ΔFID < 0: Spearman rho(mean Δreward, −ΔFID) over the moves,
 * and the count of moves whose signs agree (moves whose Δreward is within 2 standard errors of 0 are counted apart).
 * The discriminator is the one a policy file carries (its run's, as PPO last saw it: `adagen train` writes it,
 * tooling/zoo/attach-scorers.ts added it to the older shipped files), or a run directory's as its checkpoint holds
 * it (run.json names the kind), so a variant's discriminator is screened without shipping its policy, or `fresh`: a
 * new discriminator of a chosen design warmed up on the base schedule's own images (seed 11, not the bench's seed)
 * against the card's training images, as `adagen train` warms one before its first iteration. The fresh judge
 * screens a design for what PPO would climb first, without a training run. Images are
 * scored as the trainer scores them, floats in [0, 1] (here from the uint8 images, at most 1/510 off per pixel).
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/paired-alignment.ts --model sit-tiny --steps 4
 *        [--judge PATH|fresh|influence]   a policy file or a run directory whose discriminator scores (default: the
 *                                   shipped policy M-T); influence: core's FrechetInfluenceReward in the --backbone's
 *                                   features (default packages/zoo/models/fmnist-vit-ssl.adagen), its running
 *                                   statistics from --influence-images (4000) base images (seeds 11, 12, …),
 *                                   class by class unless --unconditional; or fresh, shaped by the train flags below:
 *        [--discriminator projected|vit] [--d-loss logistic|hinge] [--augment none|translate-cutout]
 *        [--d-minibatch M] [--d-steps 200] [--d-lr 1e-3] [--batch 64]     (adagen train's flags and defaults,
 *                                   but --d-steps: warm-up steps of the fresh judge)
 *        [--negatives none|noise|sharpen|noise-sharpen] [--neg-sigma 0.1] [--neg-fraction 0.5]   extra fakes:
 *                                   fraction × batch training images with pixel noise of std up to sigma (core's
 *                                   noisedReals), over-sharpened (sharpenedReals, its default amount) or either
 *        [--lowpass K]              the judge reads K×K block means, in training and scoring (core's LowPassDiscriminator)
 *        [--d-fakes base|moves]     the fresh judge's fakes: the base schedule's images (default, as PPO's first
 *                                   iteration) or the base's and every move's in turn (as a judge that has already
 *                                   seen the policy wander there: does it then rank the moves the way FID does?)
 *        [--backbone FILE]          the projected judge's frozen body (default: the model card's; for example the
 *                                   self-supervised packages/zoo/models/fmnist-vit-ssl.adagen)
 *        [--fd-backbone FILE]       also each schedule's Fréchet distance in that feature space (core's
 *                                   openFeatureSpace: a ViT backbone .adagen, or an ONNX model's "features", or
 *                                   FILE.onnx#OUTPUT for another output, e.g. the fidelity classifier's logits) against 10,000 training
 *                                   images, unconditional and class-conditional (the mean over classes of each
 *                                   class's distance), each with its rho over the moves: does the backbone's
 *                                   feature space, seen as a whole distribution, rank the moves as FID does? Repeatable; with several,
 *                                   also the mean of their distances (what `adagen train --reward-backbone F1,F2,…`
 *                                   climbs) and its rho.
 *        [--policy FILE]            also a policy (a policy file or a run's checkpoint.adagen) as one more row,
 *                                   on the same seeds: what a training run did, in the same columns
 *        [--n 2000] [--seed 7919]   images per schedule and their seed (the validation seed by default)
 *        [--vary KEY:D1,D2,…]       a knob and its additive moves; repeatable. KEY: guidance, guidanceEnd, start,
 *                                   maskTemperature, sampleTemperature, topK, topP. Default: guidance:-0.5,-0.25,0.25,0.5 and
 *                                   start:-0.1,-0.05,0.05,0.1 where the base schedule sets them
 *   (or: pnpm -s bench:paired-alignment --model sit-tiny --steps 4)
 *
 * The first line echoes the command; the last is one JSON object with every row.
 */
import { readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import {
  AUGMENTS,
  AdversarialReward,
  DISCRIMINATOR_LOSSES,
  openFeatureSpace,
  LowPassDiscriminator,
  NEGATIVES,
  FrechetInfluenceReward,
  Random,
  disposePolicy,
  openPolicy,
  policyInitOf,
  Scorer,
  baselineFor,
  describeSchedule,
  discriminatorFor,
  discriminatorNegatives,
  generateImages,
  initTensorflow,
  makeDiscriminator,
  noisedReals,
  openModel,
  openPolicyReward,
  loadRealImages,
  readTensorFile,
  shippedPolicyPath,
  translateCutout,
  withNegatives,
  type AdaGenModel,
  type Augment,
  type DiscriminatorLoss,
  type Negatives,
  type OpenedGenerator,
  type DiscriminatorChoice,
  type RewardModel,
  type SampleSource,
  type ScheduleRequest,
} from "@adagen/core";
import { ProgressBar, featureStatistics, frechetDistance, readStatistics, spearman } from "@adagen/metrics";
import { policyFileOf } from "./checkpoint-policy.js";
import { zooModel } from "./zoo-model.js";
import { benchArgs } from "./bench-command.js";
import { movesAround, parseVary, type Vary } from "./moves.js";
import { backboneDistance, type BackboneDistance } from "./backbone-distance.js";


interface Args {
  model: string;
  steps: number;
  judge?: string;
  n: number;
  seed: number;
  fdBackbones: string[];
  /** A policy measured as one more row. */
  policy?: string;
  /** The influence judge: one statistic for all classes, and how many base images its running statistics hold. */
  unconditional: boolean;
  influenceImages: number;
  vary: Vary[];
  /** The fresh judge's design (adagen train's flags). */
  fresh: { discriminator?: string; loss: DiscriminatorLoss; augment: Augment; minibatch: number; dSteps: number; dLr: number; batch: number; negatives: Negatives; negSigma: number; negFraction: number; lowPass: number; backbone?: string; fakes: "base" | "moves" };
}

function parseArgs(argv: string[]): Args {
  const out: Args = {
    model: "dit-tiny",
    steps: 4,
    n: 2000,
    seed: 7919,
    fdBackbones: [],
    unconditional: false,
    influenceImages: 4000,
    vary: [],
    fresh: { loss: "logistic", augment: "none", minibatch: 0, dSteps: 200, dLr: 1e-3, batch: 64, negatives: "none", negSigma: 0.1, negFraction: 0.5, lowPass: 1, fakes: "base" },
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const num = Number(value);
    if (flag === "--model" && value) out.model = value;
    else if (flag === "--judge" && value) out.judge = value;
    else if (flag === "--steps" && Number.isInteger(num) && num >= 1) out.steps = num;
    else if (flag === "--n" && Number.isInteger(num) && num >= 2) out.n = num;
    else if (flag === "--seed" && Number.isInteger(num) && num >= 0 && num <= 0xffffffff) out.seed = num;
    else if (flag === "--discriminator" && (value === "projected" || value === "vit")) out.fresh.discriminator = value;
    else if (flag === "--d-loss" && (DISCRIMINATOR_LOSSES as readonly string[]).includes(value)) out.fresh.loss = value as DiscriminatorLoss;
    else if (flag === "--augment" && (AUGMENTS as readonly string[]).includes(value)) out.fresh.augment = value as Augment;
    else if (flag === "--d-minibatch" && Number.isInteger(num) && num >= 0) out.fresh.minibatch = num;
    else if (flag === "--d-steps" && Number.isInteger(num) && num >= 1) out.fresh.dSteps = num;
    else if (flag === "--batch" && Number.isInteger(num) && num >= 2) out.fresh.batch = num;
    else if (flag === "--d-lr" && num > 0) out.fresh.dLr = num;
    else if (flag === "--negatives" && (NEGATIVES as readonly string[]).includes(value)) out.fresh.negatives = value as Negatives;
    else if (flag === "--neg-sigma" && num > 0 && num <= 1) out.fresh.negSigma = num;
    else if (flag === "--neg-fraction" && num > 0 && num <= 4) out.fresh.negFraction = num;
    else if (flag === "--lowpass" && Number.isInteger(num) && num >= 1) out.fresh.lowPass = num;
    else if (flag === "--backbone" && value) out.fresh.backbone = value;
    else if (flag === "--d-fakes" && (value === "base" || value === "moves")) out.fresh.fakes = value;
    else if (flag === "--fd-backbone" && value) out.fdBackbones.push(value);
    else if (flag === "--policy" && value) out.policy = value;
    else if (flag === "--unconditional") (out.unconditional = true), i--;
    else if (flag === "--influence-images" && Number.isInteger(num) && num >= 2) out.influenceImages = num;
    else if (flag === "--vary" && value && value.includes(":")) out.vary.push(parseVary(value));
    else throw new Error(`unknown flag or bad value: ${flag} ${value ?? ""} (expected --model M, --steps T, --judge PATH|fresh, --n N ≥ 2, --seed S, --vary KEY:D1,D2, --discriminator projected|vit, --d-loss ${DISCRIMINATOR_LOSSES.join("|")}, --augment ${AUGMENTS.join("|")}, --d-minibatch M, --d-steps K, --d-lr X, --batch B, --negatives ${NEGATIVES.join("|")}, --neg-sigma S, --neg-fraction F, --lowpass K, --backbone FILE, --d-fakes base|moves, --fd-backbone FILE, --unconditional, --influence-images N, --policy FILE)`);
  }
  return out;
}

/** A discriminator as a reward, the run iteration it comes from (0 for a fresh one), and how to release it. */
interface Judge {
  reward: RewardModel;
  iteration: number;
  dispose(): void;
}

/** A run directory's discriminator as its checkpoint holds it (the choice from run.json, the card's backbone). */
async function runJudge(dir: string, model: AdaGenModel): Promise<Judge> {
  const choice = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")).discriminator as DiscriminatorChoice;
  if (choice.kind === "projected") {
    if (!model.card.discriminator?.backbone) throw new Error(`${dir}: a projected discriminator, and ${model.card.file} names no backbone`);
    choice.backbone = model.card.discriminator.backbone;
  }
  const checkpoint = await readTensorFile(join(dir, "checkpoint.adagen"));
  const prefix = "discriminator/";
  const discriminator = await makeDiscriminator(choice, 0);
  discriminator.params.import(Object.fromEntries(Object.entries(checkpoint.tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v])));
  const reward = new AdversarialReward(discriminator);
  return { reward, iteration: checkpoint.meta.iteration as number, dispose: () => (reward.dispose(), disposeDiscriminator(reward)) };
}

/** The discriminator owns its backbone (projected) or just its parameters (vit). */
function disposeDiscriminator(reward: AdversarialReward): void {
  const d = reward.discriminator as { dispose?: () => void; params: { dispose(): void } };
  if (d.dispose) d.dispose();
  else d.params.dispose();
}

/**
 * A new discriminator of the --discriminator/--d-loss/--augment/--d-minibatch design, trained for --d-steps steps of
 * --batch images of `fakeSchedules` (seeds 11, 12, …, class-balanced, generated once: max(8, schedules) batches,
 * batch i from schedule i mod count, reused in turn) vs --batch training images, one Random(5) stream for the reals,
 * the negatives and the augmentation.
 */
async function freshJudge(model: AdaGenModel, opened: OpenedGenerator, fakeSchedules: ScheduleRequest[], f: Args["fresh"]): Promise<Judge & { lastLoss: number }> {
  const choice = discriminatorFor(model.card, f.discriminator, f.minibatch);
  if (f.backbone) {
    if (choice.kind !== "projected") throw new Error(`--backbone needs the projected discriminator, not "${choice.kind}"`);
    choice.backbone = f.backbone;
  }
  const inner = await makeDiscriminator(choice, 0);
  const discriminator = f.lowPass > 1 ? new LowPassDiscriminator(inner, f.lowPass) : inner;
  const reward = new AdversarialReward(discriminator, { learningRate: f.dLr, loss: f.loss });
  const rng = new Random(5);
  const augment = f.augment === "translate-cutout" ? translateCutout() : undefined;
  const reals = loadRealImages(model.card);
  const pool = Math.max(8, fakeSchedules.length);
  const fakeLabels = Array.from({ length: pool }, (_, i) => Int32Array.from({ length: f.batch }, (_, j) => (i * f.batch + j) % opened.env.numClasses));
  const fakes = [];
  for (const [i, labels] of fakeLabels.entries()) fakes.push({ samples: await opened.sampleSchedule(fakeSchedules[i % fakeSchedules.length], labels, 11 + i), labels });
  let loss = NaN;
  for (let k = 0; k < f.dSteps; k++) {
    let real = await reals.sample(f.batch, rng);
    let fake = fakes[k % pool];
    if (f.negatives !== "none") {
      const clean = await reals.sample(Math.max(1, Math.round(f.negFraction * f.batch)), rng);
      const corrupt =
        f.negatives === "noise" ? noisedReals(clean.samples, rng, { sigmaMax: f.negSigma }) : discriminatorNegatives(f.negatives)!.corrupt(clean.samples, rng);
      fake = withNegatives(fake, { samples: corrupt, labels: clean.labels });
    }
    if (augment) {
      real = { samples: augment(real.samples, rng), labels: real.labels };
      fake = { samples: augment(fake.samples, rng), labels: fake.labels };
    }
    loss = (await reward.update(real, fake)).discriminatorLoss;
    process.stderr.write(`\rfresh judge: step ${k + 1}/${f.dSteps}, loss ${loss.toFixed(3)}`.padEnd(60));
  }
  process.stderr.write("\n");
  return { reward, iteration: 0, lastLoss: loss, dispose: () => (reward.dispose(), disposeDiscriminator(reward)) };
}

/** The influence reward, its running statistics holding `influenceImages` images of the base schedule. */
async function influenceJudge(model: AdaGenModel, opened: OpenedGenerator, base: ScheduleRequest, backbone: string, a: Args): Promise<Judge> {
  const reward = await FrechetInfluenceReward.create(await openFeatureSpace(backbone, model.card.image.shape), loadRealImages(model.card), opened.env.numClasses, {
    classConditional: !a.unconditional,
    horizon: Number.MAX_SAFE_INTEGER,
  });
  const batch = 250;
  for (let done = 0, i = 0; done < a.influenceImages; done += batch, i++) {
    const labels = Int32Array.from({ length: Math.min(batch, a.influenceImages - done) }, (_, j) => (done + j) % opened.env.numClasses);
    await reward.update({ samples: { data: new Float32Array(0), shape: [0] }, labels: new Int32Array(0) }, { samples: await opened.sampleSchedule(base, labels, 11 + i), labels });
    process.stderr.write(`\rinfluence judge: ${Math.min(done + batch, a.influenceImages)}/${a.influenceImages} base images`);
  }
  process.stderr.write("\n");
  return { reward, iteration: 0, dispose: () => void reward.dispose() };
}

const args = benchArgs(import.meta.url, parseArgs);
const entry = zooModel(args.model);
const fresh = args.judge === "fresh";
const judgePath = args.judge === undefined || args.judge === "influence" ? shippedPolicyPath(entry, args.steps) : args.judge;
const { schedule: base } = baselineFor(entry, args.steps);
const vary: Vary[] = args.vary.length
  ? args.vary
  : ([["guidance", [-0.5, -0.25, 0.25, 0.5]], ["start", [-0.1, -0.05, 0.05, 0.1]]] as ["guidance" | "start", number[]][]).filter(([k]) => base[k] !== undefined);

await initTensorflow();
// A policy's env must be opened with its starting schedule (its action table); fixed schedules do not use it.
const policyFile = args.policy ? (await policyFileOf(args.policy, entry.name, args.steps)).file : undefined;
const opened = await openModel(entry, args.steps, policyFile ? await policyInitOf(policyFile, entry, args.steps) : undefined);
const moves = movesAround(base, vary, opened.scheduleTimes);
const policySource = policyFile ? await openPolicy(policyFile, entry, args.steps, opened) : undefined;
const f = args.fresh;
const freshOne = fresh ? await freshJudge(entry, opened, f.fakes === "moves" ? [base, ...moves.map((m) => m.schedule)] : [base], f) : undefined;
const influence = args.judge === "influence" ? await influenceJudge(entry, opened, base, f.backbone ?? "packages/zoo/models/fmnist-vit-ssl.adagen", args) : undefined;
const judge: Judge = freshOne ?? influence ?? (statSync(judgePath).isDirectory() ? await runJudge(judgePath, entry) : await openPolicyReward(judgePath, entry));
const judgeName = influence
  ? `the Fréchet influence reward in ${f.backbone ?? "packages/zoo/models/fmnist-vit-ssl.adagen"}'s features (${args.unconditional ? "unconditional" : "class-conditional"}, statistics of ${args.influenceImages} base images)`
  : freshOne
  ? `a fresh ${discriminatorFor(entry.card, f.discriminator, f.minibatch).kind} discriminator (loss ${f.loss}, augment ${f.augment}, minibatch ${f.minibatch}, negatives ${f.negatives === "none" ? "none" : `${f.negatives}${f.negatives === "noise" ? ` ≤ ${f.negSigma}` : ""} × ${f.negFraction}`}, low-pass ${f.lowPass}, ${f.backbone ? `backbone ${f.backbone}, ` : ""}` +
    `lr ${f.dLr}) after ${f.dSteps} steps of ${f.batch} on ${f.fakes === "moves" ? "the base's and every move's images" : "the base schedule's images"} (last loss ${freshOne.lastLoss.toFixed(3)})`
  : `the discriminator of ${relative(process.cwd(), judgePath)} (iteration ${judge.iteration})`;
const scorer = await Scorer.create(entry.card, "train");
const trainStats = readStatistics(scorer.statsFile);
const fdJudges: BackboneDistance[] = [];
try {
  for (const file of args.fdBackbones) fdJudges.push(await backboneDistance(file, entry.card, opened.env.numClasses));
  const [H, W, C] = entry.card.image.shape;
  const bar = new ProgressBar(`paired ${entry.name} T=${args.steps}`, (moves.length + 1 + (policySource ? 1 : 0)) * args.n, "images", true);
  let done = 0;
  /** Images of one schedule on the bench's seed, their FID and each image's reward. */
  const measure = async (source: SampleSource) => {
    const images = await generateImages(opened, source, args.n, args.seed, (d) => bar.update(done + d));
    done += args.n;
    const split = frechetDistance(featureStatistics((await scorer.extract(images)).features), trainStats);
    const fid = split.fid;
    const floats = { data: Float32Array.from(images.images, (v) => v / 255), shape: images.shape as [number, number, number, number] };
    const backboneFd = [];
    for (const j of fdJudges) backboneFd.push(await j.distance(floats, images.labels));
    const rewards = new Float32Array(args.n);
    const chunk = 250;
    for (let s = 0; s < args.n; s += chunk) {
      const e = Math.min(args.n, s + chunk);
      const data = Float32Array.from(images.images.subarray(s * H * W * C, e * H * W * C), (v) => v / 255);
      rewards.set(await judge.reward.score({ data, shape: [e - s, H, W, C] }, images.labels.subarray(s, e)), s);
    }
    return { fid, split, backboneFd, rewards };
  };
  let reference: Awaited<ReturnType<typeof measure>>;
  try {
    reference = await measure({ kind: "schedule", schedule: base });
  } catch (err) {
    throw new Error(`the base schedule ${describeSchedule(base)}: ${(err as Error).message}`);
  }
  type Row = { move: string; schedule: string; fid: number; dFid: number; dMeanTerm: number; dCovarianceTerm: number; dBackboneFd: number[]; dBackboneConditional: number[]; dReward: number; se: number; positive: number };
  /** One sampler against the base on the same seeds. */
  const toRow = (move: string, schedule: string, r: Awaited<ReturnType<typeof measure>>): Row => {
    const d = Array.from(r.rewards, (v, i) => v - reference.rewards[i]);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / (d.length - 1));
    return {
      move,
      schedule,
      fid: r.fid,
      dFid: r.fid - reference.fid,
      dMeanTerm: r.split.meanTerm - reference.split.meanTerm,
      dCovarianceTerm: r.split.covarianceTerm - reference.split.covarianceTerm,
      dBackboneFd: r.backboneFd.map((x, i) => x.fid - reference.backboneFd[i].fid),
      dBackboneConditional: r.backboneFd.map((x, i) => x.conditional - reference.backboneFd[i].conditional),
      dReward: mean,
      se: sd / Math.sqrt(d.length),
      positive: d.filter((v) => v > 0).length / d.length,
    };
  };
  const rows: Row[] = [];
  for (const m of moves) {
    let r: Awaited<ReturnType<typeof measure>>;
    try {
      r = await measure({ kind: "schedule", schedule: m.schedule });
    } catch (err) {
      // A move past the knob's range (a start time outside the schedule's interval) is reported and skipped.
      console.log(`skipped ${m.key} ${m.delta > 0 ? "+" : ""}${m.delta}: ${(err as Error).message}`);
      continue;
    }
    rows.push(toRow(`${m.key} ${m.delta > 0 ? "+" : ""}${m.delta}`, describeSchedule(m.schedule), r));
  }
  // The policy is printed with the moves but kept out of their rank statistics.
  const policyRow = policySource ? toRow("policy", relative(process.cwd(), args.policy!), await measure(policySource)) : undefined;
  const printed = policyRow ? [...rows, policyRow] : rows;
  bar.done(`${rows.length + 1} schedules`);

  console.log(
    `\n${entry.name}, ${args.steps} steps; base: ${describeSchedule(base)} (FID ${reference.fid.toFixed(3)}, mean reward ${(reference.rewards.reduce((a, b) => a + b, 0) / args.n).toFixed(4)}); ` +
      `${judgeName}; ${args.n} images per schedule, seed ${args.seed}, training statistics`,
  );
  console.log("move".padEnd(20) + "FID".padStart(9) + "ΔFID".padStart(9) + "mean Δreward".padStart(14) + "± s.e.".padStart(9) + "P(Δr > 0)".padStart(11) + "  agrees");
  // Where FID's change comes from (its mean and covariance terms) and what each backbone's Fréchet distance says.
  console.log(
    `\nFID = ${reference.split.meanTerm.toFixed(3)} (mean term) + ${reference.split.covarianceTerm.toFixed(3)} (covariance term) at the base` +
      reference.backboneFd.map((d, i) => `; backbone ${i + 1} ${relative(process.cwd(), args.fdBackbones[i])}: FD ${d.fid.toFixed(4)} (${d.meanTerm.toFixed(4)} + ${d.covarianceTerm.toFixed(4)}), class-conditional ${d.conditional.toFixed(4)}`).join(""),
  );
  console.log("move".padEnd(20) + "ΔFID mean".padStart(11) + "ΔFID cov".padStart(10) + args.fdBackbones.map((_, i) => `ΔFD bb${i + 1}`.padStart(11) + `cond.`.padStart(9)).join(""));
  for (const r of printed)
    console.log(r.move.padEnd(20) + r.dMeanTerm.toFixed(3).padStart(11) + r.dCovarianceTerm.toFixed(3).padStart(10) + r.dBackboneFd.map((d, i) => d.toFixed(4).padStart(11) + r.dBackboneConditional[i].toFixed(3).padStart(9)).join(""));
  for (const [i, file] of args.fdBackbones.entries())
    if (rows.length >= 2)
      console.log(
        `backbone ${i + 1} (${relative(process.cwd(), file)}): Spearman rho(−ΔFD, −ΔFID) over ${rows.length} moves = ${spearman(rows.map((r) => -r.dBackboneFd[i]), rows.map((r) => -r.dFid)).toFixed(3)}; ` +
          `class-conditional ${spearman(rows.map((r) => -r.dBackboneConditional[i]), rows.map((r) => -r.dFid)).toFixed(3)}`,
      );
  // Several backbones: the mean of their distances, the quantity the influence reward over several spaces climbs
  // (adagen train --reward-backbone F1,F2,…), and how it ranks the moves.
  const ensemble = args.fdBackbones.length >= 2 ? rows.map((r) => r.dBackboneFd.reduce((a, b) => a + b, 0) / r.dBackboneFd.length) : undefined;
  if (ensemble) {
    console.log(`mean of the ${args.fdBackbones.length} backbones' ΔFD: ` + rows.map((r, i) => `${r.move} ${ensemble[i].toFixed(4)}`).join(", "));
    if (rows.length >= 2) console.log(`mean of the backbones: Spearman rho(−ΔFD, −ΔFID) over ${rows.length} moves = ${spearman(ensemble.map((d) => -d), rows.map((r) => -r.dFid)).toFixed(3)}`);
  }
  let agree = 0;
  let disagree = 0;
  for (const r of printed) {
    const resolved = Math.abs(r.dReward) > 2 * r.se;
    const verdict = !resolved ? "unresolved" : Math.sign(r.dReward) === -Math.sign(r.dFid) ? "yes" : "NO";
    if (verdict === "yes" && r !== policyRow) agree++;
    if (verdict === "NO" && r !== policyRow) disagree++;
    console.log(
      r.move.padEnd(20) + r.fid.toFixed(3).padStart(9) + r.dFid.toFixed(3).padStart(9) + r.dReward.toFixed(4).padStart(14) + r.se.toFixed(4).padStart(9) + r.positive.toFixed(3).padStart(11) + `  ${verdict}`,
    );
  }
  const rho = rows.length >= 2 ? spearman(rows.map((r) => r.dReward), rows.map((r) => -r.dFid)) : null;
  console.log(`Spearman rho(mean Δreward, −ΔFID) over ${rows.length} moves = ${rho === null ? "-" : rho.toFixed(3)}; signs agree on ${agree}, disagree on ${disagree}, ${rows.length - agree - disagree} within 2 s.e. of 0`);
  console.log(
    JSON.stringify({
      model: entry.name,
      steps: args.steps,
      judge: freshOne
        ? { fresh: f, lastLoss: freshOne.lastLoss }
        : influence
          ? { influence: { backbone: f.backbone ?? "packages/zoo/models/fmnist-vit-ssl.adagen", conditional: !args.unconditional, images: args.influenceImages } }
          : relative(process.cwd(), judgePath),
      judgeIteration: judge.iteration,
      n: args.n,
      seed: args.seed,
      base: describeSchedule(base),
      baseFid: reference.fid,
      rho,
      ...(ensemble ? { backboneMeanDFd: ensemble } : {}),
      agree,
      disagree,
      rows,
      ...(policyRow ? { policy: policyRow } : {}),
    }),
  );
} finally {
  judge.dispose();
  if (policySource) disposePolicy(policySource);
  for (const j of fdJudges) await j.dispose();
  await scorer.dispose();
  await opened.dispose();
}
