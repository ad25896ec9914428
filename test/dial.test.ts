/**
 * The fidelity-diversity dial through the product (docs/method.md §12.3): `train({ fidelityOf })` trains a fidelity
 * policy beside a frozen base policy, its file carries the base, and `sample({ lambda })` blends the two: λ = 0 is
 * the base policy's output exactly.
 */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError, readTensorFile } from "@adagen/core";
import { createSampler, train } from "@adagen/diffusion";
import { cardPath } from "@adagen/zoo";
import { describe, expect, it } from "vitest";
import { runCli } from "../apps/cli/src/run.js";
import { expectOneLineError, inProcess } from "./support/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "adagen-dial-"));
const tiny = { model: cardPath("dit-tiny"), steps: 2, batch: 8, trajectories: 8, validation: { every: 0 }, recipe: { discriminatorWarmup: 2, discriminatorSteps: 1 } };

describe("the dial: train({ fidelityOf }) and sample({ lambda })", () => {
  it("λ = 0 reproduces the base policy, λ = 1 the trained fidelity policy; the file carries the base", async () => {
    const base = (await train({ ...tiny, iterations: 1, out: join(tmp, "base") })).policy;
    const dir = join(tmp, "fidelity");
    // A large learning rate, so two iterations move the fidelity policy visibly away from its copy of the base.
    const r = await train({ ...tiny, iterations: 2, out: dir, fidelityOf: base, recipe: { ...tiny.recipe, learningRate: 0.05 }, validation: { every: 5 } });
    expect(r.selectedIteration).toBe(2); // no validation selection: the last iteration's policy
    const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    expect(run.dial).toEqual({ base, fidelity: "fmnist-fidelity.onnx" });
    expect(run.validation.every).toBe(0);
    const { meta, tensors } = await readTensorFile(r.policy);
    expect(meta.dialBase).toBeDefined();
    expect(Object.keys(tensors).some((k) => k.startsWith("base/"))).toBe(true);

    const labels = Int32Array.from({ length: 16 }, (_, i) => i % 10);
    const plain = await createSampler({ model: cardPath("dit-tiny"), policy: base });
    const dialed = await createSampler({ model: cardPath("dit-tiny"), policy: r.policy });
    try {
      const of = async (s: typeof plain, lambda?: number) => Buffer.from((await s.sample({ labels, seed: 4, lambda })).images);
      const b = await of(plain);
      expect((await of(dialed, 0)).equals(b)).toBe(true);
      expect((await of(dialed)).equals(b)).toBe(true); // λ defaults to 0
      const one = await of(dialed, 1);
      expect(one.equals(b)).toBe(false);
      const half = await of(dialed, 0.5);
      expect(half.equals(b) || half.equals(one)).toBe(false);
      await expect(plain.sample({ labels, seed: 4, lambda: 0.5 })).rejects.toThrow(InputError);
      await expect(plain.sample({ labels, seed: 4, lambda: 0.5 })).rejects.toThrow(/is not one \(train one: adagen train --fidelity-of, or train\(\{ fidelityOf \}\)\)/);
      await expect(dialed.sample({ labels, seed: 4, lambda: 2 })).rejects.toThrow(/lambda must be in \[0, 1\].*got 2/);
    } finally {
      await plain.dispose();
      await dialed.dispose();
    }
    // The dial's report: one row per λ, its files written; λ = 0 scores the base policy's samples.
    const out = join(tmp, "report");
    const done = await inProcess(runCli, ["dial", "--model", "dit-tiny", "--steps", "2", "--policy", r.policy, "--n", "20", "--lambdas", "0,1", "--out", out, "--quiet", "--json"]);
    expect(done.code, done.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["dial.json", "dial.md", "dial.png", "samples.png"]);
    const report = JSON.parse(readFileSync(join(out, "dial.json"), "utf8"));
    expect(report.rows.map((row: { lambda: number }) => row.lambda)).toEqual([0, 1]);
    for (const row of report.rows) for (const k of ["fid", "precision", "recall", "classAccuracy"]) expect(Number.isFinite(row[k]), k).toBe(true);
    expectOneLineError(
      await inProcess(runCli, ["dial", "--model", "dit-tiny", "--steps", "2", "--policy", base, "--n", "20", "--out", join(tmp, "never"), "--quiet"]),
      "adagen",
      /policy\.adagen is not a dial's fidelity policy \(train one with "adagen train --fidelity-of BASE"\)/,
    );
    // A fidelity policy is not a base, and the base must be the model's.
    await expect(train({ ...tiny, iterations: 1, out: join(tmp, "again"), fidelityOf: r.policy })).rejects.toThrow(/is itself a dial's fidelity policy/);
    await expect(train({ ...tiny, steps: 4, iterations: 1, out: join(tmp, "other"), fidelityOf: base })).rejects.toThrow(/trained for dit-tiny at 2 steps, not dit-tiny at 4/);
  });
});
