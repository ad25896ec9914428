/**
 * Bring your own generator: the CLI on model cards of other shapes than the zoo's (test/fixtures/byo, made by
 * tooling/fixtures/make_byo_fixtures.sh): an RGB 3×32×32 diffusion model with 100 classes, and a latent 4×8×8 flow
 * model with an ONNX decoder to RGB 3×32×32. Training, sampling from the trained policy, and FID with the user's own
 * extractor (`adagen-bench fid --extractor ... --features-output embedding`).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readNpz } from "@adagen/metrics";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BYO = join(ROOT, "test/fixtures/byo");
const tmp = mkdtempSync(join(tmpdir(), "adagen-byo-"));

function run(cli: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--conditions=adagen-source", "--import", "tsx", cli, ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const adagen = (...args: string[]) => run("apps/cli/src/cli.ts", ...args);
const bench = (...args: string[]) => run("apps/bench/src/cli.ts", ...args);

function fid(samples: string, stats: string): number {
  const r = bench("fid", samples, join(BYO, stats), "--extractor", join(BYO, "rgb-extractor.onnx"), "--features-output", "embedding", "--json", "--quiet");
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { fid: number }).fid;
}

describe("model cards of other shapes through the CLI", () => {
  it("samples the RGB 100-class diffusion card as [N,32,32,3] images whose FID falls with more steps", () => {
    const out = (steps: number) => join(tmp, `rgb-${steps}.npz`);
    for (const steps of [2, 8]) {
      const r = adagen("sample", "--model", join(BYO, "rgb-diffusion.card.json"), "--steps", String(steps), "--schedule", "uniform", "--n", "200", "--seed", "0", "--out", out(steps), "--quiet");
      expect(r.code, r.stderr).toBe(0);
    }
    const arrays = readNpz(out(8));
    expect(arrays.get("arr_0")!.shape).toEqual([200, 32, 32, 3]);
    expect(new Set(Array.from(arrays.get("arr_1")!.data as BigInt64Array, Number)).size).toBe(100);
    // The model is the exact noise prediction of its data: 8 steps land far closer to the reals than 2.
    expect(fid(out(8), "rgb-diffusion.stats.npz")).toBeLessThan(0.5 * fid(out(2), "rgb-diffusion.stats.npz"));
  });

  it("trains a policy for the latent flow card (decoder to RGB), samples with it, and scores it", () => {
    const dir = join(tmp, "run-flow");
    const card = join(BYO, "latent-flow.card.json");
    const trained = adagen(
      "train", "--model", card, "--steps", "2", "--iterations", "2", "--trajectories", "16", "--batch", "8",
      "--d-warmup", "2", "--d-steps", "1", "--eval-every", "1", "--eval-n", "32", "--out", dir, "--json", "--quiet",
    );
    expect(trained.code, trained.stderr).toBe(0);
    const result = JSON.parse(trained.stdout) as { iteration: number; validationFid: number };
    expect(result.iteration).toBe(2);
    expect(Number.isFinite(result.validationFid)).toBe(true);
    const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as { model: string; discriminator: { kind: string; height: number; channels: number } };
    expect(run.model).toBe("latent-flow");
    expect(run.discriminator).toMatchObject({ kind: "vit", height: 32, channels: 3 }); // no backbone in the card
    const out = join(tmp, "flow-policy.npz");
    const sampled = adagen("sample", "--model", card, "--steps", "2", "--policy", join(dir, "policy.adagen"), "--n", "40", "--seed", "1", "--out", out, "--quiet");
    expect(sampled.code, sampled.stderr).toBe(0);
    expect(readNpz(out).get("arr_0")!.shape).toEqual([40, 32, 32, 3]);
    expect(Number.isFinite(fid(out, "latent-flow.stats.npz"))).toBe(true);
    // The policy belongs to this card: the diffusion card refuses it.
    const wrong = adagen("sample", "--model", join(BYO, "rgb-diffusion.card.json"), "--steps", "2", "--policy", join(dir, "policy.adagen"), "--n", "4", "--seed", "1", "--out", join(tmp, "x.npz"));
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/policy was trained for latent-flow at 2 steps, not rgb-diffusion at 2 steps/);
  });

  it("refuses a bad card in one line that names the file and the field, and writes nothing", () => {
    const card = JSON.parse(readFileSync(join(BYO, "rgb-diffusion.card.json"), "utf8"));
    const bad = join(tmp, "bad.card.json");
    for (const f of ["rgb-diffusion.onnx", "rgb-extractor.onnx", "rgb-extractor.onnx.json"]) copyFileSync(join(BYO, f), join(tmp, f));
    const expectRefused = (change: (c: typeof card) => void, pattern: RegExp) => {
      const c = JSON.parse(JSON.stringify(card));
      change(c);
      writeFileSync(bad, JSON.stringify(c));
      const out = join(tmp, "never.npz");
      const r = adagen("sample", "--model", bad, "--steps", "2", "--schedule", "uniform", "--n", "4", "--seed", "0", "--out", out);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
      expect(existsSync(out)).toBe(false);
    };
    expectRefused((c) => (c.generator.featureShape = [64]), /bad\.card\.json: "generator\.featureShape" must be a list of 2 positive integers, got \[64\]/);
    expectRefused((c) => (c.sampler.solver = "3S"), /bad\.card\.json: "sampler\.solver" must be one of "2S", "2M", "1", got "3S"/);
    expectRefused((c) => (c.paradigm = "gan"), /bad\.card\.json: "paradigm" must be one of "diffusion", "flow", "maskgit", "var", got "gan"/);
    // A graph that does not fit the card: the probe sample fails at load, named.
    expectRefused((c) => (c.generator.featureShape = [32, 48]), /rgb-diffusion: .*rgb-diffusion\.onnx does not fit the contract .*feature shape \[32,48\]/);
    expectRefused((c) => (c.generator.file = "missing.onnx"), /rgb-diffusion: cannot load ONNX model .*missing\.onnx/);
  });
});
