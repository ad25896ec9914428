/**
 * `adagen train`: flags → core's `train` (one resumable AdaGen run with policy selection on validation FID; the
 * run directory's layout and the recipe are documented there and in `PRESETS`), with a progress bar on stderr.
 * With --non-adaptive the policy learns one schedule shared by all samples (paper Table XI).
 */
import { AUGMENTS, DISCRIMINATOR_LOSSES, NEGATIVES, PRESETS, REWARDS, train as trainRun, type Augment, type InitName, type DiscriminatorLoss, type Negatives, type RewardName, type TrainEvent, type TrainResult } from "@adagen/core";
import { zooPath } from "@adagen/zoo";
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { Flags } from "./args.js";
import { UsageError, getModel, stepListOf } from "./models.js";
import { ProgressBar, formatDuration } from "@adagen/metrics";

/** The CLI trains with core's "cpu-small" preset; these name its defaults in the help text. */
const CPU_SMALL = PRESETS["cpu-small"];
export const TRAIN_DEFAULTS = { iterations: CPU_SMALL.iterations, batch: CPU_SMALL.batch, trajectories: CPU_SMALL.trajectories, seed: CPU_SMALL.seed } as const;
export const DEFAULT_RECIPE = CPU_SMALL.recipe;
export const DEFAULT_VALIDATION = CPU_SMALL.validation;

export type { TrainResult };

function augmentFlag(name: string | undefined): Augment | undefined {
  if (name !== undefined && !(AUGMENTS as readonly string[]).includes(name))
    throw new UsageError(`--augment ${name} is not one of ${AUGMENTS.join(", ")}`);
  return name as Augment | undefined;
}

function discriminatorLossFlag(name: string | undefined): DiscriminatorLoss | undefined {
  if (name !== undefined && !(DISCRIMINATOR_LOSSES as readonly string[]).includes(name))
    throw new UsageError(`--d-loss ${name} is not one of ${DISCRIMINATOR_LOSSES.join(", ")}`);
  return name as DiscriminatorLoss | undefined;
}

function negativesFlag(name: string | undefined): Negatives | undefined {
  if (name !== undefined && !(NEGATIVES as readonly string[]).includes(name))
    throw new UsageError(`--d-negatives ${name} is not one of ${NEGATIVES.join(", ")}`);
  return name as Negatives | undefined;
}

/** `--reward`: one of core's REWARDS, named in the error otherwise. */
function rewardFlag(value: string | undefined): RewardName | undefined {
  if (value === undefined) return undefined;
  if (!(REWARDS as readonly string[]).includes(value)) throw new UsageError(`--reward ${value} is not one of ${REWARDS.join(", ")}`);
  return value as RewardName;
}

/** --reward-backbone F, or F1,F2,… for the mean of several spaces' influences. */
function backboneList(value: string | undefined): string | string[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(",").map((p) => p.trim());
  if (parts.some((p) => p === "")) throw new UsageError(`--reward-backbone needs file names separated by commas, got "${value}"`);
  return parts.length === 1 ? parts[0] : parts;
}

/** Drops undefined values, so flags not given leave the preset alone. */
function defined<T extends object>(o: T): Partial<T> | undefined {
  const kept = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  return Object.keys(kept).length ? kept : undefined;
}

/** Runs recorded before model cards name the zoo's discriminator backbone relative to the zoo package. */
const resolveBackbone = (path: string) => (isAbsolute(path) ? path : zooPath(path));

