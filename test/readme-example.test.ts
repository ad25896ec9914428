/**
 * The README's "Use it from your project" example, run as written (with a 2-iteration training run in a temporary
 * folder), and checked against what the CLI writes for the same model, policy, labels and seed.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readNpz } from "@adagen/metrics";
import { cardPath } from "@adagen/zoo";
import { createSampler, train } from "@adagen/flow";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

describe("README: the two-line happy path", () => {
  it("samples with the shipped policy exactly as adagen sample does", async () => {
    const sampler = await createSampler({ model: cardPath("sit-tiny"), policy: "default", steps: 4 });
    const { images, labels, shape } = await sampler.sample({ n: 20, seed: 3 });
    await sampler.dispose();
    expect(shape).toEqual([20, 28, 28, 1]);
    const out = join(mkdtempSync(join(tmpdir(), "adagen-readme-")), "cli.npz");
    const cli = spawnSync(
      process.execPath,
      ["--conditions=adagen-source", "--import", "tsx", "apps/cli/src/cli.ts", "sample", "--model", "sit-tiny", "--steps", "4", "--policy", "default", "--n", "20", "--seed", "3", "--out", out, "--quiet"],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const written = readNpz(out);
    expect(Buffer.from(images).equals(Buffer.from(written.get("arr_0")!.data as Uint8Array))).toBe(true);
    expect(Array.from(labels)).toEqual(Array.from(written.get("arr_1")!.data as BigInt64Array, Number));
  });

  it("runs the example: given labels, then a short training run and its policy", async () => {
    const sampler = await createSampler({ model: cardPath("sit-tiny"), policy: "default", steps: 4 });
    const { images, labels, shape } = await sampler.sample({ labels: Int32Array.of(0, 5, 9), seed: 0 });
    await sampler.dispose();
    expect(shape).toEqual([3, 28, 28, 1]);
    expect(Array.from(labels)).toEqual([0, 5, 9]);
    expect(images.length).toBe(3 * 28 * 28);

    const out = join(mkdtempSync(join(tmpdir(), "adagen-readme-")), "sit-4");
    const run = await train({
      model: cardPath("sit-tiny"),
      steps: 4,
      preset: "cpu-small",
      iterations: 2,
      out,
      // Smaller than the preset, to keep the suite fast: the example's code path, not its figures.
      trajectories: 16,
      batch: 8,
      recipe: { discriminatorWarmup: 2, discriminatorSteps: 1 },
      validation: { every: 1, n: 32 },
    });
    expect(run.iteration).toBe(2);
    expect(run.policy).toBe(join(out, "policy.adagen"));
    const mine = await createSampler({ model: cardPath("sit-tiny"), policy: run.policy });
    expect(mine.steps).toBe(4); // read from the policy file
    const again = await mine.sample({ labels: Int32Array.of(0, 5, 9), seed: 0 });
    expect(again.shape).toEqual([3, 28, 28, 1]);
    await mine.dispose();
  });

  it("refuses bad input with a message that names it", async () => {
    await expect(createSampler({ model: cardPath("dit-tiny") })).rejects.toThrow(/"paradigm" is "diffusion", but this adapter runs "flow" models/);
    await expect(createSampler({ model: cardPath("sit-tiny"), policy: "default" })).rejects.toThrow(/policy "default" needs the step count/);
    const sampler = await createSampler({ model: cardPath("sit-tiny"), steps: 2 });
    await expect(sampler.sample({ labels: Int32Array.of(0, 10), seed: 0 })).rejects.toThrow(/label 10 is outside 0\.\.9/);
    await expect(sampler.sample({ seed: 0 })).rejects.toThrow(/give labels, or n ≥ 1/);
    await sampler.dispose();
  });
});
