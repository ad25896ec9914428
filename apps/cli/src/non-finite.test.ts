/**
 * A diverging run through the real CLI (dit-tiny, spawned): a learning rate of 1e38 overflows the first PPO update,
 * the iteration is rejected, and `adagen train` prints one line naming the quantity and iteration, exit code 3, with
 * the iteration-0 checkpoint left as the last good one.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readTensorFile } from "@adagen/core";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("adagen train on a diverging run", () => {
  it("exits with code 3 and one line naming the quantity and the iteration; the last good checkpoint stays", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "adagen-cli-nan-")), "run");
    const args = ["--model", "dit-tiny", "--steps", "2", "--iterations", "3", "--trajectories", "8", "--batch", "8"];
    args.push("--d-warmup", "0", "--d-steps", "1", "--eval-every", "0", "--lr", "1e38", "--out", out, "--quiet");
    const r = spawnSync(process.execPath, ["--conditions=adagen-source", "--import", "tsx", "apps/cli/src/cli.ts", "train", ...args], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(r.stderr).toMatch(/^adagen train: iteration 1: the [a-z ]+ (is|are) [^;\n]+; the last good checkpoint \(iteration 0\) is kept\n$/);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe("");
    expect((await readTensorFile(join(out, "checkpoint.adagen"))).meta.iteration).toBe(0);
    expect(existsSync(join(out, "metrics.jsonl"))).toBe(false);
    expect(existsSync(join(out, "policy.adagen"))).toBe(false);
    const help = spawnSync(process.execPath, ["--conditions=adagen-source", "--import", "tsx", "apps/cli/src/cli.ts", "train", "--help"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(help.stdout).toMatch(/NaN or infinite[^]*exit code 3/);
  });
});
