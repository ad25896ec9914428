/**
 * The third reward-alignment instrument: does the reward PPO climbs move with validation FID *during training*?
 * Reads the metrics.jsonl of one or more `adagen train` runs and pairs every validation (FID of the deterministic
 * policy after iteration i, held-out seeds, training statistics) with the mean reward of the rollout of iteration
 * i + 1, which is the first rollout of that same policy (scored by the discriminator as it stood then). Prints one
 * row per validation and Spearman's rho(reward, −FID) per run: positive means the reward rose when FID fell.
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/training-alignment.ts RUN_DIR [RUN_DIR ...]
 *   (or: pnpm -s bench:training-alignment runs/dit-tiny-4)
 *
 * The first line echoes the command; the last is one JSON object with every run's rows and rho.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { spearman } from "@adagen/metrics";
import { benchArgs } from "./bench-command.js";

interface MetricsLine {
  iteration: number;
  rewardMean?: number;
  discriminator?: { discriminatorLoss?: number };
  validation?: { fid: number; classAccuracy: number };
}

interface Row {
  iteration: number;
  fid: number;
  classAccuracy: number;
  /** Mean reward of iteration + 1's rollout (the validated policy's); undefined for the run's last validation. */
  reward?: number;
  /** Discriminator loss after iteration + 1. */
  dLoss?: number;
}

function readRun(dir: string): Row[] {
  const file = join(dir, "metrics.jsonl");
  if (!existsSync(file)) throw new Error(`${file}: missing (not an adagen train run folder)`);
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as MetricsLine;
      } catch {
        throw new Error(`${file}: line ${i + 1} is not JSON`);
      }
    });
  const byIteration = new Map(lines.filter((m) => m.rewardMean !== undefined).map((m) => [m.iteration, m]));
  return lines
    .filter((m) => m.validation)
    .map((m) => {
      const next = byIteration.get(m.iteration + 1);
      return {
        iteration: m.iteration,
        fid: m.validation!.fid,
        classAccuracy: m.validation!.classAccuracy,
        reward: next?.rewardMean,
        dLoss: next?.discriminator?.discriminatorLoss,
      };
    });
}

const dirs = benchArgs(import.meta.url, (argv) => {
  if (argv.length === 0) throw new Error("no run directory (expected RUN_DIR [RUN_DIR ...])");
  const flag = argv.find((a) => a.startsWith("--"));
  if (flag !== undefined) throw new Error(`unknown flag ${flag} (expected RUN_DIR [RUN_DIR ...])`);
  return argv;
});
const summary: { run: string; rho: number | null; bestIteration: number; bestFid: number; rows: Row[] }[] = [];
for (const dir of dirs) {
  const rows = readRun(dir);
  if (rows.length === 0) throw new Error(`${dir}: no validation lines`);
  const paired = rows.filter((r) => r.reward !== undefined);
  const rho = paired.length >= 3 ? spearman(paired.map((r) => r.reward!), paired.map((r) => -r.fid)) : null;
  const best = rows.reduce((a, b) => (b.fid < a.fid ? b : a));
  console.log(`\n${dir}`);
  console.log("iteration".padStart(9) + "val FID".padStart(10) + "acc".padStart(8) + "reward".padStart(10) + "D loss".padStart(9));
  for (const r of rows)
    console.log(
      String(r.iteration).padStart(9) +
        r.fid.toFixed(2).padStart(10) +
        r.classAccuracy.toFixed(3).padStart(8) +
        (r.reward === undefined ? "-" : r.reward.toFixed(4)).padStart(10) +
        (r.dLoss === undefined ? "-" : r.dLoss.toFixed(3)).padStart(9),
    );
  console.log(`best validation FID ${best.fid.toFixed(2)} at iteration ${best.iteration}; Spearman rho(reward, -FID) over ${paired.length} validations = ${rho === null ? "n/a" : rho.toFixed(3)}`);
  summary.push({ run: dir, rho, bestIteration: best.iteration, bestFid: best.fid, rows });
}
console.log(JSON.stringify(summary));
