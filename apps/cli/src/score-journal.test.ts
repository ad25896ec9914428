import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BaselineResult } from "@adagen/core";
import { ScoreJournal } from "./score-journal.js";

const row = (guidance: number, fid: number): BaselineResult => ({ schedule: { name: "uniform", guidance }, fid, classAccuracy: 0.9 });

describe("ScoreJournal", () => {
  it("gives back a score only for its model, step count, samples and seed", () => {
    const path = join(mkdtempSync(join(tmpdir(), "journal-")), "b.json.journal");
    const journal = new ScoreJournal(path);
    journal.record("sit-tiny", 4, 5000, 7919, row(1, 3.5));
    journal.record("sit-tiny", 4, 1000, 7919, row(1, 3.9));
    journal.record("sit-tiny", 4, 5000, 7920, row(1, 3.4));
    journal.record("sit-tiny", 8, 5000, 7919, row(1, 2.1));
    journal.record("dit-tiny", 4, 5000, 7919, row(1, 4.8));
    // Read by a later run, from the file.
    const again = new ScoreJournal(path);
    expect(again.results("sit-tiny", 4, 5000, 7919)).toEqual([row(1, 3.5)]);
    expect(again.results("sit-tiny", 4, 5000, 7920)).toEqual([row(1, 3.4)]);
    expect(again.results("sit-tiny", 16, 5000, 7919)).toEqual([]);
  });

  it("finish drops one step count's lines and keeps the others; the file goes with the last", () => {
    const path = join(mkdtempSync(join(tmpdir(), "journal-")), "b.json.journal");
    const journal = new ScoreJournal(path);
    journal.record("sit-tiny", 4, 5000, 7919, row(1, 3.5));
    journal.record("sit-tiny", 8, 5000, 7919, row(1, 2.1));
    journal.finish("sit-tiny", 4);
    expect(new ScoreJournal(path).results("sit-tiny", 4, 5000, 7919)).toEqual([]);
    expect(new ScoreJournal(path).results("sit-tiny", 8, 5000, 7919)).toEqual([row(1, 2.1)]);
    journal.finish("sit-tiny", 8);
    expect(existsSync(path)).toBe(false);
  });

  it("drops a last line cut short, so the next line appended starts on its own line", () => {
    const path = join(mkdtempSync(join(tmpdir(), "journal-")), "b.json.journal");
    new ScoreJournal(path).record("sit-tiny", 4, 5000, 7919, row(1, 3.5));
    writeFileSync(path, readFileSync(path, "utf8") + '{"model":"sit-tiny","steps":4,"sam');
    const resumed = new ScoreJournal(path);
    resumed.record("sit-tiny", 4, 5000, 7919, row(2, 3.6));
    expect(readFileSync(path, "utf8").trimEnd().split("\n").length).toBe(2);
    expect(new ScoreJournal(path).results("sit-tiny", 4, 5000, 7919)).toEqual([row(1, 3.5), row(2, 3.6)]);
  });

  it("refuses a bad line before the last one, naming the file and line", () => {
    const path = join(mkdtempSync(join(tmpdir(), "journal-")), "b.json.journal");
    writeFileSync(path, `${JSON.stringify({ model: "sit-tiny", steps: 4, samples: 5000, seed: 1, result: row(1, 3) })}\n{"model":"sit-tiny","steps":4}\n`);
    expect(() => new ScoreJournal(path)).toThrow(`${path}, line 2: not a baselines journal line; delete the file to score from scratch`);
  });
});
