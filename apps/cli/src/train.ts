/**
 * `adagen train`: AdaGen training (docs/method.md §10) of one model at one step count, resumable.
 *
 * A run directory holds:
 *   run.json          what was trained (model, steps, batch, trajectories, seed, sizes), written once
 *   checkpoint.adagen everything to resume exactly (core's AdaGenTrainer.save), rewritten atomically every iteration
 *   metrics.jsonl     one JSON line of core's IterationMetrics per iteration
 *   policy.adagen     the deterministic policy (exportPolicy, with model, steps and adaptive in its info), at the end
 * With --non-adaptive (paper Table XI, "learnable vs adaptive") the policy and critic read core's `nonAdaptive` env:
 * constant features (the generator's replaced), so the policy learns one schedule (the step index only) shared by all
 * samples, with the same reward and recipe; its file says `adaptive: false` and sample/compare run it the same way.
 * The checkpoint is first written at iteration 0; each iteration then appends its metrics line and replaces the
 * checkpoint, so a run killed at any point resumes from the last checkpoint; lines past it are dropped on resume and
 * redone.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { appendFile, mkdir } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import {
  AdaGenTrainer,
  AdversarialReward,
  ProjectedDiscriminator,
  type Discriminator,
  ViTDiscriminator,
  initTensorflow,
  isNonAdaptive,
  translateCutout,
  nonAdaptive,
  readTensorFile,
  writeTensorFile,
  type IterationMetrics,
  type PolicyNetworkConfig,
} from "@adagen/core";
import { writeFileAtomic } from "@adagen/metrics";
import { zooPath } from "@adagen/zoo";
import { Flags } from "./args.js";
import { bestBaseline, describeSchedule } from "./baselines.js";
import { UsageError, getModel, openModel, type ModelEntry, type OpenedModel, type PolicyInit } from "./models.js";
import { generateImages } from "./generate.js";
import { ProgressBar, formatDuration } from "./progress.js";
import { loadReals } from "./reals.js";
import { Scorer, displayPath, type Scores } from "./scoring.js";

/**
 * Policy and critic size on the 49×128 features: about 28k parameters each. Sized for the policy's share of
 * sampling time (pnpm bench:policy-share, goal ≤ 2 %): the token embedding runs on all 49 tokens, so its width
 * dominates the cost. Forward at batch 256 on the wasm backend, measured quietly: width 32 took 19 ms per decision
 * (4-6 % of a dit-tiny rollout), width 16 7.7 ms, width 8 4.4 ms. Tokens are mixed down to ceil(N/4) (13 for 49), the
 * network default, so other feature shapes size themselves.
 */
export const POLICY_NETWORK: Partial<PolicyNetworkConfig> = { hidden: 8, channels: 8, mlp: [128, 64], stepFeatures: 64 };
/**
 * The discriminators `--discriminator` chooses from, sized by the card's images and classes:
 * - projected (the default when the card names `discriminator.backbone`): core's ProjectedDiscriminator, trainable
 *   heads on that frozen pretrained ViT body (the zoo's: models/fmnist-vit.adagen,
 *   tooling/zoo/pretrain-vit-backbone.ts), the paper's design (docs/method.md §9.1);
 * - vit (the default otherwise): core's ViTDiscriminator (patch 4, or the largest side divisor ≤ 8, width 64,
 *   depth 2, 4 heads) trained from scratch.
 */
export const DISCRIMINATORS = ["projected", "vit"] as const;
export type DiscriminatorChoice =
  | { kind: "projected"; backbone: string; numClasses: number; hidden: number; cmapDim: number }
  | { kind: "vit"; height: number; width: number; channels: number; numClasses: number; patch: number; dim: number; depth: number; heads: number };

/** The patch side of the from-scratch ViT: 4 when it divides both sides, else the largest common divisor ≤ 8. */
function vitPatch(height: number, width: number): number {
  if (height % 4 === 0 && width % 4 === 0) return 4;
  for (let p = 8; p > 1; p--) if (height % p === 0 && width % p === 0) return p;
  return 1;
}

