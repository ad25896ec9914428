/**
 * `adagen train`: AdaGen training (METHOD.md §10) of one model at one step count, resumable.
 *
 * A run directory holds:
 *   run.json          what was trained (model, steps, batch, trajectories, seed, sizes), written once
 *   checkpoint.adagen everything to resume exactly (core's AdaGenTrainer.save), rewritten atomically every iteration
 *   metrics.jsonl     one JSON line of core's IterationMetrics per iteration
 *   policy.adagen     the deterministic policy (exportPolicy, with model and steps in its info), at the end
 * The checkpoint is first written at iteration 0; each iteration then appends its metrics line and replaces the
 * checkpoint, so a run killed at any point resumes from the last checkpoint; lines past it are dropped on resume and
 * redone.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  AdaGenTrainer,
  AdversarialReward,
  ViTDiscriminator,
  initTensorflow,
  readTensorFile,
  type IterationMetrics,
  type PolicyNetworkConfig,
} from "@adagen/core";
import { ImageRealData } from "@adagen/diffusion";
import { writeFileAtomic } from "@adagen/metrics";
import { loadFashionMnist } from "@adagen/zoo";
import { Flags } from "./args.js";
import { UsageError, getModel, openModel, type OpenedModel } from "./models.js";
import { ProgressBar, formatDuration } from "./progress.js";

/** Policy and critic size on the 49×128 features: about 0.3M parameters each (tooling/bench/dit-iteration.ts). */
export const POLICY_NETWORK: Partial<PolicyNetworkConfig> = { hidden: 128, channels: 32, mixedTokens: 13, mlp: [256, 128], stepFeatures: 128 };
/** The ViT discriminator (patch 4, width 64, depth 2, 4 heads) on 28×28×1 images, 10 classes. */
export const DISCRIMINATOR = { height: 28, width: 28, channels: 1, numClasses: 10, patch: 4, dim: 64, depth: 2, heads: 4 } as const;
/** Discriminator updates per iteration (METHOD.md §9.2, paper: 5), each on `batch` fake and `batch` real images. */
export const DISCRIMINATOR_STEPS = 5;

export const TRAIN_DEFAULTS = { iterations: 100, batch: 64, trajectories: 256, seed: 0 } as const;

const RUN_FORMAT = "adagen-run";

interface RunInfo {
  format: typeof RUN_FORMAT;
  model: string;
  steps: number;
  batch: number;
  trajectories: number;
  seed: number;
  network: Partial<PolicyNetworkConfig>;
  discriminator: typeof DISCRIMINATOR & { steps: number };
}

export interface TrainResult {
  dir: string;
  policy: string;
  iteration: number;
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
  const dir = flags.string("out") ?? join("runs", `${entry.name}-${steps}`);
  const checkpoint = join(dir, "checkpoint.adagen");
  const metricsFile = join(dir, "metrics.jsonl");
  const policyFile = join(dir, "policy.adagen");
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
      discriminator: { ...DISCRIMINATOR, steps: DISCRIMINATOR_STEPS },
    };
  }

  await initTensorflow();
  const model: OpenedModel = await openModel(entry, steps);
  let trainer: AdaGenTrainer | undefined;
  try {
    const { steps: discriminatorSteps, ...vitConfig } = info.discriminator;
    const reward = new AdversarialReward(new ViTDiscriminator({ ...vitConfig, seed: info.seed }));
    trainer = new AdaGenTrainer({
      env: model.env,
      reward,
      realData: new ImageRealData(loadFashionMnist("train")),
      network: info.network,
      batchSize: info.batch,
      trajectoriesPerIteration: info.trajectories,
      discriminatorSteps,
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
        `${resume ? `resuming ${dir} at iteration ${startIteration}` : `training into ${dir}`}: policy ${trainer.actor.parameterCount} parameters, ` +
          `${info.trajectories} trajectories per iteration in batches of ${info.batch}\n`,
      );
    let last: IterationMetrics | undefined;
    const started = performance.now();
    try {
      while (trainer.iteration < iterations) {
        const m = await trainer.step();
        await appendFile(metricsFile, JSON.stringify(m) + "\n");
        await trainer.save(checkpoint);
        last = m;
        const perIteration = (performance.now() - started) / 1000 / (trainer.iteration - startIteration);
        const dLoss = m.discriminator?.discriminatorLoss;
        bar.line(
          trainer.iteration,
          `reward ${m.rewardMean.toFixed(4)} ± ${m.rewardStd.toFixed(4)} | D loss ${dLoss === undefined ? "-" : dLoss.toFixed(4)} | ` +
            `${perIteration.toFixed(1)} s/it | ETA ${formatDuration(perIteration * (iterations - trainer.iteration))}`,
        );
      }
    } catch (err) {
      bar.abort();
      throw err;
    }
    await trainer.exportPolicy(policyFile, {
      model: entry.name,
      steps,
      iteration: trainer.iteration,
      batch: info.batch,
      trajectories: info.trajectories,
      seed: info.seed,
    });
    bar.done(`iteration ${trainer.iteration}, policy written to ${policyFile}`);
    return { dir, policy: policyFile, iteration: trainer.iteration, resumedFrom, last };
  } finally {
    trainer?.dispose();
    await model.dispose();
  }
}
