/**
 * Every tooling bench (tooling/bench/*.ts that reads its command line through bench-command.ts) answers --help with its
 * header comment and a bad flag with one line on stderr and exit code 2, before any real work.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { headerComment } from "../tooling/bench/bench-command.js";
import { ROOT } from "./support/cli.js";

const BENCH_DIR = join(ROOT, "tooling/bench");
const scripts = readdirSync(BENCH_DIR).filter(
  (f) => f.endsWith(".ts") && f !== "bench-command.ts" && /bench(Args|WithoutFlags)\(import\.meta\.url/.test(readFileSync(join(BENCH_DIR, f), "utf8")),
);

function runBench(script: string, args: string[]) {
  const r = spawnSync(process.execPath, ["--conditions=adagen-source", "--import", "tsx", join(BENCH_DIR, script), ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("tooling benches' command line", () => {
  it("headerComment strips the comment markers of the first block comment only", () => {
    const source = "/**\n * First line.\n *\n *   indented usage\n */\nconst x = 1; /** later */\n";
    expect(headerComment(source)).toBe("First line.\n\n  indented usage");
    expect(headerComment("const x = 1;")).toBe("");
  });

  it("covers the benches that take flags", () => {
    for (const name of ["paired-alignment.ts", "policy-schedule.ts", "high-frequency.ts", "training-alignment.ts", "policy-share.ts", "gmm.ts"])
      expect(scripts).toContain(name);
  });

  it.each(scripts)("%s: --help prints its header comment and exits 0; an unknown flag is one line and exit code 2", (script) => {
    const help = runBench(script, ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout.trim()).toBe(headerComment(readFileSync(join(BENCH_DIR, script), "utf8")));
    expect(help.stdout.length).toBeGreaterThan(100);

    const bad = runBench(script, ["--frobnicate", "1"]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    const lines = bad.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${script.replace(".", "\\.")}: .*--frobnicate.*\\(--help lists the flags\\)$`));
  });

  it("training-alignment without a run directory names what is missing", () => {
    const r = runBench("training-alignment.ts", []);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("training-alignment.ts: no run directory (expected RUN_DIR [RUN_DIR ...]) (--help lists the flags)");
  });

  it("cluster-oracle refuses a token sampler (its samples are not paired across schedules) before any work", () => {
    const r = runBench("cluster-oracle.ts", ["--model", "maskgit-tiny", "--steps", "4"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim()).toBe(
      "cluster-oracle.ts: --model maskgit-tiny is a maskgit model: its samples are not paired across schedules (diffusion and flow only) (--help lists the flags)",
    );
  });
});