/** `--discriminator NAME` for a card (no name: projected when the card has a backbone, vit otherwise). */
export function discriminatorFor(entry: ModelEntry, name: string | undefined): DiscriminatorChoice {
  const { card } = entry;
  const kind = name ?? (card.discriminator ? "projected" : "vit");
  if (kind === "projected") {
    if (!card.discriminator) throw new UsageError(`--discriminator projected needs a backbone: ${card.file} has no "discriminator.backbone"`);
    return { kind, backbone: card.discriminator.backbone, numClasses: card.classes.count, hidden: 64, cmapDim: 32 };
  }
  if (kind === "vit") {
    const [height, width, channels] = card.image.shape;
    return { kind, height, width, channels, numClasses: card.classes.count, patch: vitPatch(height, width), dim: 64, depth: 2, heads: 4 };
  }
  throw new UsageError(`--discriminator ${kind} is not one of ${DISCRIMINATORS.join(", ")}`);
}

export async function makeDiscriminator(choice: DiscriminatorChoice, seed: number): Promise<Discriminator> {
  if (choice.kind === "vit") {
    const { kind: _kind, ...config } = choice;
    return new ViTDiscriminator({ ...config, seed });
  }
  // Runs recorded before model cards name the zoo's backbone relative to the zoo package.
  const file = isAbsolute(choice.backbone) ? choice.backbone : zooPath(choice.backbone);
  if (!existsSync(file)) throw new UsageError(`${file}: the discriminator's backbone is missing (see packages/zoo/README.md)`);
  return ProjectedDiscriminator.load(file, { numClasses: choice.numClasses, hidden: choice.hidden, cmapDim: choice.cmapDim, seed });
}
export const TRAIN_DEFAULTS = { iterations: 100, batch: 64, trajectories: 256, seed: 0 } as const;

/**
 * The learning recipe for a run of minutes on this machine rather than the paper's 1000 iterations × 4096
 * trajectories on 8 GPUs (docs/method.md §10): larger learning rates, a discriminator warmed up on the heuristic's samples
 * before the first reward, and the rollout images reused as its fakes (half the generator calls).
 */
export interface Recipe {
  /** Adam lr of policy + critic (paper 1e-5). */
  learningRate: number;
  /** Exploration std on raw outputs (paper 0.6, decayed to 0.3 halfway through 1000 iterations; 0.6 overshot here). */
  explorationStd: number;
  /** Explorations per (label, initial noise); > 1 gives group-relative advantages (AdaGenTrainer.groupSize). */
  groupSize: number;
  /** PPO epochs and minibatches per epoch over the buffer (paper 5 × 1). */
  epochs: number;
  minibatches: number;
  /** Adam lr of the discriminator (paper 1e-4). */
  discriminatorLearningRate: number;
  discriminatorSteps: number;
  discriminatorWarmup: number;
  discriminatorFakes: "fresh" | "rollout";
  /**
   * Augmentation of the discriminator's real and fake batches alike: "none" or "translate-cutout" (DiffAugment's
   * translation 1/8 + cutout 1/2, core's translateCutout). Real images are shown clean: every sampler lands on the
   * data end.
   */
  augment: Augment;
}

export const AUGMENTS = ["none", "translate-cutout"] as const;
export type Augment = (typeof AUGMENTS)[number];

export const DEFAULT_RECIPE: Readonly<Recipe> = Object.freeze({
  learningRate: 1e-4,
  explorationStd: 0.3,
  groupSize: 4,
  epochs: 4,
  minibatches: 4,
  discriminatorLearningRate: 1e-3,
  discriminatorSteps: 8,
  discriminatorWarmup: 100,
  discriminatorFakes: "rollout",
  augment: "none",
});

/** Policy selection (AdaNAT keeps its best-FID policy): FID of the deterministic policy on held-out seeds. */
export interface Validation {
  /** Iterations between evaluations; 0 turns selection off (policy.adagen is then the last policy). */
  every: number;
  /** Samples per evaluation. */
  n: number;
  /** Sampling seed of the evaluations, away from compare's default 0. */
  seed: number;
}

