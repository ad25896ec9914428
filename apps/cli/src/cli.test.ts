import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { decodePngImage, readNpz } from "@adagen/metrics";
import { runCli } from "./run.js";
import {
  ActionDecoder,
  Random,
  balancedLabels,
  bestBaseline,
  candidateSeed,
  describeSchedule,
  describeSearchKeys,
  initTensorflow,
  openPolicy,
  openPolicyReward,
  policyEnv,
  policyInitOf,
  quantizeImages,
  readTensorFile,
  rollout,
  writeTensorFile,
} from "@adagen/core";
import { formatCompare, type CompareReport } from "./compare.js";
import { getModel, openModel } from "./models.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function adagen(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--conditions=adagen-source", "--import", "tsx", "apps/cli/src/cli.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The same command run in this process (`runCli`, stdout and stderr captured): for usage errors that fail before
 * any model is loaded, to keep the suite fast on two cores. The spawned tests above cover the real exit codes.
 */
async function inProcess(...args: string[]): Promise<ReturnType<typeof adagen>> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await runCli(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Exit 2, nothing on stdout, exactly one stderr line that matches. */
function expectUsageError(r: ReturnType<typeof adagen>, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe("");
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines.length, r.stderr).toBe(1);
  expect(lines[0]).toMatch(/^adagen: /);
  expect(lines[0]).toMatch(pattern);
}

const tmp = mkdtempSync(join(tmpdir(), "adagen-cli-"));
/** Trained runs live at POLICIES/M-T, the layout `compare --policy-dir` reads; the folder does not exist yet. */
const POLICIES = join(tmp, "nested", "policies");
const RUN = join(POLICIES, "dit-tiny-2");
const TINY = ["--model", "dit-tiny", "--steps", "2", "--trajectories", "8", "--batch", "8", "--d-warmup", "3", "--eval-every", "1", "--eval-n", "16"];

function metricsLines(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("adagen --help", () => {
  it("top-level --help lists the commands and models", () => {
    const r = adagen("--help");
    expect(r.code).toBe(0);
    for (const s of ["adagen train", "adagen sample", "adagen compare", "adagen baselines", "dit-tiny", "sit-tiny"]) expect(r.stdout).toContain(s);
  });
  const flags: Record<string, string[]> = {
    train: ["--steps", "--iterations", "--batch", "--trajectories", "--out", "--resume", "--seed", "--lr", "--d-lr", "--d-steps", "--d-warmup", "--eval-every", "--eval-n"],
    sample: ["--policy", "--schedule", "--guidance", "--shift", "--n", "--seed", "--out", "logsnr", "karras", "shifted", "best", "default"],
    compare: ["--steps", "--n", "--policy-dir", "--json", "shipped"],
    baselines: ["--steps", "--n", "--seed", "--guidance", "--out", "baselines.json"],
  };
  for (const [cmd, expected] of Object.entries(flags)) {
    it(`${cmd} --help`, () => {
      const r = adagen(cmd, "--help");
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`adagen ${cmd} --model M`);
      for (const f of expected) expect(r.stdout).toContain(f);
    });
  }
});

