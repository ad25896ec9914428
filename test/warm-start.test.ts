/**
 * `train({ warmStart })` / `adagen train --warm-start`: a new run starts from a trained policy file (its actor, critic
 * and discriminator) instead of the untrained policy, so a shipped policy can continue with another reward.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTensorFile, writeTensorFile } from "@adagen/core";
import { train } from "@adagen/diffusion";
import { cardPath } from "@adagen/zoo";
import { describe, expect, it } from "vitest";

const tmp = mkdtempSync(join(tmpdir(), "adagen-warm-"));
const tiny = {
  model: cardPath("dit-tiny"),
  steps: 2,
  batch: 8,
  trajectories: 8,
  validation: { every: 1, n: 40 },
  recipe: { discriminatorWarmup: 2, discriminatorSteps: 1 },
};

/** The run's validation FID by iteration (metrics.jsonl). */
function validations(dir: string): Map<number, number> {
  const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  return new Map(lines.filter((l) => l.validation).map((l) => [l.iteration, l.validation.fid]));
}

describe("train({ warmStart })", () => {
  it("starts from the file's trained policy, critic and discriminator, not the untrained one", async () => {
    // A large learning rate, so one iteration moves the base visibly away from the starting schedule.
    const baseDir = join(tmp, "base");
    const base = await train({ ...tiny, iterations: 1, out: baseDir, recipe: { ...tiny.recipe, learningRate: 0.05 }, validation: { every: 0 } });
    // Then learning rates too small to move anything in one iteration: the checkpoint after it shows where each run started.
    const still = { ...tiny.recipe, learningRate: 1e-9, discriminatorLearningRate: 1e-9 };
    const freshDir = join(tmp, "fresh");
    const fresh = await train({ ...tiny, iterations: 1, out: freshDir, recipe: still });
    const warmDir = join(tmp, "warm");
    const warm = await train({ ...tiny, iterations: 1, out: warmDir, warmStart: base.policy, recipe: still });

    const file = (await readTensorFile(base.policy)).tensors;
    const ofRun = async (dir: string) => (await readTensorFile(join(dir, "checkpoint.adagen"))).tensors;
    const [warmState, freshState] = [await ofRun(warmDir), await ofRun(freshDir)];
    // The policy file's actor keys carry no prefix; the checkpoint's carry "actor/".
    const inCheckpoint = (k: string) => (k.startsWith("critic/") || k.startsWith("discriminator/") ? k : `actor/${k}`);
    const largest = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
    const parts = { actor: 0, critic: 0, discriminator: 0 };
    let freshDistance = 0;
    for (const [k, v] of Object.entries(file)) {
      const part = k.startsWith("critic/") ? "critic" : k.startsWith("discriminator/") ? "discriminator" : "actor";
      const w = warmState[inCheckpoint(k)];
      expect(w, k).toBeDefined();
      expect(largest(w.data, v.data), k).toBeLessThan(1e-5);
      if (part === "actor") freshDistance = Math.max(freshDistance, largest(freshState[inCheckpoint(k)].data, v.data));
      parts[part]++;
    }
    for (const [part, count] of Object.entries(parts)) expect(count, part).toBeGreaterThan(0);
    expect(freshDistance).toBeGreaterThan(1e-3);

    // Iteration 0's validation scores the file's policy, not the starting schedule the fresh run scores; run.json records it.
    expect(validations(warmDir).get(0)).not.toBe(validations(freshDir).get(0));
    const run = JSON.parse(readFileSync(join(warmDir, "run.json"), "utf8"));
    expect(run.warmStart).toBe(base.policy);
    expect(run.init).toEqual(JSON.parse(readFileSync(join(baseDir, "run.json"), "utf8")).init);
    expect(warm.init).toEqual(fresh.init);
    // The policy file names its warm start; a fresh run's does not.
    expect((await readTensorFile(warm.policy)).meta.warmStart).toBe("policy.adagen");
    expect((await readTensorFile(fresh.policy)).meta.warmStart).toBeUndefined();
  });

  it("a run without a discriminator keeps the one its warm start carries, for best-of-N", async () => {
    const base = (await train({ ...tiny, iterations: 1, out: join(tmp, "adv"), validation: { every: 0 } })).policy;
    const r = await train({
      ...tiny,
      recipe: {},
      iterations: 1,
      out: join(tmp, "influence"),
      warmStart: base,
      reward: "influence",
      influence: { classConditional: false, referenceImages: 2000, horizon: 200, primeImages: 200 },
      validation: { every: 0 },
    });
    const [from, to] = [await readTensorFile(base), await readTensorFile(r.policy)];
    expect(to.meta.discriminator).toEqual(from.meta.discriminator);
    const keys = Object.keys(from.tensors).filter((k) => k.startsWith("discriminator/"));
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(Array.from(to.tensors[k].data), k).toEqual(Array.from(from.tensors[k].data));
    // Its critic is the run's own, trained one more iteration.
    expect(Object.keys(to.tensors).some((k) => k.startsWith("critic/"))).toBe(true);
  });

  it("a non-adaptive warm start keeps what its file's shared schedule reads: step encodings, or an older file's constants", async () => {
    const shared = (await train({ ...tiny, iterations: 1, out: join(tmp, "s1"), nonAdaptive: true, validation: { every: 0 } })).policy;
    expect((await readTensorFile(shared)).meta.sharedFeatures).toBe("step");
    // The same file as written before step encodings existed: no sharedFeatures, i.e. constant features.
    const { meta, tensors } = await readTensorFile(shared);
    const legacy = join(tmp, "legacy-shared.adagen");
    await writeTensorFile(legacy, { meta: Object.fromEntries(Object.entries(meta).filter(([k]) => k !== "sharedFeatures")), tensors });
    for (const [file, kind] of [[shared, "step"], [legacy, "constant"]] as const) {
      const out = join(tmp, `s-${kind}`);
      const r = await train({ ...tiny, iterations: 1, out, warmStart: file, nonAdaptive: true, validation: { every: 0 } });
      expect(JSON.parse(readFileSync(join(out, "run.json"), "utf8")).sharedFeatures, kind).toBe(kind);
      expect((await readTensorFile(r.policy)).meta.sharedFeatures, kind).toBe(kind);
    }
  });

  it("refuses a file of another step count, with init, and across adaptive and non-adaptive", async () => {
    const base = (await train({ ...tiny, iterations: 1, out: join(tmp, "b2"), validation: { every: 0 } })).policy;
    await expect(train({ ...tiny, steps: 4, iterations: 1, out: join(tmp, "x1"), warmStart: base })).rejects.toThrow(/the warm start was trained for dit-tiny at 2 steps, not dit-tiny at 4/);
    await expect(train({ ...tiny, iterations: 1, out: join(tmp, "x2"), warmStart: base, init: "heuristic" })).rejects.toThrow(/init "heuristic" and a warm start \(.*\) both set the starting policy; give one/);
    await expect(train({ ...tiny, iterations: 1, out: join(tmp, "x3"), warmStart: base, nonAdaptive: true })).rejects.toThrow(/the warm start is an adaptive policy, the run learns one shared schedule/);
    await expect(train({ ...tiny, iterations: 1, out: join(tmp, "x4"), warmStart: join(tmp, "absent.adagen") })).rejects.toThrow(/absent\.adagen: no such policy file \(the warm start\)/);
  });
});