export const DEFAULT_VALIDATION: Readonly<Validation> = Object.freeze({ every: 5, n: 1000, seed: 7919 });

const RUN_FORMAT = "adagen-run";

type ValidationScore = Scores;

/**
 * `--init heuristic`: the paper's heuristic (docs/method.md §4.3). `--init best` (default): the searched best baseline
 * for this step count (packages/zoo/baselines.json), so training starts from the strongest fixed sampler; the
 * heuristic when none was searched.
 */
async function policyInit(entry: ModelEntry, steps: number, name: string): Promise<PolicyInit> {
  if (name !== "heuristic" && name !== "best") throw new UsageError(`--init ${name} is not one of heuristic, best`);
  const best = name === "best" ? bestBaseline(entry, steps) : undefined;
  const model = await openModel(entry, steps);
  try {
    if (!best) {
      const spec = model.env.actionSpec;
      const t = spec.keys.findIndex((k) => k.name === "nextTime");
      return { name: "heuristic", times: spec.heuristic.map((row) => row[t]), guidance: entry.guidance };
    }
    return { name: `best: ${describeSchedule(best.best.schedule)}`, times: Array.from(model.scheduleTimes(best.best.schedule)), guidance: best.best.schedule.guidance };
  } finally {
    await model.dispose();
  }
}

function augmentFlag(name: string | undefined): Augment | undefined {
  if (name !== undefined && !(AUGMENTS as readonly string[]).includes(name))
    throw new UsageError(`--augment ${name} is not one of ${AUGMENTS.join(", ")}`);
  return name as Augment | undefined;
}

