/**
 * The scores `adagen baselines` has taken so far, one JSON line each, in `OUT.journal` beside the baselines file: a
 * grid search or a 16-step refinement samples for hours, and a step count's result is written only at its end. Run
 * again after an interruption, the same command reads its scores back instead of sampling them again: a grid skips
 * what it scored, a refinement replays its descent (a function of the scores) to where it stopped; either writes the
 * file an uninterrupted run writes. A score is only reused on the sampler, seed and sample count it was taken on,
 * which is what makes it the same measurement (scoring is deterministic). A step count's lines are dropped once its
 * result is in the baselines file; the journal goes when none are left.
 */
import { appendFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { writeFileAtomic } from "@adagen/metrics";
import type { BaselineResult } from "@adagen/core";
import { UsageError } from "./models.js";

/** One score: which search it belongs to, what it was scored on, and the result. */
interface JournalLine {
  model: string;
  steps: number;
  samples: number;
  seed: number;
  result: BaselineResult;
}

export class ScoreJournal {
  private readonly lines: JournalLine[];

  constructor(readonly path: string) {
    const { lines, partial } = existsSync(path) ? parse(path) : { lines: [], partial: false };
    this.lines = lines;
    // A line cut short would run into the next one appended.
    if (partial) this.rewrite();
  }

  /** The scores an earlier, interrupted run took for this step count on these samples and seed. */
  results(model: string, steps: number, samples: number, seed: number): BaselineResult[] {
    return this.lines.filter((l) => l.model === model && l.steps === steps && l.samples === samples && l.seed === seed).map((l) => l.result);
  }

  /** The log line that says a run reads back `count` scores. */
  resuming(count: number): string {
    return `resuming: ${this.path} holds ${count} score${count === 1 ? "" : "s"} an interrupted run took on these samples; ${count === 1 ? "it is" : "they are"} read back, not sampled again`;
  }

  /** Records a score as soon as it is taken (one appended line, so a kill loses at most the line being written). */
  record(model: string, steps: number, samples: number, seed: number, result: BaselineResult): void {
    const line: JournalLine = { model, steps, samples, seed, result };
    try {
      appendFileSync(this.path, JSON.stringify(line) + "\n");
    } catch (err) {
      throw new UsageError(`${this.path}: cannot write the baselines' journal (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    this.lines.push(line);
  }

  /** Drops a finished step count's scores (its result is in the baselines file now); removes the journal when empty. */
  finish(model: string, steps: number): void {
    const kept = this.lines.filter((l) => l.model !== model || l.steps !== steps);
    this.lines.splice(0, this.lines.length, ...kept);
    if (kept.length) this.rewrite();
    else rmSync(this.path, { force: true });
  }

  private rewrite(): void {
    writeFileAtomic(this.path, Buffer.from(this.lines.map((l) => JSON.stringify(l) + "\n").join(""), "utf8"));
  }
}

/** The journal's lines; a last line cut short by a kill is dropped, any other bad line is an error naming it. */
function parse(path: string): { lines: JournalLine[]; partial: boolean } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`${path}: cannot read the baselines' journal (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const rows = text.split("\n");
  const lines: JournalLine[] = [];
  for (const [i, row] of rows.entries()) {
    if (!row.trim()) continue;
    let line: JournalLine | undefined;
    try {
      line = JSON.parse(row) as JournalLine;
    } catch {
      // Only the last line can be partial: every earlier one ended with its newline.
      if (i === rows.length - 1) return { lines, partial: true };
    }
    if (!line || typeof line.model !== "string" || !Number.isInteger(line.steps) || !Number.isInteger(line.samples) || !Number.isInteger(line.seed) || typeof line.result?.fid !== "number" || typeof line.result.schedule !== "object")
      throw new UsageError(`${path}, line ${i + 1}: not a baselines journal line; delete the file to score from scratch`);
    lines.push(line);
  }
  return { lines, partial: false };
}
