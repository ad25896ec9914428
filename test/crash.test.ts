/**
 * Crash safety of `adagen train` at a small size: tooling/check/crash-test.ts (`pnpm test:crash`, full size there)
 * SIGKILLs a real run three times and resumes it, and the result must be byte-identical to an uninterrupted run.
 * Then the run lock through `train` itself: a second run on a directory in use is refused, and the lock goes away
 * after the run and after an error.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "@adagen/core";
import { train } from "@adagen/diffusion";
import { cardPath } from "@adagen/zoo";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

describe("adagen train survives SIGKILL", () => {
  it("killed 3 times and resumed, it writes the same files as an uninterrupted run, redoing at most one iteration per kill", () => {
    const r = spawnSync(
      process.execPath,
      ["--conditions=adagen-source", "--import", "tsx", "tooling/check/crash-test.ts", "--kills", "3", "--iterations", "2", "--seed", "3"],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const summary = r.stdout.trim().split("\n").at(-1)!;
    const m = /^crash test: (\d+) kills \((\d+) during checkpoint writes\), (\d+) resumes, (\d+) iterations redone \(max (\d+) per kill\), identical: (yes|no)$/.exec(summary);
    expect(m, r.stdout).not.toBeNull();
    const [kills, , resumes, redone, max, identical] = [Number(m![1]), Number(m![2]), Number(m![3]), Number(m![4]), Number(m![5]), m![6]];
    expect(identical).toBe("yes");
    expect(kills).toBeGreaterThanOrEqual(1);
    expect(resumes).toBeGreaterThanOrEqual(1);
    expect(max).toBeLessThanOrEqual(1);
    expect(redone).toBeLessThanOrEqual(kills);
    // One line per kill, each naming the checkpoint before and after.
    expect(r.stdout.match(/^kill \d+ \(.*\): checkpoint -?\d+ -> -?\d+/gm)).toHaveLength(kills);
  });
});

describe("train: one run directory, one writer", () => {
  const tmp = mkdtempSync(join(tmpdir(), "adagen-lock-"));
  const tiny = {
    model: cardPath("dit-tiny"),
    steps: 2,
    iterations: 1,
    batch: 8,
    trajectories: 8,
    validation: { every: 0 },
    recipe: { discriminatorWarmup: 0, discriminatorSteps: 1 },
  };

  it("refuses a second run on a directory in use, naming it and the holder's pid; the lock goes with the run", async () => {
    const dir = join(tmp, "run");
    const first = train({ ...tiny, out: dir });
    const second = train({ ...tiny, out: dir, resume: true });
    await expect(second).rejects.toThrow(InputError);
    await expect(second).rejects.toThrow(`${dir} is in use by another training run (pid ${process.pid}); wait for it or stop it`);
    const done = await first;
    expect(done.iteration).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(["checkpoint.adagen", "metrics.jsonl", "policy.adagen", "run.json"]);
    // Free again: resuming it works.
    const resume = { model: tiny.model, steps: 2, iterations: 1, out: dir, resume: true };
    expect((await train(resume)).resumedFrom).toBe(1);
    expect(existsSync(join(dir, "run.lock"))).toBe(false);

    // An error after the lock was taken releases it too: a refused resume leaves the run as it was.
    await expect(train({ ...resume, steps: 4 })).rejects.toThrow(/was trained for dit-tiny at 2 steps, not dit-tiny at 4/);
    expect(readdirSync(dir).sort()).toEqual(["checkpoint.adagen", "metrics.jsonl", "policy.adagen", "run.json"]);
    // A new directory refused before anything was written is not left behind.
    const never = join(tmp, "never");
    await expect(train({ ...tiny, out: never, init: "bogus" as "best" })).rejects.toThrow(/init "bogus" is not one of best, best-constant, heuristic/);
    expect(existsSync(never)).toBe(false);
  });
});
