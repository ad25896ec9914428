/**
 * What bench:class-oracle and bench:cluster-oracle share: their common flags, the model and its candidates, the two
 * scorers (selection on the training statistics, evaluation on the test statistics), a candidate's selection images,
 * and the FID of a row assembled from parts.
 */
import {
  Scorer,
  bestBaseline,
  describeSchedule,
  generateImages,
  initTensorflow,
  openModel,
  topCandidates,
  type AdaGenModel,
  type GeneratedImages,
  type OpenedGenerator,
  type ScheduleRequest,
} from "@adagen/core";
import { featureStatistics, frechetDistance, readStatistics, type FeatureStatistics } from "@adagen/metrics";
import { MOVE_KEYS, oracleCandidates, parseVary, type Vary } from "./moves.js";
import { zooModel } from "./zoo-model.js";

export interface OracleArgs {
  model: string;
  steps: number;
  vary: Vary[];
  top: number;
  n: number;
  seed: number;
  evalN: number;
  evalSeeds: number[];
  sweeps: number;
}

/** The shared flags, as the usage error lists them. */
export const ORACLE_FLAGS = `--model M, --steps T, --vary KEY:D1,D2 with KEY one of ${MOVE_KEYS.join(", ")} or timeI, --top K ≥ 0, --n N ≥ 20, --seed S, --eval-n N ≥ 2, --eval-seeds S1,S2, --sweeps K ≥ 1`;

export const isCount = (v: number, min: number) => Number.isInteger(v) && v >= min;

/** Reads one shared flag into `out`; false when `flag value` is not one (the caller tries its own, then fails). */
export function readOracleFlag(out: OracleArgs, flag: string, value: string | undefined): boolean {
  const num = Number(value);
  if (flag === "--model" && value) out.model = value;
  else if (flag === "--steps" && isCount(num, 1)) out.steps = num;
  else if (flag === "--vary" && value?.includes(":")) out.vary.push(parseVary(value));
  else if (flag === "--top" && isCount(num, 0)) out.top = num;
  else if (flag === "--n" && isCount(num, 20)) out.n = num;
  else if (flag === "--seed" && isCount(num, 0) && num <= 0xffffffff) out.seed = num;
  else if (flag === "--eval-n" && isCount(num, 2)) out.evalN = num;
  else if (flag === "--eval-seeds" && value && value.split(",").every((s) => isCount(Number(s), 0))) out.evalSeeds = value.split(",").map(Number);
  else if (flag === "--sweeps" && isCount(num, 1)) out.sweeps = num;
  else return false;
  return true;
}

/** The zoo model opened at `args.steps`, its searched best and the candidates around it (the best first). */
export async function oracleSetup(args: OracleArgs): Promise<{ entry: AdaGenModel; opened: OpenedGenerator; best: ScheduleRequest; candidates: ScheduleRequest[] }> {
  const entry = zooModel(args.model);
  const search = bestBaseline(entry, args.steps);
  if (!search) throw new Error(`${args.model} has no searched baseline at ${args.steps} steps (adagen baselines writes one)`);
  const best = search.best.schedule;
  await initTensorflow();
  const opened = await openModel(entry, args.steps);
  try {
    return { entry, opened, best, candidates: oracleCandidates(best, args.vary, topCandidates(search.grid, args.top).map((r) => r.schedule), opened.scheduleTimes) };
  } catch (err) {
    await opened.dispose();
    throw err;
  }
}

/**
 * A candidate's selection images; undefined (with a line saying why) when its schedule cannot run at this step
 * count, except for the best, whose failure is the bench's.
 */
export async function candidateImages(
  opened: OpenedGenerator,
  schedule: ScheduleRequest,
  isBest: boolean,
  n: number,
  seed: number,
  onProgress: (done: number) => void,
): Promise<GeneratedImages | undefined> {
  try {
    return await generateImages(opened, { kind: "schedule", schedule }, n, seed, onProgress);
  } catch (err) {
    if (isBest) throw err;
    console.log(`skipped ${describeSchedule(schedule)}: ${(err as Error).message}`);
    return undefined;
  }
}

export interface OracleScorers {
  /** Selection: the validation side, against the training statistics. */
  select: Scorer;
  /** Evaluation: held-out seeds, against the test statistics. */
  evaluate: Scorer;
  trainStats: FeatureStatistics;
  testStats: FeatureStatistics;
  dispose(): Promise<void>;
}

export async function openOracleScorers(entry: AdaGenModel): Promise<OracleScorers> {
  const select = await Scorer.create(entry.card, "train");
  const evaluate = await Scorer.create(entry.card, "test");
  return {
    select,
    evaluate,
    trainStats: readStatistics(select.statsFile),
    testStats: readStatistics(evaluate.statsFile),
    dispose: async () => {
      await select.dispose();
      await evaluate.dispose();
    },
  };
}

/** The FID extractor's features of `images` (`rows × dims`). */
export async function fidFeatures(scorer: Scorer, images: GeneratedImages) {
  return (await scorer.extract(images)).features;
}

/** FID against `stats` of the rows of all `parts` (each `rows × dims`, dims = the statistics'), concatenated. */
export function fidOfParts(parts: readonly Float32Array[], stats: FeatureStatistics): number {
  const dims = stats.mu.length;
  const data = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((offset, p) => (data.set(p, offset), offset + p.length), 0);
  return frechetDistance(featureStatistics({ data, rows: data.length / dims, dims }), stats).fid;
}
