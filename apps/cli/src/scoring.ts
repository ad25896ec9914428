/**
 * How reports name statistics files. Scoring itself is core's `Scorer` (the card's extractor against its statistics).
 */
import { relative } from "node:path";

/** The zoo cards' statistics files, relative to the zoo package (named in help texts). */
export const TEST_STATS = "stats/fmnist-test-stats.npz";
export const TRAIN_STATS = "stats/fmnist-train-stats.npz";

/** A file as reports name it: relative to the working directory (packages/zoo/stats/… from the repository root). */
export function displayPath(file: string): string {
  return relative(process.cwd(), file);
}