export async function train(flags: Flags, quiet: boolean): Promise<TrainResult> {
  const entry = getModel(flags.require("model", flags.string, "train"));
  const [steps] = stepListOf(entry, flags.has("steps") ? [flags.number("steps")!] : undefined, "train");
  const iterations = flags.number("iterations") ?? TRAIN_DEFAULTS.iterations;
  const resume = flags.bool("resume");
  const out = flags.string("out");
  // The flags' own words for what core refuses (core checks the same and more, naming its options).
  const dir = out ?? join("runs", `${entry.name}-${steps}${flags.bool("non-adaptive") ? "-shared" : ""}${flags.has("fidelity-of") ? "-fidelity" : ""}`);
  if (!resume) {
    const existing = ["checkpoint.adagen", "metrics.jsonl", "policy.adagen"].filter((f) => existsSync(join(dir, f)));
    if (existing.length > 0)
      throw new UsageError(`${dir} already holds a run (${existing.join(", ")}); pass --resume to continue it, or choose another --out`);
  } else if (existsSync(join(dir, "checkpoint.adagen"))) {
    for (const k of ["init", "reward", "reward-backbone", "influence-unconditional", "fidelity-of", "warm-start", "discriminator", "lr", "std", "group", "d-lr", "d-steps", "d-warmup", "d-minibatch", "d-loss", "d-negatives", "augment", "eval-every", "eval-n"])
      if (flags.has(k)) throw new UsageError(`--${k} cannot change on --resume; a resumed run keeps the settings in run.json`);
  }
  const fixedReward = flags.string("reward");
  for (const k of ["reward-backbone", "influence-unconditional"])
    if (flags.has(k) && fixedReward !== "influence") throw new UsageError(`--${k} is for --reward influence, not --reward ${fixedReward ?? "adversarial"}`);
  if (fixedReward === "pretrained" || fixedReward === "fid" || fixedReward === "influence")
    for (const k of ["discriminator", "d-lr", "d-steps", "d-warmup", "d-minibatch", "d-loss", "d-negatives", "augment"])
      if (flags.has(k)) throw new UsageError(`--${k} sets the discriminator, which --reward ${fixedReward} does not train`);
  const bar = new ProgressBar(`train ${entry.name} T=${steps}`, iterations, "iterations", !quiet);
  const onEvent = (e: TrainEvent) => {
    if (e.type === "start") {
      if (!quiet)
        process.stderr.write(
          `${e.resumedFrom !== undefined ? `resuming ${e.dir} at iteration ${e.resumedFrom}` : `training into ${e.dir}`}: ` +
            `${e.adaptive ? "" : "non-adaptive (one schedule shared by all samples, step index only), "}policy ${e.policyParameters} parameters, ` +
            `${e.trajectories} trajectories per iteration in batches of ${e.batch}` +
            (e.validation.every > 0 ? `; validation FID on ${e.validation.n} samples every ${e.validation.every} iterations\n` : "\n"),
        );
    } else if (e.type === "validation") {
      bar.line(0, `validation FID ${e.fid.toFixed(2)} (${e.warmStart ? `the warm start, ${e.warmStart}` : `the starting schedule, ${e.init}`})`);
    } else {
      const m = e.metrics;
      const dLoss = m.discriminator?.discriminatorLoss;
      bar.line(
        m.iteration,
        `reward ${m.rewardMean.toFixed(4)} ± ${m.rewardStd.toFixed(4)} | D loss ${dLoss === undefined ? "-" : dLoss.toFixed(4)}` +
          (m.validation ? ` | val FID ${m.validation.fid.toFixed(2)}` : "") +
          (e.best ? ` (best ${e.best.fid.toFixed(2)} @ ${e.best.iteration})` : "") +
          ` | ${e.secondsPerIteration.toFixed(1)} s/it | ETA ${formatDuration(e.secondsPerIteration * (e.iterations - m.iteration))}`,
      );
    }
  };
  let result: TrainResult;
  try {
    result = await trainRun({
      adapter: entry.adapter,
      model: entry.card,
      steps,
      iterations,
      out,
      resume,
      batch: flags.number("batch"),
      trajectories: flags.number("trajectories"),
      seed: flags.number("seed"),
      init: flags.string("init") as InitName | undefined,
      reward: rewardFlag(flags.string("reward")),
      rewardBackbone: backboneList(flags.string("reward-backbone")),
      ...(flags.bool("influence-unconditional") ? { influence: { classConditional: false } } : {}),
      fidelityOf: flags.string("fidelity-of"),
      warmStart: flags.string("warm-start"),
      discriminator: flags.string("discriminator"),
      discriminatorMinibatch: flags.number("d-minibatch"),
      recipe: defined({
        learningRate: flags.number("lr"),
        explorationStd: flags.number("std"),
        groupSize: flags.number("group"),
        discriminatorLearningRate: flags.number("d-lr"),
        discriminatorSteps: flags.number("d-steps"),
        discriminatorWarmup: flags.number("d-warmup"),
        discriminatorLoss: discriminatorLossFlag(flags.string("d-loss")),
        augment: augmentFlag(flags.string("augment")),
        negatives: negativesFlag(flags.string("d-negatives")),
      }),
      validation: defined({ every: flags.number("eval-every"), n: flags.number("eval-n") }),
      nonAdaptive: flags.bool("non-adaptive"),
      onEvent,
      resolveBackbone,
    });
  } catch (err) {
    bar.abort();
    throw err;
  }
  bar.done(`iteration ${result.iteration}, policy of iteration ${result.selectedIteration} written to ${result.policy}`);
  return result;
}