describe("adagen usage errors: one line, exit 2, nothing written", () => {
  it("spawned: unknown model and bad --steps exit with code 2", () => {
    expectUsageError(adagen("train", "--model", "dit-huge", "--steps", "4", "--out", join(tmp, "never")), /unknown model "dit-huge" \(the zoo has dit-tiny, sit-tiny, maskgit-tiny, var-tiny; or pass a model card file/);
    expectUsageError(adagen("sample", "--model", "dit-tiny", "--steps", "0"), /--steps needs an integer in 1\.\.64, got "0"/);
    expect(existsSync(join(tmp, "never"))).toBe(false);
  });

  it("unknown command, option or model; bad --steps, --n, --seed; missing flags", async () => {
    expectUsageError(await inProcess("frobnicate"), /unknown command "frobnicate"/);
    expectUsageError(await inProcess(), /no command given/);
    expectUsageError(await inProcess("sample", "--model", "dit-tiny", "--steps", "4", "--bogus", "1"), /sample: unknown option --bogus/);
    expectUsageError(await inProcess("compare", "--model", "vae", "--steps", "4", "--n", "8"), /unknown model "vae"/);
    expectUsageError(await inProcess("train", "--model", "dit-tiny", "--steps", "four"), /--steps needs an integer in 1\.\.64, got "four"/);
    expectUsageError(await inProcess("train", "--model", "dit-tiny", "--steps", "65"), /--steps needs an integer in 1\.\.64, got "65"/);
    expectUsageError(await inProcess("train", "--model", "dit-tiny"), /train needs --steps/);
    expectUsageError(await inProcess("compare", "--model", "dit-tiny", "--steps", "4,x", "--n", "8"), /--steps needs comma-separated integers/);
    expectUsageError(await inProcess("compare", "--model", "dit-tiny", "--steps", "4", "--n", "1"), /--n needs an integer ≥ 2, got "1"/);
    expectUsageError(
      await inProcess("sample", "--model", "dit-tiny", "--steps", "2", "--schedule", "uniform", "--n", "4", "--seed", "-1", "--out", join(tmp, "x.npz")),
      /--seed needs an integer in 0\.\.4294967295, got "-1"/,
    );
    expectUsageError(await inProcess("sample", "--model", "dit-tiny", "--steps", "2", "--schedule", "uniform", "--n", "4", "--seed", "1"), /sample needs --out/);
  });

  it("sampler choice: exactly one of --policy / --schedule, schedules per model, shipped policies and baselines", async () => {
    const base = ["--steps", "2", "--n", "4", "--seed", "0", "--out", join(tmp, "x.npz")];
    expectUsageError(await inProcess("sample", "--model", "dit-tiny", ...base), /exactly one of --policy PATH or --schedule NAME/);
    expectUsageError(await inProcess("sample", "--model", "sit-tiny", ...base, "--schedule", "logsnr"), /--schedule logsnr does not apply to sit-tiny \(choose uniform, shifted\)/);
    expectUsageError(await inProcess("sample", "--model", "dit-tiny", ...base, "--schedule", "uniform", "--shift", "2"), /--shift applies to --schedule shifted only/);
    expectUsageError(await inProcess("sample", "--model", "dit-tiny", ...base, "--policy", "default"), /no shipped policy for dit-tiny at 2 steps \(shipped: 4, 8, 16 steps\); train one/);
    expectUsageError(
      await inProcess("sample", "--model", "maskgit-tiny", "--steps", "2", "--schedule", "cosine", "--start", "0.5", "--n", "4", "--seed", "0", "--out", join(tmp, "never.npz")),
      /--start applies to time-point samplers \(diffusion, flow\), not to maskgit-tiny/,
    );
    expectUsageError(
      await inProcess("sample", "--model", "var-tiny", "--steps", "4", "--schedule", "constant", "--n", "4", "--seed", "0", "--out", join(tmp, "never.npz")),
      /var-tiny takes one decision per scale: --steps must be 6 \(or left out\), got 4/,
    );
    expectUsageError(await inProcess("baselines", "--model", "dit-tiny", "--steps", "2", "--top-ks", "10"), /--top-ks does not apply to dit-tiny \(its sampler has no topK\)/);
    expectUsageError(
      await inProcess("baselines", "--model", "dit-tiny", "--steps", "2", "--sample-temp-ends", "0.8"),
      /--sample-temp-ends does not apply to dit-tiny \(its sampler has no sampleTemperature\)/,
    );
    expectUsageError(
      await inProcess("sample", "--model", "maskgit-tiny", "--steps", "2", "--schedule", "cosine", "--guidance-end", "2", "--n", "4", "--seed", "0", "--out", join(tmp, "never.npz")),
      /the cosine schedule cannot run: a guidance ramp to 2 needs its first weight \(guidance\)/,
    );
    expectUsageError(await inProcess("sample", "--model", "dit-tiny", ...base, "--schedule", "best", "--guidance-end", "1"), /--guidance-end applies to a named --schedule, not to --schedule best/);
    expectUsageError(await inProcess("sample", "--model", "dit-tiny", ...base, "--schedule", "best"), /no searched baseline for dit-tiny at 2 steps in packages\/zoo\/baselines\.json/);
    expectUsageError(await inProcess("sample", "--model", "dit-tiny", ...base, "--schedule", "best", "--guidance", "1"), /--guidance applies to a named --schedule, not to --schedule best/);
    expectUsageError(await inProcess("baselines", "--model", "dit-tiny", "--steps", "2", "--guidance", "1,-1"), /--guidance needs comma-separated numbers ≥ 0/);
    expectUsageError(await inProcess("baselines", "--model", "dit-tiny", "--steps", "2", "--guidance", "1,1"), /--guidance lists a value twice/);
    expectUsageError(await inProcess("train", ...TINY.slice(0, 4), "--out", join(tmp, "never"), "--lr", "0"), /--lr needs a number ≥ 1e-9, got "0"/);
    // logSNR-uniform at 16 steps puts its last two points closer than the sampler's 0.01 minimum gap.
    expectUsageError(
      await inProcess("sample", "--model", "dit-tiny", "--steps", "16", "--schedule", "logsnr", "--n", "4", "--seed", "0", "--out", join(tmp, "x.npz")),
      /the logsnr schedule cannot run: heuristic time 16 is 0\.01; it must be at most the previous 0\.0177\d* minus 0\.01/,
    );
    // --times: the T+1 points themselves, checked before and by the sampler, every message naming the value.
    expectUsageError(await inProcess("sample", "--model", "dit-tiny", ...base, "--schedule", "uniform", "--times", "0.8,0.01"), /--times needs 3 time points for --steps 2 \(steps \+ 1\), got 2/);
    expectUsageError(
      await inProcess("sample", "--model", "dit-tiny", ...base, "--schedule", "uniform", "--times", "0.8,0.85,0.01"),
      /the uniform schedule cannot run: schedule time 1 is 0\.85; it must be at most the previous 0\.8 minus 0\.01/,
    );
    expectUsageError(await inProcess("sample", "--model", "dit-tiny", ...base, "--schedule", "uniform", "--times", "0.8,0.3,0.01", "--start", "0.8"), /--times gives every time point, the start among them: drop --start/);
    expectUsageError(await inProcess("sample", "--model", "dit-tiny", ...base, "--schedule", "best", "--times", "0.8,0.3,0.01"), /--times applies to a named --schedule, not to --schedule best/);
    expectUsageError(
      await inProcess("sample", "--model", "maskgit-tiny", ...base, "--schedule", "cosine", "--times", "0.8,0.3,0.01"),
      /--times applies to time-point samplers \(diffusion, flow\), not to maskgit-tiny/,
    );
    expect(existsSync(join(tmp, "x.npz"))).toBe(false);
    const own = await inProcess("sample", "--model", "sit-tiny", "--steps", "2", "--schedule", "uniform", "--times", "0.1,0.6,0.99", "--n", "2", "--seed", "0", "--out", join(tmp, "own.npz"), "--json");
    expect(own.code, own.stderr).toBe(0);
    expect(JSON.parse(own.stdout).sampler).toBe("uniform schedule, w = 1.5, times 0.1, 0.6, 0.99");
    // --schedule best names every setting it runs, MaskGIT's temperatures too.
    const best = await inProcess("sample", "--model", "maskgit-tiny", "--steps", "4", "--schedule", "best", "--n", "2", "--seed", "0", "--out", join(tmp, "mg.npz"), "--json");
    expect(best.code, best.stderr).toBe(0);
    const zooBest = bestBaseline(getModel("maskgit-tiny"), 4)!.best.schedule;
    expect(JSON.parse(best.stdout).sampler).toBe(
      `cosine schedule, w = ${zooBest.guidance}${zooBest.guidanceEnd === undefined ? "" : ` → ${zooBest.guidanceEnd}`}${describeSearchKeys(zooBest)}`,
    );
    expect(describeSearchKeys(zooBest)).toMatch(/mask temperature .*, sampling temperature /);
  });
});

describe("adagen train → resume → sample → compare (dit-tiny, 2 steps, tiny batches)", () => {
  it("train writes run.json, checkpoint, one metrics line and a policy into a new nested --out", () => {
    const r = adagen("train", ...TINY, "--iterations", "1", "--out", RUN, "--json");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ dir: RUN, policy: join(RUN, "policy.adagen"), iteration: 1, resumedFrom: null });
    expect(j.rewardMean).toBeGreaterThan(0);
    expect(readdirSync(RUN).sort()).toEqual(["best.adagen", "checkpoint.adagen", "metrics.jsonl", "policy.adagen", "run.json"]);
    // Iteration 0 is the heuristic's validation; iteration 1 carries the warm-up figures and its own validation.
    const lines = metricsLines(RUN);
    expect(lines.map((m) => m.iteration)).toEqual([0, 1]);
    expect((lines[0].validation as { fid: number }).fid).toBeGreaterThan(0);
    expect(lines[1].discriminatorWarmup).toBeDefined();
    expect(j.selectedIteration).toBe((lines[1].validation as { fid: number }).fid < (lines[0].validation as { fid: number }).fid ? 1 : 0);
    // Progress on stderr (not a terminal here: one line per iteration) with reward, D loss, validation and timing.
    expect(r.stderr).toMatch(/1\/1 iterations reward [\d.]+ ± [\d.]+ \| D loss [\d.]+ \| val FID [\d.]+ \(best [\d.]+ @ [01]\) \| [\d.]+ s\/it \| ETA/);
  });

  it("refuses to overwrite a run without --resume, or to resume it as another model or step count", async () => {
    expectUsageError(adagen("train", ...TINY, "--out", RUN), /already holds a run .*pass --resume/);
    expectUsageError(await inProcess("train", "--model", "sit-tiny", "--steps", "2", "--out", RUN, "--resume"), /was trained for dit-tiny at 2 steps, not sit-tiny at 2/);
    expectUsageError(await inProcess("train", "--model", "dit-tiny", "--steps", "4", "--out", RUN, "--resume"), /was trained for dit-tiny at 2 steps, not dit-tiny at 4/);
    expectUsageError(await inProcess("train", "--model", "dit-tiny", "--steps", "2", "--batch", "16", "--out", RUN, "--resume"), /batch 16 differs from the run's 8/);
    expectUsageError(await inProcess("train", ...TINY, "--out", join(tmp, "empty"), "--resume"), /no checkpoint to resume/);
    expectUsageError(await inProcess("train", "--model", "dit-tiny", "--steps", "2", "--lr", "0.1", "--out", RUN, "--resume"), /--lr cannot change on --resume/);
    expectUsageError(await inProcess("train", "--model", "dit-tiny", "--steps", "2", "--augment", "translate-cutout", "--out", RUN, "--resume"), /--augment cannot change on --resume/);
    expectUsageError(await inProcess("train", ...TINY, "--augment", "blur", "--out", join(tmp, "aug")), /--augment blur is not one of none, translate-cutout/);
    expectUsageError(await inProcess("train", "--model", "dit-tiny", "--steps", "2", "--d-loss", "hinge", "--out", RUN, "--resume"), /--d-loss cannot change on --resume/);
    expect(metricsLines(RUN).length).toBe(2);
    const recipe = JSON.parse(readFileSync(join(RUN, "run.json"), "utf8")).recipe;
    expect([recipe.augment, recipe.discriminatorLoss]).toEqual(["none", "logistic"]);
  });

  it("--resume --iterations 2 continues at iteration 2, as an uninterrupted 2-iteration run does", () => {
    const r = adagen("train", "--model", "dit-tiny", "--steps", "2", "--iterations", "2", "--out", RUN, "--resume", "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ iteration: 2, resumedFrom: 1 });
    const straightDir = join(tmp, "straight");
    const s = adagen("train", ...TINY, "--iterations", "2", "--out", straightDir, "--quiet");
    expect(s.code, s.stderr).toBe(0);
    const [resumed, straight] = [metricsLines(RUN), metricsLines(straightDir)];
    expect(resumed.map((m) => m.iteration)).toEqual([0, 1, 2]);
    // Iteration 2 restores actor, critic, discriminator, both Adam states and the RNG: identical figures.
    for (const k of ["rewardMean", "rewardStd", "explorationStd", "policyLoss", "valueLoss", "validation"]) expect(resumed[2][k], k).toEqual(straight[2][k]);
    expect(resumed[2].discriminator).toEqual(straight[2].discriminator);
  });

  it("sample with the trained policy and with a schedule: ADM npz, uint8 images, balanced int64 labels", async () => {
    const p = join(tmp, "out", "policy.npz");
    const r = adagen("sample", "--model", "dit-tiny", "--steps", "2", "--policy", join(RUN, "policy.adagen"), "--n", "20", "--seed", "3", "--out", p, "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ output: p, samples: 20, seed: 3 });
    const s = join(tmp, "out", "karras.npz");
    const k = adagen("sample", "--model", "dit-tiny", "--steps", "2", "--schedule", "karras", "--guidance", "0.5", "--n", "20", "--seed", "3", "--out", s, "--quiet");
    expect(k.code, k.stderr).toBe(0);
    for (const file of [p, s]) {
      const npz = readNpz(file);
      const images = npz.get("arr_0")!;
      const labels = npz.get("arr_1")!;
      expect(images.dtype).toBe("uint8");
      expect(images.shape).toEqual([20, 28, 28, 1]);
      expect(labels.dtype).toBe("int64");
      expect(Array.from(labels.data as BigInt64Array, Number)).toEqual(Array.from({ length: 20 }, (_, i) => Math.floor(i / 2)));
      const mean = (images.data as Uint8Array).reduce((a, b) => a + b, 0) / images.data.length;
      expect(mean).toBeGreaterThan(10); // images, not an empty canvas
    }
    expect(readdirSync(join(tmp, "out")).sort()).toEqual(["karras.npz", "policy.npz"]);
    // An --out that cannot be written (here a folder) is one line, exit 2, and leaves no temporary file.
    expectUsageError(
      await inProcess("sample", "--model", "dit-tiny", "--steps", "2", "--schedule", "uniform", "--n", "2", "--seed", "0", "--out", join(tmp, "out")),
      /out: cannot write \(EISDIR\)/,
    );
    expect(readdirSync(tmp).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("sample --best-of N: the run's policy carries its discriminator; each image is its best-scored candidate; N = 0 is plain", async () => {
    const policyFile = join(RUN, "policy.adagen");
    const { meta, tensors } = await readTensorFile(policyFile);
    expect(meta.discriminator).toMatchObject({ kind: "projected", backbone: "fmnist-vit.adagen", iteration: 2 });
    expect(Object.keys(tensors).filter((k) => k.startsWith("discriminator/")).length).toBeGreaterThan(0);
    // And its critic, for lookahead (dit-tiny's transitions are deterministic, so it is only carried here).
    expect(meta.critic).toMatchObject({ outputs: 1 });
    expect(Object.keys(tensors).filter((k) => k.startsWith("critic/")).length).toBeGreaterThan(0);
    const args = ["--model", "dit-tiny", "--steps", "2", "--policy", policyFile, "--n", "20", "--seed", "3", "--quiet"];
    const [zero, two] = [join(tmp, "best", "0.npz"), join(tmp, "best", "2.npz")];
    expect((await inProcess("sample", ...args, "--best-of", "0", "--out", zero)).code).toBe(0);
    const r = await inProcess("sample", ...args, "--best-of", "2", "--out", two, "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).sampler).toBe(`policy ${policyFile}, best of 3 by its discriminator`);
    const images = (file: string) => readNpz(file).get("arr_0")!.data as Uint8Array;
    // Best of 1 is the plain policy sample of the test above (same n and seed).
    expect(Buffer.from(images(zero)).equals(Buffer.from(images(join(tmp, "out", "policy.npz"))))).toBe(true);
    // Redraw the three candidates of the one chunk and score them with the file's discriminator, here.
    await initTensorflow();
    const entry = getModel("dit-tiny");
    const opened = await openModel(entry, 2, await policyInitOf(policyFile, entry, 2));
    const source = await openPolicy(policyFile, entry, 2, opened);
    const judge = await openPolicyReward(policyFile, entry);
    try {
      const labels = balancedLabels(20, 10);
      const chunkSeed = new Random(3).nextUint32();
      const size = 28 * 28;
      const kept = images(two);
      const chosen: number[] = [];
      const candidates = [];
      for (let c = 0; c < 3; c++) {
        const { samples } = await rollout(policyEnv(opened.env, source), source.actor, new ActionDecoder(source.actionSpec), labels, candidateSeed(chunkSeed, c));
        candidates.push({ pixels: new Uint8Array(samples.data.length), scores: await judge.reward.score(samples, labels) });
        quantizeImages(samples.data, candidates[c].pixels);
      }
      for (let b = 0; b < 20; b++) {
        let best = 0;
        for (let c = 1; c < 3; c++) if (candidates[c].scores[b] > candidates[best].scores[b]) best = c;
        chosen.push(best);
        expect(Buffer.from(kept.subarray(b * size, (b + 1) * size)).equals(Buffer.from(candidates[best].pixels.subarray(b * size, (b + 1) * size))), `image ${b}`).toBe(true);
      }
      // The pick is not always candidate 0, so the comparison above can fail.
      expect(new Set(chosen).size).toBeGreaterThan(1);
    } finally {
      judge.dispose();
      source.actor.dispose();
      await opened.dispose();
    }
  });

  it("a policy trained for another model or step count is refused", () => {
    const base = ["--policy", join(RUN, "policy.adagen"), "--n", "4", "--seed", "0", "--out", join(tmp, "wrong.npz")];
    expectUsageError(adagen("sample", "--model", "sit-tiny", "--steps", "2", ...base), /policy was trained for dit-tiny at 2 steps, not sit-tiny at 2 steps/);
    expectUsageError(adagen("sample", "--model", "dit-tiny", "--steps", "4", ...base), /policy was trained for dit-tiny at 2 steps, not dit-tiny at 4 steps/);
    expect(existsSync(join(tmp, "wrong.npz"))).toBe(false);
  });

  it("baselines scores every schedule × guidance and keeps the best; sample --schedule best reads the zoo's file", () => {
    const out = join(tmp, "bl", "baselines.json");
    const r = adagen("baselines", "--model", "sit-tiny", "--steps", "2", "--n", "16", "--guidance", "0.5,2", "--starts", "0.01,0.1", "--out", out, "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    const search = JSON.parse(readFileSync(out, "utf8")).models["sit-tiny"]["2"];
    expect(JSON.parse(r.stdout).models["sit-tiny"]["2"]).toEqual(search);
    // uniform + shifted (shift 2, 3), each from start 0.01 and 0.1, each at w = 0.5 and 2.
    type Entry = { schedule: { name: string; shift?: number; start: number; guidance: number }; fid: number };
    expect(search.grid.map((g: Entry) => `${g.schedule.name}${g.schedule.shift ?? ""}/${g.schedule.start}@${g.schedule.guidance}`)).toEqual([
      "uniform/0.01@0.5", "uniform/0.01@2", "uniform/0.1@0.5", "uniform/0.1@2",
      "shifted2/0.01@0.5", "shifted2/0.01@2", "shifted2/0.1@0.5", "shifted2/0.1@2",
      "shifted3/0.01@0.5", "shifted3/0.01@2", "shifted3/0.1@0.5", "shifted3/0.1@2",
    ]);
    // The start time is part of the sampler: same schedule and weight, another start, other images.
    const fidOf = (start: number) => search.grid.find((g: Entry) => g.schedule.name === "uniform" && g.schedule.start === start && g.schedule.guidance === 2).fid;
    expect(fidOf(0.1)).not.toBe(fidOf(0.01));
    // --merge adds candidates to the step count's grid (a re-scored one replaces its row) and re-picks the best.
    const m = adagen("baselines", "--model", "sit-tiny", "--steps", "2", "--n", "16", "--guidance", "2", "--starts", "0.05,0.1", "--merge", "--out", out, "--json", "--quiet");
    expect(m.code, m.stderr).toBe(0);
    const merged = JSON.parse(readFileSync(out, "utf8")).models["sit-tiny"]["2"];
    expect(merged.grid).toHaveLength(12 + 3); // 3 new start-0.05 rows; the start-0.1, w = 2 rows were re-scored in place
    expect(merged.grid.filter((g: Entry) => g.schedule.start === 0.05)).toHaveLength(3);
    expect(merged.best.fid).toBe(Math.min(...merged.grid.map((g: Entry) => g.fid)));
    expectUsageError(
      adagen("baselines", "--model", "sit-tiny", "--steps", "2", "--n", "8", "--starts", "0.05", "--guidance", "2", "--merge", "--out", out),
      /--merge: .* on 16 samples with seed 7919, not --n 8 --seed 7919/,
    );
    const best = Math.min(...search.grid.map((g: { fid: number }) => g.fid));
    expect(search.best.fid).toBe(best);
    expect(search.reference).toContain("train-stats");
  });

  it("baselines --guidance-ends adds linear guidance ramps from each searched weight (diffusion, flow, MaskGIT); --schedules picks schedules", () => {
    const out = join(tmp, "ramp-baselines.json");
    const r = adagen("baselines", "--model", "sit-tiny", "--steps", "2", "--n", "16", "--guidance", "0.5,2", "--guidance-ends", "2", "--starts", "0.05", "--out", out, "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    const grid: { schedule: { name: string; shift?: number; guidance: number; guidanceEnd?: number }; fid: number }[] = JSON.parse(r.stdout).models["sit-tiny"]["2"].grid;
    // Per schedule: w = 0.5, its ramp 0.5 → 2, and w = 2 (a ramp to its own weight is that constant).
    expect(grid.map((g) => `${g.schedule.name}${g.schedule.shift ?? ""}@${g.schedule.guidance}${g.schedule.guidanceEnd === undefined ? "" : `-${g.schedule.guidanceEnd}`}`)).toEqual([
      "uniform@0.5", "uniform@0.5-2", "uniform@2", "shifted2@0.5", "shifted2@0.5-2", "shifted2@2", "shifted3@0.5", "shifted3@0.5-2", "shifted3@2",
    ]);
    // The ramp is a sampler of its own, neither end's constant.
    expect(new Set(grid.slice(0, 3).map((g) => g.fid)).size).toBe(3);
    const only = adagen("baselines", "--model", "sit-tiny", "--steps", "2", "--n", "16", "--schedules", "shifted", "--guidance", "2", "--starts", "0.05", "--out", join(tmp, "only.json"), "--json", "--quiet");
    expect(only.code, only.stderr).toBe(0);
    expect(JSON.parse(only.stdout).models["sit-tiny"]["2"].grid.map((g: { schedule: unknown }) => g.schedule)).toEqual([
      { name: "shifted", shift: 2, start: 0.05, guidance: 2 },
      { name: "shifted", shift: 3, start: 0.05, guidance: 2 },
    ]);
    expectUsageError(
      adagen("baselines", "--model", "sit-tiny", "--steps", "2", "--schedules", "uniform,logsnr", "--out", join(tmp, "never.json")),
      /--schedules: "logsnr" is not one of sit-tiny's schedules \(uniform, shifted\)/,
    );
  });

  it("baselines for var-tiny: its 6 scales without --steps, top-k × top-p × temperature × guidance (constant and ramped)", () => {
    const out = join(tmp, "var-baselines.json");
    const r = adagen("baselines", "--model", "var-tiny", "--n", "16", "--guidance", "1.5", "--guidance-ends", "3", "--top-ks", "1,112", "--top-ps", "0.96", "--sample-temps", "1", "--sample-temp-ends", "0.8", "--out", out, "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    const search = JSON.parse(r.stdout).models["var-tiny"]["6"];
    // Each guidance (constant, ramp) × top-k × temperature (constant, ramp 1 → 0.8).
    const row = (topK: number, ramps: { guidanceEnd?: number; sampleTemperatureEnd?: number }) => ({ name: "constant", guidance: 1.5, sampleTemperature: 1, topK, topP: 0.96, ...ramps });
    expect(search.grid.map((g: { schedule: unknown }) => g.schedule)).toEqual([
      row(1, {}), row(1, { sampleTemperatureEnd: 0.8 }), row(112, {}), row(112, { sampleTemperatureEnd: 0.8 }),
      row(1, { guidanceEnd: 3 }), row(1, { guidanceEnd: 3, sampleTemperatureEnd: 0.8 }), row(112, { guidanceEnd: 3 }), row(112, { guidanceEnd: 3, sampleTemperatureEnd: 0.8 }),
    ]);
    // Top-k 1 is the guided argmax: other images, another FID; each ramp is a sampler of its own.
    const fids = search.grid.map((g: { fid: number }) => g.fid);
    expect(fids[0]).not.toBe(fids[2]);
    expect(fids[6]).not.toBe(fids[2]);
    expect(fids[3]).not.toBe(fids[2]);
  });

  it("baselines --rescore K scores the grid's K best again on --rescore-n samples and takes the winner from those", () => {
    const out = join(tmp, "rescore.json");
    const args = ["baselines", "--model", "sit-tiny", "--steps", "2", "--n", "10", "--schedules", "uniform", "--starts", "0.05", "--out", out];
    const r = adagen(...args, "--guidance", "0,1,3", "--rescore", "2", "--rescore-n", "20", "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    type Row = { schedule: { guidance: number }; fid: number };
    const search = JSON.parse(r.stdout).models["sit-tiny"]["2"];
    const byFid = [...search.grid].sort((a: Row, b: Row) => a.fid - b.fid);
    expect(search.rescored).toMatchObject({ top: 2, samples: 20 });
    expect(search.rescored.grid.map((g: Row) => g.schedule)).toEqual(byFid.slice(0, 2).map((g: Row) => g.schedule));
    // Other samples, other scores; the winner is the rescored row with the lowest FID, its 20-sample scores kept.
    for (const row of search.rescored.grid) expect(row.fid).not.toBe(search.grid.find((g: Row) => g.schedule.guidance === row.schedule.guidance).fid);
    expect(search.best).toEqual([...search.rescored.grid].sort((a: Row, b: Row) => a.fid - b.fid)[0]);
    // A merge keeps the rescore: the new top 2 are rescored, a row already rescored is reused, not sampled again.
    const m = adagen(...args, "--guidance", "0.5", "--merge");
    expect(m.code, m.stderr).toBe(0);
    const merged = JSON.parse(readFileSync(out, "utf8")).models["sit-tiny"]["2"];
    expect(m.stdout.trim()).toBe(`sit-tiny T=2: ${describeSchedule(merged.best.schedule)}, validation FID ${merged.best.fid.toFixed(2)} on 20 samples`);
    const top2 = [...merged.grid].sort((a: Row, b: Row) => a.fid - b.fid).slice(0, 2).map((g: Row) => g.schedule);
    expect(merged.rescored.grid.map((g: Row) => g.schedule)).toEqual(top2);
    const kept = top2.filter((s: { guidance: number }) => search.rescored.grid.some((g: Row) => g.schedule.guidance === s.guidance));
    expect(m.stderr).toContain(`(${kept.length} scored before)`);
    expect(m.stderr).toContain(`validation FID ${merged.best.fid.toFixed(2)} on 20 samples (the grid's top 2 of ${merged.grid.length} rescored, merged)`);
    for (const s of kept)
      expect(merged.rescored.grid.find((g: Row) => g.schedule.guidance === s.guidance)).toEqual(search.rescored.grid.find((g: Row) => g.schedule.guidance === s.guidance));
    expectUsageError(adagen(...args, "--guidance", "1", "--rescore", "2", "--rescore-n", "10"), /--rescore-n 10 must be more samples than --n 10/);
    expectUsageError(adagen(...args, "--guidance", "1", "--rescore-n", "40"), /--rescore-n sets the samples of --rescore K: give --rescore too/);
    expectUsageError(adagen(...args, "--guidance", "1", "--merge", "--rescore", "2", "--rescore-n", "30"), /--merge: .* rescored its 2-step search on 20 samples, not --rescore-n 30/);
  });

  it("baselines --refine-times moves the winner's interior time points and keeps a move only when it lowers FID", () => {
    const out = join(tmp, "refine.json");
    const grid = ["baselines", "--model", "sit-tiny", "--steps", "3", "--n", "10", "--schedules", "uniform", "--starts", "0.05", "--out", out];
    expect(adagen(...grid, "--guidance", "1,3", "--quiet").code).toBe(0);
    const searched = JSON.parse(readFileSync(out, "utf8")).models["sit-tiny"]["3"];
    const refine = ["baselines", "--model", "sit-tiny", "--steps", "3", "--refine-times", "0.4", "--refine-sweeps", "1", "--refine-n", "20", "--out", out];
    const r = adagen(...refine);
    expect(r.code, r.stderr).toBe(0);
    type Row = { schedule: { times?: number[]; guidance: number }; fid: number };
    const search = JSON.parse(readFileSync(out, "utf8")).models["sit-tiny"]["3"];
    const { from, grid: moves } = search.refined as { from: Row; grid: Row[] };
    // It starts from the grid's winner, scored on the refinement's 20 samples, and the grid itself is kept.
    expect(from.schedule).toEqual(searched.best.schedule);
    expect(search.grid).toEqual(searched.grid);
    expect(search.refined).toMatchObject({ fractions: [0.4], sweeps: 1, samples: 20 });
    // One pass: each of the 2 interior points (uniform from 0.05 over 3 steps: 0.05, 0.3633, 0.6767, 0.99) moved
    // 0.4 of its gap towards the noise, then, unless that was taken, towards the data; the ends never move.
    expect(moves.length).toBeGreaterThanOrEqual(2);
    expect(moves.length).toBeLessThanOrEqual(4);
    expect(moves[0].schedule.times!.map((t) => Number(t.toFixed(4)))).toEqual([0.05, 0.238, 0.6767, 0.99]);
    for (const m of moves) expect([m.schedule.times![0], m.schedule.times![3]]).toEqual([0.05, 0.99]);
    for (const m of moves) expect(m.schedule.guidance).toBe(from.schedule.guidance);
    // The best is the start or a move that beats it by more than 0.5 %; compare's baseline is that schedule.
    const lowest = [from, ...moves].reduce((a, b) => (b.fid < a.fid ? b : a));
    if (lowest.fid < from.fid * 0.995) expect(search.best).toEqual(lowest);
    else expect(search.best).toEqual(from);
    expect(r.stdout.trim()).toBe(`sit-tiny T=3: ${describeSchedule(search.best.schedule)}, validation FID ${search.best.fid.toFixed(2)} on 20 samples`);
    expect(r.stderr).toContain("time point 1 moved towards the noise by 0.4 of its gap: FID");
    // Refining again starts from the grid's winner, not from the last refinement.
    expect(adagen(...refine, "--quiet").code).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).models["sit-tiny"]["3"].refined.from).toEqual(from);
    expectUsageError(adagen(...refine, "--guidance", "1"), /--refine-times refines the search already in --out; it takes no grid flag \(--guidance\)/);
    expectUsageError(adagen(...refine.map((a) => (a === "3" ? "5" : a))), /holds no 5-step search of sit-tiny; run adagen baselines --steps 5 first/);
    expectUsageError(adagen(...grid, "--refine-n", "20"), /--refine-n sets a refinement of the winner: give --refine-times, --refine-knobs or --refine-from too/);
    expectUsageError(adagen(...refine.map((a) => (a === "0.4" ? "1" : a))), /--refine-times: each move is a fraction of a gap strictly between 0 and 1, got 1/);

    // --refine-continue: a further pass from the refinement's best, reusing what an earlier pass scored. The file is
    // set to a first pass that tried only the first move and found it bad (FID 99), so the continued pass must
    // start from the grid's winner, take that move's score from the file (not 99 when sampled again), and append.
    const file = JSON.parse(readFileSync(out, "utf8"));
    const firstPass = file.models["sit-tiny"]["3"];
    const bad = { ...moves[0], fid: 99 };
    Object.assign(firstPass, { best: from, refined: { ...firstPass.refined, grid: [bad] } });
    writeFileSync(out, JSON.stringify(file));
    const c = adagen(...refine, "--refine-continue");
    expect(c.code, c.stderr).toBe(0);
    const continued = JSON.parse(readFileSync(out, "utf8")).models["sit-tiny"]["3"].refined;
    expect(c.stderr).toContain("time point 1 moved towards the noise by 0.4 of its gap: FID 99.000 (scored by an earlier pass)");
    expect(continued).toMatchObject({ from, fractions: [0.4], sweeps: 1, samples: 20, continued: [{ fractions: [0.4], sweeps: 1 }] });
    expect(continued.grid[0]).toEqual(bad);
    expect(continued.grid.length).toBeGreaterThan(1);
    const times = continued.grid.map((m: Row) => JSON.stringify(m.schedule.times));
    expect(new Set(times).size).toBe(times.length);
    expectUsageError(adagen(...refine.map((a) => (a === "20" ? "30" : a)), "--refine-continue"), /--refine-n 30: the 3-step refinement to continue was scored on 20 samples/);
    expectUsageError(adagen(...grid, "--refine-continue"), /--refine-continue sets a refinement of the winner: give --refine-times, --refine-knobs or --refine-from too/);
    const unrefined = join(tmp, "unrefined.json");
    writeFileSync(unrefined, JSON.stringify({ format: "adagen-baselines", models: { "sit-tiny": { "3": searched } } }));
    expectUsageError(
      adagen(...refine.map((a) => (a === out ? unrefined : a)), "--refine-continue"),
      /--refine-continue: .*unrefined\.json's 3-step search of sit-tiny has no refinement to continue; run --refine-times or --refine-knobs without it first/,
    );
  });

  it("baselines --refine-from carries another step count's best to this one and starts from whichever scores lower", () => {
    const out = join(tmp, "refine-from.json");
    const grid = (steps: string, w: string) => ["baselines", "--model", "sit-tiny", "--steps", steps, "--n", "10", "--schedules", "uniform", "--starts", "0.05", "--guidance", w, "--out", out, "--quiet"];
    expect(adagen(...grid("3", "3")).code).toBe(0);
    expect(adagen(...grid("6", "1")).code).toBe(0);
    // The 3-step best as a refinement leaves it: its own time points, w = 3.
    const file = JSON.parse(readFileSync(out, "utf8"));
    const three = file.models["sit-tiny"]["3"];
    three.best = { ...three.best, schedule: { ...three.best.schedule, times: [0.05, 0.2, 0.6, 0.99] } };
    writeFileSync(out, JSON.stringify(file));
    const refine = ["baselines", "--model", "sit-tiny", "--steps", "6", "--refine-from", "3", "--refine-n", "20", "--out", out];
    const r = adagen(...refine);
    expect(r.code, r.stderr).toBe(0);
    type Row = { schedule: { times?: number[]; guidance: number }; fid: number };
    const search = JSON.parse(readFileSync(out, "utf8")).models["sit-tiny"]["6"];
    const { carried, from, grid: moves } = search.refined as { carried: { steps: number; results: Row[]; winner: Row }; from: Row; grid: Row[] };
    // The 3-step points read off at sixths (midpoints between them), with the 6-step winner's guidance (1) and with the 3-step best's own (3).
    expect(carried.steps).toBe(3);
    for (const c of carried.results) expect(c.schedule.times!.map((t) => Number(t.toFixed(4)))).toEqual([0.05, 0.125, 0.2, 0.4, 0.6, 0.795, 0.99]);
    expect(carried.results.map((c) => c.schedule.guidance)).toEqual([1, 3]);
    expect({ ...carried.results[0].schedule, times: undefined }).toEqual({ ...carried.winner.schedule, times: undefined });
    expect(carried.winner.schedule).toEqual(file.models["sit-tiny"]["6"].best.schedule);
    // Without moves the refinement is that choice: the lower of the two, which becomes the best.
    expect(moves).toEqual([]);
    expect(from).toEqual([carried.winner, ...carried.results].reduce((a, b) => (b.fid < a.fid ? b : a)));
    expect(search.best).toEqual(from);
    expect(r.stderr).toContain(`the 3-step best's points carried to 6 steps: FID ${carried.results[0].fid.toFixed(3)} (`);
    expect(r.stderr).toContain(`; the grid's winner: ${carried.winner.fid.toFixed(3)}; starting from`);
    // A later fresh refinement starts from the grid's winner again, and may carry again.
    const again = adagen("baselines", "--model", "sit-tiny", "--steps", "6", "--refine-times", "0.4", "--refine-sweeps", "1", "--refine-n", "20", "--out", out, "--quiet");
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8")).models["sit-tiny"]["6"].refined.from).toEqual(carried.winner);

    expectUsageError(adagen(...refine.map((a) => (a === "6" ? "3" : a))), /--refine-from 3 carries the 3-step best to other step counts; --steps lists 3 too/);
    expectUsageError(adagen(...refine.map((a) => (a === "3" ? "5" : a))), /--refine-from 5: .* holds no 5-step search of sit-tiny to carry/);
    expectUsageError(adagen(...refine, "--refine-continue"), /--refine-from starts a refinement afresh; it does not combine with --refine-continue/);
    three.best.schedule.times = [0.95, 0.96, 0.975, 0.99];
    writeFileSync(out, JSON.stringify(file));
    expectUsageError(adagen(...refine), /--refine-from 3: the 3-step best's points \(.*\) cannot be carried to 6 steps: 6 steps with gaps of at least 0.01 do not fit between 0.95 and 0.99/);
  });

  it("baselines --refine-times refines maskgit's mask ratios (the first and last stay) and refuses var's scales", () => {
    const out = join(tmp, "refine-maskgit.json");
    const grid = ["baselines", "--model", "maskgit-tiny", "--steps", "3", "--n", "10", "--schedules", "cosine", "--guidance", "1", "--mask-temps", "1", "--sample-temps", "1", "--out", out];
    expect(adagen(...grid, "--quiet").code).toBe(0);
    const r = adagen("baselines", "--model", "maskgit-tiny", "--steps", "3", "--refine-times", "0.4", "--refine-sweeps", "1", "--refine-n", "20", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    type Row = { schedule: { maskRatios?: number[]; guidance: number; name: string }; fid: number };
    const search = JSON.parse(readFileSync(out, "utf8")).models["maskgit-tiny"]["3"];
    const { from, grid: moves } = search.refined as { from: Row; grid: Row[] };
    expect(from.schedule.maskRatios).toBeUndefined();
    // The cosine's ratios after steps 1-3 (cos(π/2 · (k + 1 − 0.001)/3)); the first moved up by 0.4 of its gap to 1.
    const cosine = [0, 1, 2].map((k) => Math.cos((Math.PI / 2) * ((k + 1 - 0.001) / 3)));
    expect(moves.length).toBeGreaterThanOrEqual(2);
    expect(moves.length).toBeLessThanOrEqual(4);
    expect(moves[0].schedule.maskRatios!.map((m) => Number(m.toFixed(4)))).toEqual([cosine[0] + 0.4 * (1 - cosine[0]), cosine[1], cosine[2]].map((m) => Number(m.toFixed(4))));
    for (const m of moves) expect(m.schedule.maskRatios![2]).toBeCloseTo(cosine[2], 6);
    for (const m of moves) expect({ ...m.schedule, maskRatios: undefined }).toEqual({ ...from.schedule, maskRatios: undefined });
    expect(r.stderr).toContain("mask ratio after step 1 moved up (more kept masked) by 0.4 of its gap: FID");
    expect(r.stdout.trim()).toBe(`maskgit-tiny T=3: ${describeSchedule(search.best.schedule)}, validation FID ${search.best.fid.toFixed(2)} on 20 samples`);
    // A ratio acts only through the masked count ⌊49·m⌋ (cosine: 42, 24, 0): continuing from the cosine with moves of
    // 1 % of a gap keeps every count, so each move is the start's sampler and nothing is sampled or scored.
    const file = JSON.parse(readFileSync(out, "utf8"));
    Object.assign(file.models["maskgit-tiny"]["3"], { best: from, refined: { ...search.refined, grid: [] } });
    writeFileSync(out, JSON.stringify(file));
    const c = adagen("baselines", "--model", "maskgit-tiny", "--steps", "3", "--refine-times", "0.01", "--refine-sweeps", "1", "--refine-continue", "--out", out);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).not.toContain("moved");
    const after = JSON.parse(readFileSync(out, "utf8")).models["maskgit-tiny"]["3"];
    expect(after.refined).toMatchObject({ grid: [], continued: [{ fractions: [0.01], sweeps: 1 }] });
    expect(after.best).toEqual(from);
    const zoo = JSON.parse(readFileSync(join(ROOT, "packages/zoo/baselines.json"), "utf8"));
    const varOnly = join(tmp, "refine-var.json");
    writeFileSync(varOnly, JSON.stringify({ format: "adagen-baselines", models: { "var-tiny": { "6": zoo.models["var-tiny"]["6"] } } }));
    expectUsageError(
      adagen("baselines", "--model", "var-tiny", "--steps", "6", "--refine-times", "0.4", "--refine-n", "20", "--out", varOnly),
      /--refine-times applies to samplers with time points \(diffusion, flow\) or mask ratios \(maskgit\); var-tiny's has neither/,
    );
    expectUsageError(
      adagen("baselines", "--model", "var-tiny", "--steps", "6", "--refine-from", "4", "--refine-n", "20", "--out", varOnly),
      /--refine-from 4: .* holds no 4-step search of var-tiny to carry/,
    );
  });

  it("baselines --refine-knobs moves the winner's scalar settings one at a time by their steps, skipping values out of range", () => {
    const zoo = JSON.parse(readFileSync(join(ROOT, "packages/zoo/baselines.json"), "utf8"));
    // The zoo's searched best with top-p 0.96, so a move up by 0.05 leaves top-p's range.
    const searched = zoo.models["var-tiny"]["6"];
    const shipped = { ...searched, best: { ...searched.best, schedule: { ...searched.best.schedule, topP: 0.96 } } };
    const out = join(tmp, "refine-knobs.json");
    writeFileSync(out, JSON.stringify({ format: "adagen-baselines", models: { "var-tiny": { "6": { ...shipped, refined: undefined, rescored: undefined } } } }));
    const refine = ["baselines", "--model", "var-tiny", "--refine-knobs", "guidance:0.5,topP:0.05,topK:8", "--refine-sweeps", "1", "--refine-n", "20", "--out", out];
    const r = adagen(...refine);
    expect(r.code, r.stderr).toBe(0);
    type Row = { schedule: Record<string, number | string>; fid: number };
    const search = JSON.parse(readFileSync(out, "utf8")).models["var-tiny"]["6"];
    const { from, grid: moves, skipped } = search.refined as { from: Row; grid: Row[]; skipped: { schedule: Row["schedule"]; reason: string }[] };
    expect(from.schedule).toEqual(shipped.best.schedule);
    expect(search.refined).toMatchObject({ fractions: [], knobs: { guidance: 0.5, topP: 0.05, topK: 8 }, sweeps: 1, samples: 20 });
    // The first move is guidance up by its step, every other setting kept.
    expect(moves[0].schedule).toEqual({ ...from.schedule, guidance: Number(from.schedule.guidance) + 0.5 });
    // top-p 0.96 + 0.05 is past 1: skipped with its reason, never sampled; each scored move changes one setting by its step.
    expect(skipped).toEqual([expect.objectContaining({ reason: "topP 1.01 is above 1" })]);
    expect(r.stderr).toContain("topP up by 0.05: skipped (topP 1.01 is above 1)");
    expect(r.stderr).toContain("guidance up by 0.5: FID");
    const steps: Record<string, number> = { guidance: 0.5, topP: 0.05, topK: 8 };
    for (const m of moves) {
      const changed = Object.keys(steps).filter((k) => m.schedule[k] !== search.best.schedule[k] && m.schedule[k] !== from.schedule[k]);
      expect(changed.length).toBeLessThanOrEqual(1);
    }
    expect(moves.length).toBeGreaterThanOrEqual(3);
    expect(moves.length).toBeLessThanOrEqual(5);
    const lowest = [from, ...moves].reduce((a, b) => (b.fid < a.fid ? b : a));
    expect(search.best).toEqual(lowest.fid < from.fid * 0.995 ? lowest : from);
    expect(r.stdout.trim()).toBe(`var-tiny T=6: ${describeSchedule(search.best.schedule)}, validation FID ${search.best.fid.toFixed(2)} on 20 samples`);

    expectUsageError(adagen(...refine.map((a) => (a.startsWith("guidance:") ? "maskTemperature:5" : a))), /--refine-knobs: maskTemperature does not apply to var-tiny/);
    expectUsageError(adagen(...refine.map((a) => (a.startsWith("guidance:") ? "heat:1" : a))), /--refine-knobs: unknown setting "heat" \(choose guidance, guidanceEnd/);
    expectUsageError(adagen(...refine.map((a) => (a.startsWith("guidance:") ? "guidance:-1" : a))), /--refine-knobs: each entry is KEY:STEP with a positive step \(e\.g\. guidance:0\.25\), got "guidance:-1"/);
    expectUsageError(adagen(...refine.map((a) => (a.startsWith("guidance:") ? "topK:2.5" : a))), /--refine-knobs: topK is a count; its step must be a whole number, got 2\.5/);
    expectUsageError(adagen(...refine.map((a) => (a.startsWith("guidance:") ? "topK:2,topK:4" : a))), /--refine-knobs lists topK twice/);
    expectUsageError(adagen(...refine, "--top-ks", "8"), /--refine-knobs refines the search already in --out; it takes no grid flag \(--top-ks\)/);
    const { topK: _k, ...heuristicTopK } = shipped.best.schedule;
    writeFileSync(out, JSON.stringify({ format: "adagen-baselines", models: { "var-tiny": { "6": { ...shipped, refined: undefined, best: { ...shipped.best, schedule: heuristicTopK } } } } }));
    expectUsageError(adagen(...refine), /--refine-knobs: the 6-step schedule to refine \(.*\) leaves topK to the heuristic; search it on the grid first/);
  });

  it("baselines --refine-confirm takes a move only when it also wins on a second seed", () => {
    const zoo = JSON.parse(readFileSync(join(ROOT, "packages/zoo/baselines.json"), "utf8"));
    const searched = zoo.models["var-tiny"]["6"];
    type Row = { schedule: Record<string, number | string>; fid: number; classAccuracy: number };
    // A refinement whose best is recorded at FID 99 on the first seed: every move beats it there, so each goes to the
    // second seed (7919 + 1), where the best and the move are both scored for real.
    const start: Row = { ...searched.best, fid: 99 };
    const refined = { from: start, fractions: [], knobs: { topK: 8 }, sweeps: 1, minGain: 0.005, samples: 20, grid: [] };
    const out = join(tmp, "refine-confirm.json");
    writeFileSync(out, JSON.stringify({ format: "adagen-baselines", models: { "var-tiny": { "6": { ...searched, best: start, rescored: undefined, refined } } } }));
    const r = adagen("baselines", "--model", "var-tiny", "--refine-knobs", "topK:8", "--refine-sweeps", "1", "--refine-continue", "--refine-confirm", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    const after = JSON.parse(readFileSync(out, "utf8")).models["var-tiny"]["6"].refined;
    const [up, down] = after.grid as Row[];
    expect(up.schedule.topK).toBe(Number(start.schedule.topK) + 8);
    expect(after.continued).toEqual([{ fractions: [], knobs: { topK: 8 }, sweeps: 1, confirm: true }]);
    expect(after.confirmed.seed).toBe(7920);
    const onSecond = (row: Row) => (after.confirmed.grid as Row[]).find((c) => c.schedule.topK === row.schedule.topK)!;
    const [bestThere, upThere] = [onSecond(start), onSecond(up)];
    expect(bestThere.fid).not.toBe(99);
    const best = JSON.parse(readFileSync(out, "utf8")).models["var-tiny"]["6"].best;
    if (upThere.fid < bestThere.fid * 0.995) {
      // Confirmed: taken, and the pass ends its sweep there.
      expect(r.stderr).toContain(`on seed 7920: FID ${upThere.fid.toFixed(3)} against the current best's ${bestThere.fid.toFixed(3)}: confirmed`);
      expect(best).toEqual(up);
      expect(down).toBeUndefined();
    } else {
      // Not confirmed: kept out, and top-k down is tried next (and confirmed or not the same way).
      expect(r.stderr).toContain(`topK up by 8: FID ${up.fid.toFixed(3)}, not confirmed on seed 7920`);
      expect(down.schedule.topK).toBe(Number(start.schedule.topK) - 8);
      expect(best).toEqual(down.fid < 99 * 0.995 && onSecond(down).fid < bestThere.fid * 0.995 ? down : start);
    }
    expectUsageError(adagen("baselines", "--model", "var-tiny", "--n", "10", "--refine-confirm", "--out", out), /--refine-confirm sets a refinement of the winner: give --refine-times, --refine-knobs or --refine-from too/);
  });

  it("baselines keep a journal: a refinement killed and run again reads its scores back and writes what an uninterrupted run writes; a grid reads it too", async () => {
    const [straight, resumed] = [join(tmp, "journal-straight.json"), join(tmp, "journal-resumed.json")];
    const grid = ["baselines", "--model", "sit-tiny", "--steps", "3", "--n", "10", "--schedules", "uniform", "--starts", "0.05", "--guidance", "1,3", "--quiet"];
    expect(adagen(...grid, "--out", straight).code).toBe(0);
    copyFileSync(straight, resumed);
    const searched = readFileSync(resumed, "utf8");
    const refine = ["baselines", "--model", "sit-tiny", "--steps", "3", "--refine-times", "0.4,0.2", "--refine-n", "20"];
    const s = adagen(...refine, "--out", straight);
    expect(s.code, s.stderr).toBe(0);
    expect(existsSync(`${straight}.journal`)).toBe(false);

    // The same refinement killed once its journal holds two scores (at least eight more moves remain).
    const journal = `${resumed}.journal`;
    const child = spawn(process.execPath, ["--conditions=adagen-source", "--import", "tsx", "apps/cli/src/cli.ts", ...refine, "--out", resumed, "--quiet"], { cwd: ROOT, stdio: "ignore" });
    const exited = new Promise((done) => child.on("exit", done));
    const complete = () => (existsSync(journal) ? readFileSync(journal, "utf8").split("\n").length - 1 : 0);
    while (complete() < 2) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    await exited;
    const kept = complete();
    expect(readFileSync(resumed, "utf8")).toBe(searched);
    // A kill while a line is written leaves it cut short: that line is dropped, the complete ones are read back.
    writeFileSync(journal, readFileSync(journal, "utf8") + '{"model":"sit-tiny","ste');

    const r = adagen(...refine, "--out", resumed);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`resuming: ${journal} holds ${kept} scores an interrupted run took on these samples`);
    expect(r.stderr).toContain("(read back from the journal)");
    expect(existsSync(journal)).toBe(false);
    expect(JSON.parse(readFileSync(resumed, "utf8"))).toEqual(JSON.parse(readFileSync(straight, "utf8")));

    // Only a cut-short last line is forgiven.
    writeFileSync(journal, 'not json\n{"model":"sit-tiny"}\n');
    expectUsageError(adagen(...refine, "--out", resumed), /journal-resumed\.json\.journal, line 1: not a baselines journal line; delete the file to score from scratch/);
    rmSync(journal);
    mkdirSync(journal);
    expectUsageError(adagen(...refine, "--out", resumed), /journal-resumed\.json\.journal: cannot read the baselines' journal \(EISDIR\)/);

    // A grid search takes a score the journal holds for one of its candidates (planted at FID 99) instead of sampling it.
    const search = JSON.parse(searched).models["sit-tiny"]["3"];
    const [planted, other] = search.grid as { schedule: { guidance: number }; fid: number }[];
    const gridOut = join(tmp, "journal-grid.json");
    writeFileSync(`${gridOut}.journal`, JSON.stringify({ model: "sit-tiny", steps: 3, samples: 10, seed: search.seed, result: { ...planted, fid: 99 } }) + "\n");
    const g = adagen(...grid.filter((a) => a !== "--quiet"), "--out", gridOut);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toContain("holds 1 score an interrupted run took on these samples; it is read back");
    expect(g.stderr).toContain("FID 99.00 (read back from the journal)");
    const rows = JSON.parse(readFileSync(gridOut, "utf8")).models["sit-tiny"]["3"].grid;
    expect(rows).toEqual([{ ...planted, fid: 99 }, other]);
    expect(existsSync(`${gridOut}.journal`)).toBe(false);
  });

  it("compare scores the baseline and the policy found in --policy-dir, and notes a missing one", () => {
    const r = adagen("compare", "--model", "dit-tiny", "--steps", "2,3", "--n", "16", "--policy-dir", POLICIES, "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ model: "dit-tiny", samples: 16 });
    const [two, three] = j.rows;
    expect(two.steps).toBe(2);
    expect(two.adagen.policy).toBe(join(RUN, "policy.adagen"));
    for (const s of [two.baseline, two.adagen, three.baseline]) {
      expect(s.fid).toBeGreaterThan(0);
      expect(s.classAccuracy).toBeGreaterThanOrEqual(0);
      expect(s.classAccuracy).toBeLessThanOrEqual(1);
    }
    expect(two.fidRatio).toBeCloseTo(two.adagen.fid / two.baseline.fid, 12);
    expect(three).toMatchObject({ steps: 3, adagen: null, fidRatio: null });
    expect(three.note).toContain("dit-tiny-3");
  });
});

describe("pnpm start (the main job), shrunk: 2 steps, 1 iteration, 16 samples", () => {
  it("trains, compares and writes the report folder", () => {
    const out = join(tmp, "report");
    const r = spawnSync(
      process.execPath,
      ["--conditions=adagen-source", "--import", "tsx", "apps/cli/src/start.ts", "--", "--out", out, "--steps", "2", "--iterations", "1", "--n", "16",
        "--trajectories", "8", "--batch", "8", "--eval-n", "16", "--d-warmup", "2", "--quiet"],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["comparison.json", "comparison.md", "run", "samples.png", "schedules.png"]);
    const report = JSON.parse(readFileSync(join(out, "comparison.json"), "utf8"));
    expect(report).toMatchObject({ model: "dit-tiny", steps: 2, samples: 16 });
    for (const s of [report.heuristic, report.baseline, report.adagen]) expect(s.fid).toBeGreaterThan(0);
    expect(report.fidRatio).toBeCloseTo(report.adagen.fid / report.baseline.fid, 12);
    expect(report.adagen.policy).toBe(join(out, "run", "policy.adagen"));
    const md = readFileSync(join(out, "comparison.md"), "utf8");
    expect(md).toContain(`| ${report.adagen.fid.toFixed(2)} |`);
    // 10 classes × 8 samples per panel, two panels side by side with titles above.
    const grid = decodePngImage(readFileSync(join(out, "samples.png")));
    expect(grid.width).toBeGreaterThan(2 * 8 * 28);
    expect(grid.height).toBeGreaterThan(10 * 28);
    const plot = decodePngImage(readFileSync(join(out, "schedules.png")));
    expect(plot.width).toBe(720);
    expect(plot.channels).toBe(3);
  });

  it("runs maskgit-tiny too, plotting its four action keys per decision", () => {
    const out = join(tmp, "report-maskgit");
    const r = spawnSync(
      process.execPath,
      ["--conditions=adagen-source", "--import", "tsx", "apps/cli/src/start.ts", "--", "--model", "maskgit-tiny", "--out", out, "--steps", "2",
        "--iterations", "1", "--n", "16", "--trajectories", "8", "--batch", "8", "--eval-n", "16", "--d-warmup", "2", "--quiet"],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "comparison.json"), "utf8"));
    expect(report).toMatchObject({ model: "maskgit-tiny", steps: 2, samples: 16, schedulePlot: ["maskRatio", "maskTemperature", "sampleTemperature", "guidanceScale"] });
    expect(report.heuristic.sampler).toContain("the paper's heuristic");
    expect(readFileSync(join(out, "comparison.md"), "utf8")).toContain("schedules.png: maskRatio, maskTemperature, sampleTemperature, guidanceScale the policy executed");
    // Four 240-pixel charts (mask ratio, two temperatures, guidance) and the legend, against dit-tiny's two 320-pixel ones.
    const plot = decodePngImage(readFileSync(join(out, "schedules.png")));
    expect(plot.width).toBe(720);
    expect(plot.height).toBeGreaterThan(4 * 240);
  });

  it("runs var-tiny at its 6 scales without --steps (the default 4 is not imposed) and refuses another count", () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["--conditions=adagen-source", "--import", "tsx", "apps/cli/src/start.ts", "--", "--model", "var-tiny", ...args],
        { cwd: ROOT, encoding: "utf8" });
    const out = join(tmp, "report-var");
    const r = run("--out", out, "--iterations", "1", "--n", "16", "--trajectories", "8", "--batch", "8", "--eval-n", "16", "--d-warmup", "2", "--quiet");
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "comparison.json"), "utf8"));
    expect(report).toMatchObject({ model: "var-tiny", steps: 6, samples: 16, schedulePlot: ["guidanceScale", "topK", "topP", "sampleTemperature"] });
    const bad = run("--out", join(tmp, "never"), "--steps", "4");
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe("adagen start: var-tiny takes one decision per scale: --steps must be 6 (or left out), got 4");
  });

  it("--help tells the options; bad flags are one line and exit 2", () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["--conditions=adagen-source", "--import", "tsx", "apps/cli/src/start.ts", ...args], { cwd: ROOT, encoding: "utf8" });
    const h = run("--help");
    expect(h.status).toBe(0);
    for (const f of ["--out", "--iterations", "--n", "comparison.md", "samples.png", "schedules.png"]) expect(h.stdout).toContain(f);
    const bad = run("--iterations", "0");
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('adagen start: --iterations needs an integer ≥ 1, got "0"');
  });
});

describe("adagen train --non-adaptive: one learned schedule shared by all samples (paper Table XI)", () => {
  /** The layout compare --shared reads: SHARED_DIR/M-T-shared (here next to the adaptive runs of POLICIES). */
  const SHARED = join(POLICIES, "dit-tiny-2-shared");

  it("--help tells --non-adaptive and --shared", async () => {
    const t = await inProcess("train", "--help");
    expect(t.stdout).toContain("--non-adaptive");
    expect(t.stdout).toContain("runs/M-T-shared");
    const c = await inProcess("compare", "--help");
    expect(c.stdout).toContain("--shared DIR");
    expect(c.stdout).toContain("learned shared schedule");
  });

  it("a tiny run writes a policy whose info says adaptive: false; --resume refuses to change it", async () => {
    // --eval-every 0: policy.adagen is the iteration-1 policy, whose weights moved away from the all-zero start.
    const r = adagen("train", ...TINY.slice(0, 10), "--eval-every", "0", "--iterations", "1", "--non-adaptive", "--out", SHARED, "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dir: SHARED, policy: join(SHARED, "policy.adagen"), adaptive: false, iteration: 1 });
    expect(JSON.parse(readFileSync(join(SHARED, "run.json"), "utf8")).adaptive).toBe(false);
    expect((await readTensorFile(join(SHARED, "policy.adagen"))).meta).toMatchObject({ model: "dit-tiny", steps: 2, adaptive: false, sharedFeatures: "step" });
    expect(JSON.parse(readFileSync(join(SHARED, "run.json"), "utf8"))).toMatchObject({ adaptive: false, sharedFeatures: "step" });
    expect((await readTensorFile(join(RUN, "policy.adagen"))).meta.adaptive).toBe(true);
    expectUsageError(await inProcess("train", "--model", "dit-tiny", "--steps", "2", "--out", RUN, "--resume", "--non-adaptive"), /non-adaptive differs from the run's adaptive policy/);
    // The default folder of a --non-adaptive run is runs/M-T-shared.
    expectUsageError(await inProcess("train", "--model", "dit-tiny", "--steps", "2", "--resume", "--non-adaptive"), /runs\/dit-tiny-2-shared\/checkpoint\.adagen: no checkpoint to resume/);
  });

  it("the policy runs on the step-encoding env: the same actions for every sample, and sample works with it", async () => {
    await initTensorflow();
    const entry = getModel("dit-tiny");
    const file = join(SHARED, "policy.adagen");
    const model = await openModel(entry, 2, await policyInitOf(file, entry, 2));
    try {
      const source = await openPolicy(file, entry, 2, model);
      if (source.kind !== "policy") throw new Error("expected a policy");
      expect(source.adaptive).toBe(false);
      expect(source.sharedFeatures).toBe("step");
      // A shared-schedule file from before step encodings (no sharedFeatures) still reads the constant features it was trained on.
      const { meta, tensors } = await readTensorFile(file);
      const legacy = join(tmp, "shared-legacy.adagen");
      await writeTensorFile(legacy, { meta: Object.fromEntries(Object.entries(meta).filter(([k]) => k !== "sharedFeatures")), tensors });
      const old = await openPolicy(legacy, entry, 2, model);
      if (old.kind !== "policy") throw new Error("expected a policy");
      expect(old.sharedFeatures).toBe("constant");
      old.actor.dispose();
      const labels = balancedLabels(10, 10);
      const decoder = new ActionDecoder(source.actionSpec);
      const shared = await rollout(policyEnv(model.env, source), source.actor, decoder, labels, 5);
      const adaptive = await rollout(model.env, source.actor, decoder, labels, 5);
      const distinct = (actions: typeof shared.actions) => actions.map((a) => Object.values(a).map((v) => new Set(v).size));
      for (const perKey of distinct(shared.actions)) expect(perKey.every((n) => n === 1), String(perKey)).toBe(true);
      // The same weights read the generator's features when run adaptively: the actions differ between samples.
      expect(distinct(adaptive.actions).flat().some((n) => n > 1)).toBe(true);
      source.actor.dispose();
    } finally {
      await model.dispose();
    }
    const out = join(tmp, "shared-out", "shared.npz");
    const s = adagen("sample", "--model", "dit-tiny", "--steps", "2", "--policy", file, "--n", "12", "--seed", "3", "--out", out, "--json", "--quiet");
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ output: out, samples: 12, sampler: `policy ${file}` });
    expect(readNpz(out).get("arr_0")!.shape).toEqual([12, 28, 28, 1]);
  });

  it("compare adds the learned shared schedule between the baseline and the adaptive policy, and notes a missing one", async () => {
    const r = adagen("compare", "--model", "dit-tiny", "--steps", "2,3", "--n", "16", "--policy-dir", POLICIES, "--shared", POLICIES, "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as CompareReport;
    const [two, three] = j.rows;
    expect(two.shared).toMatchObject({ policy: join(SHARED, "policy.adagen") });
    expect(two.shared!.fid).toBeGreaterThan(0);
    expect(two.shared!.fidRatio).toBeCloseTo(two.shared!.fid / two.baseline.fid, 12);
    expect(two.adagen!.policy).toBe(join(RUN, "policy.adagen"));
    expect(two.sharedNote).toBeUndefined();
    expect(three.shared).toBeNull();
    expect(three.sharedNote).toContain(join(POLICIES, "dit-tiny-3-shared", "policy.adagen"));
    const table = formatCompare(j).split("\n");
    const rowsOf = (steps: number) => table.filter((l) => l.startsWith(`| ${steps} |`)).map((l) => l.split("|")[2].trim());
    expect(rowsOf(2)).toEqual(["searched fixed schedule", "learned shared schedule", "AdaGen (adaptive)"]);
    expect(rowsOf(3)).toEqual(["searched fixed schedule", "AdaGen (adaptive)"]);
    expect(table).toContain(`| 2 | learned shared schedule | ${two.shared!.fid.toFixed(2)} | ${two.shared!.fidRatio.toFixed(3)} | ${(100 * two.shared!.classAccuracy!).toFixed(1)}% |`);
    expect(table.some((l) => l.startsWith("T=3: no shared-schedule policy at"))).toBe(true);
    // An adaptive policy where the shared one belongs is refused rather than reported as a shared schedule.
    const wrong = join(tmp, "wrong-shared");
    mkdirSync(join(wrong, "dit-tiny-2-shared"), { recursive: true });
    copyFileSync(join(RUN, "policy.adagen"), join(wrong, "dit-tiny-2-shared", "policy.adagen"));
    expectUsageError(
      await inProcess("compare", "--model", "dit-tiny", "--steps", "2", "--n", "2", "--policy-dir", join(tmp, "none"), "--shared", wrong, "--quiet"),
      /dit-tiny-2-shared\/policy\.adagen: not a shared-schedule policy/,
    );
  });
});