/** Drops undefined values, so flags not given leave the defaults alone. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The best validation score recorded in a run's metrics (for resuming selection). */
function readBest(metricsFile: string): (ValidationScore & { iteration: number }) | undefined {
  if (!existsSync(metricsFile)) return undefined;
  let best: (ValidationScore & { iteration: number }) | undefined;
  for (const line of readFileSync(metricsFile, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const m = JSON.parse(line) as { iteration: number; validation?: ValidationScore };
    if (m.validation && (!best || m.validation.fid < best.fid)) best = { ...m.validation, iteration: m.iteration };
  }
  return best;
}

/** Scores the deterministic policy on fixed seeds against the training statistics and keeps the best in a file. */
class Validator {
  private constructor(
    private readonly config: Validation,
    private readonly model: OpenedModel,
    private readonly scorer: Scorer,
    private readonly bestFile: string,
    public best: (ValidationScore & { iteration: number }) | undefined,
  ) {}

  static async open(
    config: Validation,
    entry: ModelEntry,
    model: OpenedModel,
    bestFile: string,
    best: (ValidationScore & { iteration: number }) | undefined,
  ): Promise<Validator> {
    return new Validator(config, model, await Scorer.create(entry.card, "train"), bestFile, best && existsSync(bestFile) ? best : undefined);
  }

  /** The statistics the validation scores against, as a report names them. */
  get reference(): string {
    return displayPath(this.scorer.statsFile);
  }

  async evaluate(trainer: AdaGenTrainer, info: Record<string, unknown>): Promise<ValidationScore> {
    // The trainer's env is the nonAdaptive view for a --non-adaptive run: validate the policy on what it reads.
    const adaptive = !isNonAdaptive(trainer.env);
    const source = { kind: "policy", actor: trainer.actor, actionSpec: this.model.env.actionSpec, path: "(training)", adaptive } as const;
    const score = await this.scorer.score(await generateImages(this.model, source, this.config.n, this.config.seed));
    if (!this.best || score.fid < this.best.fid) {
      await trainer.exportPolicy(this.bestFile, { ...info, validationFid: score.fid });
      this.best = { ...score, iteration: trainer.iteration };
    }
    return score;
  }

  dispose(): Promise<void> {
    return this.scorer.dispose();
  }
}

interface RunInfo {
  format: typeof RUN_FORMAT;
  model: string;
  steps: number;
  batch: number;
  trajectories: number;
  seed: number;
  network: Partial<PolicyNetworkConfig>;
  /** The schedule the untrained policy reproduces. */
  init: PolicyInit;
  discriminator: DiscriminatorChoice;
  recipe: Recipe;
  validation: Validation;
  /**
   * false with --non-adaptive: one schedule shared by all samples (the policy sees the step index only). Absent in
   * runs written before the flag existed: adaptive.
   */
  adaptive?: boolean;
}

export interface TrainResult {
  dir: string;
  policy: string;
  iteration: number;
  /** The iteration whose policy policy.adagen holds (the best validation FID, or the last). */
  selectedIteration: number;
  bestValidation?: ValidationScore & { iteration: number };
  /** The schedule the untrained policy reproduced. */
  init: PolicyInit;
  /** False for a --non-adaptive run (one shared schedule). */
  adaptive: boolean;
  resumedFrom?: number;
  last?: IterationMetrics;
}

function readRunInfo(dir: string): RunInfo {
  const file = join(dir, "run.json");
  if (!existsSync(file)) throw new UsageError(`${file}: missing; ${dir} was not written by adagen train`);
  let info: RunInfo;
  try {
    info = JSON.parse(readFileSync(file, "utf8")) as RunInfo;
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (info.format !== RUN_FORMAT) throw new UsageError(`${file}: not an adagen run (format ${String(info.format)})`);
  if (!info.recipe || !info.validation) throw new UsageError(`${file}: written by an older adagen (no recipe); start a new run`);
  if ("noisyReals" in info.recipe)
    throw new UsageError(`${file}: written by an older adagen whose samplers stopped short of the data end; start a new run`);
  return info;
}

/** Keeps the metrics lines of iterations 1..iteration (a line written after the last checkpoint is redone). */
function truncateMetrics(file: string, iteration: number): void {
  if (!existsSync(file)) return;
  const kept: string[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      if ((JSON.parse(line) as IterationMetrics).iteration <= iteration) kept.push(line);
    } catch {
      // a torn last line from a killed run
    }
  }
  writeFileAtomic(file, Buffer.from(kept.map((l) => `${l}\n`).join(""), "utf8"));
}

export async function train(flags: Flags, quiet: boolean): Promise<TrainResult> {
  const entry = getModel(flags.require("model", flags.string, "train"));
  const steps = flags.require("steps", flags.number, "train");
  const iterations = flags.number("iterations") ?? TRAIN_DEFAULTS.iterations;
  const resume = flags.bool("resume");
  const shared = flags.bool("non-adaptive");
  const dir = flags.string("out") ?? join("runs", `${entry.name}-${steps}${shared ? "-shared" : ""}`);
  const checkpoint = join(dir, "checkpoint.adagen");
  const metricsFile = join(dir, "metrics.jsonl");
  const policyFile = join(dir, "policy.adagen");
  const bestFile = join(dir, "best.adagen");
  const runFile = join(dir, "run.json");

  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} is a file, not a directory`);
  let info: RunInfo;
  if (resume) {
    if (!existsSync(checkpoint)) throw new UsageError(`${checkpoint}: no checkpoint to resume; start the run without --resume`);
    info = readRunInfo(dir);
    if (info.model !== entry.name || info.steps !== steps)
      throw new UsageError(`${dir} was trained for ${info.model} at ${info.steps} steps, not ${entry.name} at ${steps}`);
    for (const k of ["batch", "trajectories", "seed"] as const) {
      const v = flags.number(k);
      if (v !== undefined && v !== info[k]) throw new UsageError(`--${k} ${v} differs from the run's ${info[k]}; a resumed run keeps its settings`);
    }
    for (const k of ["init", "discriminator", "lr", "std", "group", "d-lr", "d-steps", "d-warmup", "augment", "eval-every", "eval-n"])
      if (flags.has(k)) throw new UsageError(`--${k} cannot change on --resume; a resumed run keeps the settings in ${join(dir, "run.json")}`);
    if (shared && info.adaptive !== false)
      throw new UsageError(`--non-adaptive differs from the run's adaptive policy; a resumed run keeps the settings in ${join(dir, "run.json")}`);
  } else {
    // run.json alone (a run that failed before its first checkpoint) is not a run worth keeping.
    const existing = ["checkpoint.adagen", "metrics.jsonl", "policy.adagen"].filter((f) => existsSync(join(dir, f)));
    if (existing.length > 0)
      throw new UsageError(`${dir} already holds a run (${existing.join(", ")}); pass --resume to continue it, or choose another --out`);
    info = {
      format: RUN_FORMAT,
      model: entry.name,
      steps,
      batch: flags.number("batch") ?? TRAIN_DEFAULTS.batch,
      trajectories: flags.number("trajectories") ?? TRAIN_DEFAULTS.trajectories,
      seed: flags.number("seed") ?? TRAIN_DEFAULTS.seed,
      network: POLICY_NETWORK,
      init: await policyInit(entry, steps, flags.string("init") ?? "best"),
      discriminator: discriminatorFor(entry, flags.string("discriminator")),
      recipe: {
        ...DEFAULT_RECIPE,
        ...defined({
          learningRate: flags.number("lr"),
          explorationStd: flags.number("std"),
          groupSize: flags.number("group"),
          discriminatorLearningRate: flags.number("d-lr"),
          discriminatorSteps: flags.number("d-steps"),
          discriminatorWarmup: flags.number("d-warmup"),
          augment: augmentFlag(flags.string("augment")),
        }),
      },
      validation: { ...DEFAULT_VALIDATION, ...defined({ every: flags.number("eval-every"), n: flags.number("eval-n") }) },
      adaptive: !shared,
    };
  }
  const adaptive = info.adaptive !== false;

  await initTensorflow();
  const model: OpenedModel = await openModel(entry, steps, info.init);
  let trainer: AdaGenTrainer | undefined;
  let discriminator: Discriminator | undefined;
  try {
    const { recipe } = info;
    discriminator = await makeDiscriminator(info.discriminator, info.seed);
    const reward = new AdversarialReward(discriminator, {
      learningRate: recipe.discriminatorLearningRate,
    });
    trainer = new AdaGenTrainer({
      env: adaptive ? model.env : nonAdaptive(model.env),
      reward,
      realData: loadReals(entry.card),
      network: info.network,
      ppo: {
        learningRate: recipe.learningRate,
        explorationStd: recipe.explorationStd,
        stdDecayAt: [],
        epochs: recipe.epochs,
        minibatches: recipe.minibatches,
      },
      groupSize: recipe.groupSize,
      batchSize: info.batch,
      trajectoriesPerIteration: info.trajectories,
      discriminatorSteps: recipe.discriminatorSteps,
      discriminatorWarmup: recipe.discriminatorWarmup,
      discriminatorFakes: recipe.discriminatorFakes,
      discriminatorAugment: recipe.augment === "translate-cutout" ? translateCutout() : undefined,
      discriminatorBatch: info.batch,
      seed: info.seed,
    });

    let resumedFrom: number | undefined;
    if (resume) {
      let meta: Record<string, unknown>;
      try {
        meta = (await readTensorFile(checkpoint)).meta;
      } catch (err) {
        throw new UsageError(`${checkpoint}: ${(err as Error).message}`);
      }
      if (JSON.stringify(meta.actionSpec) !== JSON.stringify(model.env.actionSpec))
        throw new UsageError(`${checkpoint}: its action spec does not match ${entry.name} at ${steps} steps`);
      try {
        await trainer.load(checkpoint);
      } catch (err) {
        throw new UsageError(`${checkpoint}: cannot restore (${(err as Error).message})`);
      }
      resumedFrom = trainer.iteration;
      truncateMetrics(metricsFile, trainer.iteration);
    } else {
      try {
        await mkdir(dir, { recursive: true });
        writeFileAtomic(runFile, Buffer.from(JSON.stringify(info, null, 2) + "\n", "utf8"));
      } catch (err) {
        throw new UsageError(`${dir}: cannot write the run (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      // Iteration 0, so a run stopped during its first iteration can still be resumed.
      await trainer.save(checkpoint);
    }

    const startIteration = trainer.iteration;
    const bar = new ProgressBar(`train ${entry.name} T=${steps}`, iterations, "iterations", !quiet);
    if (!quiet)
      process.stderr.write(
        `${resume ? `resuming ${dir} at iteration ${startIteration}` : `training into ${dir}`}: ` +
          `${adaptive ? "" : "non-adaptive (one schedule shared by all samples, step index only), "}policy ${trainer.actor.parameterCount} parameters, ` +
          `${info.trajectories} trajectories per iteration in batches of ${info.batch}` +
          (info.validation.every > 0 ? `; validation FID on ${info.validation.n} samples every ${info.validation.every} iterations\n` : "\n"),
      );
    const validation = info.validation.every > 0 ? await Validator.open(info.validation, entry, model, bestFile, readBest(metricsFile)) : undefined;
    const policyInfo = () => ({
      model: entry.name,
      steps,
      iteration: trainer!.iteration,
      batch: info.batch,
      trajectories: info.trajectories,
      seed: info.seed,
      init: info.init,
      adaptive,
    });
    let last: IterationMetrics | undefined;
    const started = performance.now();
    try {
      if (validation && !resume) {
        const v = await validation.evaluate(trainer, policyInfo());
        await appendFile(metricsFile, JSON.stringify({ iteration: 0, validation: v }) + "\n");
        bar.line(0, `validation FID ${v.fid.toFixed(2)} (the starting schedule, ${info.init.name})`);
      }
      while (trainer.iteration < iterations) {
        const m: IterationMetrics & { validation?: ValidationScore } = await trainer.step();
        if (validation && (trainer.iteration % info.validation.every === 0 || trainer.iteration === iterations))
          m.validation = await validation.evaluate(trainer, policyInfo());
        await appendFile(metricsFile, JSON.stringify(m) + "\n");
        await trainer.save(checkpoint);
        last = m;
        const perIteration = (performance.now() - started) / 1000 / (trainer.iteration - startIteration);
        const dLoss = m.discriminator?.discriminatorLoss;
        const best = validation?.best;
        bar.line(
          trainer.iteration,
          `reward ${m.rewardMean.toFixed(4)} ± ${m.rewardStd.toFixed(4)} | D loss ${dLoss === undefined ? "-" : dLoss.toFixed(4)}` +
            (m.validation ? ` | val FID ${m.validation.fid.toFixed(2)}` : "") +
            (best ? ` (best ${best.fid.toFixed(2)} @ ${best.iteration})` : "") +
            ` | ${perIteration.toFixed(1)} s/it | ETA ${formatDuration(perIteration * (iterations - trainer.iteration))}`,
        );
      }
    } catch (err) {
      bar.abort();
      throw err;
    } finally {
      await validation?.dispose();
    }
    let selected = trainer.iteration;
    if (validation?.best) {
      // The best validation policy (possibly the heuristic at iteration 0) is the run's policy.
      const { meta, tensors } = await readTensorFile(bestFile);
      await writeTensorFile(policyFile, { meta: { ...meta, selectedBy: `validation FID (${info.validation.n} samples, seed ${info.validation.seed}, vs ${validation.reference})` }, tensors });
      selected = validation.best.iteration;
    } else {
      await trainer.exportPolicy(policyFile, policyInfo());
    }
    bar.done(`iteration ${trainer.iteration}, policy of iteration ${selected} written to ${policyFile}`);
    return {
      dir,
      policy: policyFile,
      iteration: trainer.iteration,
      selectedIteration: selected,
      bestValidation: validation?.best,
      init: info.init,
      adaptive,
      resumedFrom,
      last,
    };
  } finally {
    trainer?.dispose();
    (discriminator as { dispose?: () => void } | undefined)?.dispose?.();
    await model.dispose();
  }
}
