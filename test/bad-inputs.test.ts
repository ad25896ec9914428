/**
 * Every bad input is refused cleanly (docs/bad-inputs.md: one test per row, numbered as there). CLI rows: one line
 * on stderr naming the offending value, exit code 2, no stack, nothing on stdout, and no output or temporary file
 * left. Library rows: the documented error class (core's `InputError`, metrics' `MetricsInputError`) with a message
 * naming the value. Cheap CLI rows run in this process through `runCli`; a spawned process covers each tool's real
 * exit code, the injected full disk (test/support/fs-faults.ts) and SIGINT.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { InputError, Scorer, initTensorflow, loadModel, openModel, openPolicy, readModelCard, readTensorFile, writeTensorFile } from "@adagen/core";
import { createSampler, diffusionAdapter, train } from "@adagen/diffusion";
import {
  FeatureExtractor,
  MetricsInputError,
  featureStatistics,
  frechetDistance,
  readNpz,
  readStatistics,
  writeNpz,
  type NpyArray,
} from "@adagen/metrics";
import { cardPath } from "@adagen/zoo";
import { runCli as adagenRunCli } from "../apps/cli/src/run.js";
import { runCli as benchRunCli } from "../apps/bench/src/run.js";
import { ROOT, expectNotWritten, expectOneLineError, inProcess, spawnCli, spawnCliAndSignal, tempFilesUnder } from "./support/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "adagen-bad-inputs-"));
const ZOO = join(ROOT, "packages/zoo");
const POLICIES = join(ZOO, "policies");
const onnx = (name: string) => join(ZOO, "models", `${name}.onnx`);
const FS_FAULTS = "./test/support/fs-faults.ts";

const adagen = (...args: string[]) => inProcess(adagenRunCli, args);
const bench = (...args: string[]) => inProcess(benchRunCli, args);
/** A fixed-schedule `adagen sample` of dit-tiny at 2 steps, 4 images, into `out`. */
const sampleArgs = (out: string, model = "dit-tiny") => ["sample", "--model", model, "--steps", "2", "--schedule", "uniform", "--n", "4", "--seed", "0", "--out", out, "--quiet"];

/** dit-tiny's zoo card with its relative paths made absolute, changed by `edit`, written to tmp/NAME.json. */
function card(name: string, edit: (c: Record<string, any>) => void): string {
  const c = JSON.parse(readFileSync(cardPath("dit-tiny"), "utf8"));
  const absolute = (o: Record<string, any>): void => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === "string" && v.startsWith("../")) o[k] = join(ZOO, v.slice(3));
      else if (typeof v === "object" && v !== null) absolute(v);
    }
  };
  absolute(c);
  edit(c);
  const file = join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify(c, null, 2));
  return file;
}

/** Sample sets for FID, written with the repository's npz writer. */
const npz = (name: string, arr_0: NpyArray): string => {
  const file = join(tmp, `${name}.npz`);
  writeNpz(file, { arr_0 });
  return file;
};
const pixels = (n: number, size = 28 * 28) => Uint8Array.from({ length: n * size }, (_, i) => (i * 37) % 256);
let GOOD = "";

async function expectThrows(f: () => unknown, cls: new (...a: any[]) => Error, pattern: RegExp): Promise<void> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  expect(err, "did not throw").toBeInstanceOf(cls);
  const message = (err as Error).message;
  expect(message).toMatch(pattern);
  expect(message).not.toContain("\n");
}

beforeAll(async () => {
  await initTensorflow();
  GOOD = npz("good", { dtype: "uint8", shape: [8, 28, 28, 1], data: pixels(8) });
});

describe("adagen: flags", () => {
  it("1 an unknown flag", async () => {
    const out = join(tmp, "r1", "x.npz");
    expectOneLineError(await adagen(...sampleArgs(out), "--frobnicate", "1"), "adagen", /sample: unknown option --frobnicate/);
    expectNotWritten(out);
  });

  it("2 --n 0", async () => {
    const out = join(tmp, "r2.npz");
    expectOneLineError(await adagen(...sampleArgs(out).map((a) => (a === "4" ? "0" : a))), "adagen", /--n needs an integer ≥ 1, got "0"/);
    expectNotWritten(out);
  });

  it("3 --steps -1", async () => {
    const out = join(tmp, "r3.npz");
    expectOneLineError(await adagen(...sampleArgs(out).map((a) => (a === "2" ? "-1" : a))), "adagen", /--steps needs an integer in 1\.\.64, got "-1"/);
    expectNotWritten(out);
  });

  it("4 --n 1e12 (not an integer literal)", async () => {
    const out = join(tmp, "r4.npz");
    expectOneLineError(await adagen(...sampleArgs(out).map((a) => (a === "4" ? "1e12" : a))), "adagen", /--n needs an integer ≥ 1, got "1e12"/);
    expectNotWritten(out);
  });

  it("5 --n 1000000000000 (more images than one array holds)", async () => {
    const out = join(tmp, "r5.npz");
    expectOneLineError(
      await adagen(...sampleArgs(out).map((a) => (a === "4" ? "1000000000000" : a))),
      "adagen",
      /1000000000000 images of 28×28×1 bytes each do not fit in one array \(at most 4294967296 bytes\); generate at most 5478274 at a time/,
    );
    expectNotWritten(out);
  });

  it("6 compare --n 100000000", async () => {
    expectOneLineError(await adagen("compare", "--model", "dit-tiny", "--steps", "2", "--n", "100000000", "--quiet"), "adagen", /100000000 images of 28×28×1 bytes each do not fit/);
  });

  it("7 train --batch 1000000", async () => {
    const out = join(tmp, "r7");
    expectOneLineError(await adagen("train", "--model", "dit-tiny", "--steps", "2", "--batch", "1000000", "--out", out), "adagen", /--batch needs an integer in 1\.\.4096, got "1000000"/);
    expectNotWritten(out);
  });

  it("58 train --discriminator vit --d-minibatch 4", async () => {
    const out = join(tmp, "r58");
    expectOneLineError(
      await adagen("train", "--model", "dit-tiny", "--steps", "2", "--discriminator", "vit", "--d-minibatch", "4", "--out", out, "--quiet"),
      "adagen",
      /a discriminator minibatch group needs the projected discriminator, not "vit"/,
    );
    expectNotWritten(out);
  });

  it("59 sample --schedule uniform --best-of 2", async () => {
    const out = join(tmp, "r59.npz");
    expectOneLineError(await adagen(...sampleArgs(out), "--best-of", "2"), "adagen", /--best-of scores candidates with a policy's discriminator: it needs --policy/);
    expectNotWritten(out);
  });

  it("60 sample --best-of 65", async () => {
    const out = join(tmp, "r60.npz");
    expectOneLineError(await adagen(...sampleArgs(out), "--best-of", "65"), "adagen", /--best-of needs an integer in 0\.\.64, got "65"/);
    expectNotWritten(out);
  });

  it("62 sample --lookahead 2 on a deterministic model (dit-tiny)", async () => {
    const out = join(tmp, "r62.npz");
    expectOneLineError(
      await adagen("sample", "--model", "dit-tiny", "--steps", "4", "--policy", "default", "--n", "4", "--seed", "0", "--out", out, "--lookahead", "2", "--quiet"),
      "adagen",
      /lookahead redraws stochastic transitions; dit-tiny's \(diffusion\) are deterministic: use best-of instead/,
    );
    expectNotWritten(out);
  });

  it("63 sample --schedule uniform --lookahead 2", async () => {
    const out = join(tmp, "r63.npz");
    expectOneLineError(await adagen(...sampleArgs(out), "--lookahead", "2"), "adagen", /--lookahead values next states with a policy's critic: it needs --policy/);
    expectNotWritten(out);
  });

  it("64 train --reward batch-fid", async () => {
    const out = join(tmp, "r64");
    expectOneLineError(await adagen("train", "--model", "dit-tiny", "--steps", "2", "--reward", "batch-fid", "--out", out, "--quiet"), "adagen", /--reward batch-fid is not one of adversarial, pretrained, fid, influence$/m);
    expectNotWritten(out);
  });

  it("65 train --reward pretrained --d-steps 4", async () => {
    const out = join(tmp, "r65");
    expectOneLineError(
      await adagen("train", "--model", "dit-tiny", "--steps", "2", "--reward", "pretrained", "--d-steps", "4", "--out", out, "--quiet"),
      "adagen",
      /--d-steps sets the discriminator, which --reward pretrained does not train/,
    );
    expectNotWritten(out);
  });

  it("68 train --d-loss wasserstein", async () => {
    const out = join(tmp, "r68");
    expectOneLineError(await adagen("train", "--model", "dit-tiny", "--steps", "2", "--d-loss", "wasserstein", "--out", out, "--quiet"), "adagen", /--d-loss wasserstein is not one of logistic, hinge/);
    expectNotWritten(out);
  });

  it("69 train --reward fid --d-loss hinge", async () => {
    const out = join(tmp, "r69");
    expectOneLineError(
      await adagen("train", "--model", "dit-tiny", "--steps", "2", "--reward", "fid", "--d-loss", "hinge", "--out", out, "--quiet"),
      "adagen",
      /--d-loss sets the discriminator, which --reward fid does not train/,
    );
    expectNotWritten(out);
  });

  it("70 train --d-negatives blur", async () => {
    const out = join(tmp, "r70");
    expectOneLineError(await adagen("train", "--model", "dit-tiny", "--steps", "2", "--d-negatives", "blur", "--out", out, "--quiet"), "adagen", /--d-negatives blur is not one of none, noise, sharpen, noise-sharpen/);
    expectNotWritten(out);
  });

  it("71 train --reward-backbone without --reward influence", async () => {
    const out = join(tmp, "r71");
    expectOneLineError(
      await adagen("train", "--model", "dit-tiny", "--steps", "2", "--reward-backbone", "packages/zoo/models/fmnist-vit-ssl.adagen", "--out", out, "--quiet"),
      "adagen",
      /--reward-backbone is for --reward influence, not --reward adversarial/,
    );
    expectNotWritten(out);
  });

  it("72 train --reward influence --reward-backbone missing.adagen", async () => {
    const out = join(tmp, "r72");
    expectOneLineError(
      await adagen("train", "--model", "dit-tiny", "--steps", "2", "--reward", "influence", "--reward-backbone", "missing.adagen", "--out", out, "--quiet"),
      "adagen",
      /missing\.adagen: the influence reward's backbone does not exist/,
    );
    expectNotWritten(out);
  });

  it("73 train --reward influence with a file that is no feature space", async () => {
    const out = join(tmp, "r73");
    const notASpace = join(tmp, "r73-card.json");
    writeFileSync(notASpace, "{}");
    expectOneLineError(
      await adagen("train", "--model", "dit-tiny", "--steps", "2", "--reward", "influence", "--reward-backbone", notASpace, "--out", out, "--quiet"),
      "adagen",
      /r73-card\.json: not a feature space for the influence reward \(/,
    );
    expectNotWritten(out);
  });

  it("76 train --reward-backbone with an empty name in its list", async () => {
    const out = join(tmp, "r76");
    expectOneLineError(
      await adagen("train", "--model", "dit-tiny", "--steps", "2", "--reward", "influence", "--reward-backbone", "packages/zoo/models/fmnist-vit-ssl.adagen,", "--out", out, "--quiet"),
      "adagen",
      /--reward-backbone needs file names separated by commas, got "packages\/zoo\/models\/fmnist-vit-ssl\.adagen,"/,
    );
    expectNotWritten(out);
  });

  it("77 train --reward-backbone naming one file twice", async () => {
    const out = join(tmp, "r77");
    const ssl = "packages/zoo/models/fmnist-vit-ssl.adagen";
    expectOneLineError(
      await adagen("train", "--model", "dit-tiny", "--steps", "2", "--reward", "influence", "--reward-backbone", `${ssl},${ssl}`, "--out", out, "--quiet"),
      "adagen",
      /the influence reward's backbones name one file twice: packages\/zoo\/models\/fmnist-vit-ssl\.adagen, packages\/zoo\/models\/fmnist-vit-ssl\.adagen/,
    );
    expectNotWritten(out);
  });

  it("78 train --reward-backbone with a missing file among several", async () => {
    const out = join(tmp, "r78");
    expectOneLineError(
      await adagen("train", "--model", "dit-tiny", "--steps", "2", "--reward", "influence", "--reward-backbone", "packages/zoo/models/fmnist-vit-ssl.adagen,missing.onnx", "--out", out, "--quiet"),
      "adagen",
      /missing\.onnx: the influence reward's backbone does not exist/,
    );
    expectNotWritten(out);
  });

  it("74 train --warm-start with --init", async () => {
    const out = join(tmp, "r74");
    expectOneLineError(
      await adagen("train", "--model", "dit-tiny", "--steps", "4", "--warm-start", "packages/zoo/policies/dit-tiny-4.adagen", "--init", "heuristic", "--out", out, "--quiet"),
      "adagen",
      /init "heuristic" and a warm start \(packages\/zoo\/policies\/dit-tiny-4\.adagen\) both set the starting policy; give one/,
    );
    expectNotWritten(out);
  });

  it("75 train --warm-start a policy of another step count", async () => {
    const out = join(tmp, "r75");
    expectOneLineError(
      await adagen("train", "--model", "dit-tiny", "--steps", "8", "--warm-start", "packages/zoo/policies/dit-tiny-4.adagen", "--out", out, "--quiet"),
      "adagen",
      /dit-tiny-4\.adagen: the warm start was trained for dit-tiny at 4 steps, not dit-tiny at 8/,
    );
    expectNotWritten(out);
  });

  it("66 sample --lambda 2", async () => {
    const out = join(tmp, "r66.npz");
    expectOneLineError(await adagen("sample", "--model", "dit-tiny", "--steps", "4", "--policy", "default", "--n", "4", "--seed", "0", "--out", out, "--lambda", "2", "--quiet"), "adagen", /--lambda needs a number in 0\.\.1, got "2"/);
    expectNotWritten(out);
  });

  it("67 sample --lambda 0.5 with a policy that is not a dial's", async () => {
    const out = join(tmp, "r67.npz");
    expectOneLineError(
      await adagen("sample", "--model", "dit-tiny", "--steps", "4", "--policy", "default", "--n", "4", "--seed", "0", "--out", out, "--lambda", "0.5", "--quiet"),
      "adagen",
      /lambda blends a dial's fidelity policy with its base; .*dit-tiny-4\.adagen is not one \(train one: adagen train --fidelity-of, or train\(\{ fidelityOf \}\)\)/,
    );
    expectNotWritten(out);
  });

  it("61 sample --best-of 1 with a policy that carries no discriminator", async () => {
    const out = join(tmp, "r61.npz");
    // The shipped 4-step policy without its discriminator, as files written before policies carried theirs are.
    const { meta, tensors } = await readTensorFile(join(POLICIES, "dit-tiny-4.adagen"));
    const policy = join(tmp, "no-discriminator.adagen");
    await writeTensorFile(policy, { meta: { ...meta, discriminator: undefined }, tensors: Object.fromEntries(Object.entries(tensors).filter(([k]) => !k.startsWith("discriminator/"))) });
    expectOneLineError(
      await adagen("sample", "--model", "dit-tiny", "--steps", "4", "--policy", policy, "--n", "4", "--seed", "0", "--out", out, "--best-of", "1", "--quiet"),
      "adagen",
      /no-discriminator\.adagen carries no discriminator \(it was written before policy files carried theirs\); refinement needs one/,
    );
    expectNotWritten(out);
  });
});

describe("adagen: model cards and ONNX files", () => {
  const rows: [string, () => string, RegExp][] = [
    ["8 a model card that does not exist", () => join(tmp, "no-such-card.json"), /no-such-card\.json: no such model card/],
    ["9 a model card with a missing field (classes)", () => card("no-classes", (c) => delete c.classes), /no-classes\.json: "classes\.count" must be an integer ≥ 1, got nothing/],
    ["10 a model card with a wrong-typed field", () => card("typed", (c) => (c.classes.count = "ten")), /typed\.json: "classes\.count" must be an integer ≥ 1, got "ten"/],
    [
      "11 a model card that is not JSON",
      () => {
        writeFileSync(join(tmp, "broken.json"), '{"format": ');
        return join(tmp, "broken.json");
      },
      /broken\.json: not a readable JSON model card \(Unexpected end of JSON input\)/,
    ],
    ["12 a missing ONNX file", () => card("missing-onnx", (c) => (c.generator.file = join(tmp, "nope.onnx"))), /dit-tiny: cannot load ONNX model .*nope\.onnx: .*File doesn't exist/],
    ["13 a file that is not ONNX", () => card("not-onnx", (c) => (c.generator.file = cardPath("dit-tiny"))), /dit-tiny: cannot load ONNX model .*cards\/dit-tiny\.json: .*Protobuf parsing failed/],
    [
      "14 the generator pointed at a decoder ONNX",
      () => card("decoder", (c) => (c.generator.file = onnx("maskgit-tiny.decoder"))),
      /dit-tiny: ONNX model .*maskgit-tiny\.decoder\.onnx: missing input "x", "t", "y" \(it declares ids\)/,
    ],
    [
      "15 the generator pointed at the feature extractor ONNX",
      () => card("extractor", (c) => (c.generator.file = onnx("fmnist-features"))),
      /dit-tiny: ONNX model .*fmnist-features\.onnx: missing input "t", "y" \(it declares x\)/,
    ],
    [
      "16 a wrong output name",
      () => card("output-name", (c) => (c.generator.outputs.prediction = "noise")),
      /dit-tiny: ONNX model .*dit-tiny\.onnx: missing output "noise" \(it declares eps, features\)/,
    ],
  ];
  for (const [name, model, pattern] of rows)
    it(name, async () => {
      const out = join(tmp, `card-${name.split(" ")[0]}.npz`);
      expectOneLineError(await adagen(...sampleArgs(out, model())), "adagen", pattern);
      expectNotWritten(out);
    });

  it("17 statistics of another dimension than the extractor's features (compare)", async () => {
    const stats = join(ROOT, "packages/metrics/fixtures/stats_a.npz"); // 64-d; fmnist-features gives 128-d
    const model = card("stats-64", (c) => (c.evaluation.testStats = stats));
    expectOneLineError(
      await adagen("compare", "--model", model, "--steps", "2", "--n", "4", "--quiet"),
      "adagen",
      /stats-64\.json: the extractor .*fmnist-features\.onnx gives 128-d features \(output "features"\), but .*stats_a\.npz holds 64-d statistics/,
    );
  });
});

describe("adagen: policies and checkpoints", () => {
  it("18 a policy for another model", async () => {
    const out = join(tmp, "r18.npz");
    const r = await adagen("sample", "--model", "dit-tiny", "--steps", "4", "--policy", join(POLICIES, "sit-tiny-4.adagen"), "--n", "4", "--seed", "0", "--out", out);
    expectOneLineError(r, "adagen", /sit-tiny-4\.adagen: policy was trained for sit-tiny at 4 steps, not dit-tiny at 4 steps/);
    expectNotWritten(out);
  });

  it("19 a policy for another step count", async () => {
    const out = join(tmp, "r19.npz");
    const r = await adagen("sample", "--model", "dit-tiny", "--steps", "4", "--policy", join(POLICIES, "dit-tiny-8.adagen"), "--n", "4", "--seed", "0", "--out", out);
    expectOneLineError(r, "adagen", /dit-tiny-8\.adagen: policy was trained for dit-tiny at 8 steps, not dit-tiny at 4 steps/);
    expectNotWritten(out);
  });

  it("20 a truncated policy file (spawned)", () => {
    const policy = join(tmp, "half.adagen");
    const bytes = readFileSync(join(POLICIES, "dit-tiny-4.adagen"));
    writeFileSync(policy, bytes.subarray(0, bytes.length >> 1));
    const out = join(tmp, "r20.npz");
    const r = spawnCli("adagen", ["sample", "--model", "dit-tiny", "--steps", "4", "--policy", policy, "--n", "4", "--seed", "0", "--out", out]);
    expectOneLineError(r, "adagen", /half\.adagen: not a readable policy \(.*half\.adagen is truncated/);
    expectNotWritten(out);
  });

  it("21 --resume on a run whose checkpoint.adagen is cut in half", async () => {
    const run = join(tmp, "run");
    const tiny = ["--model", "dit-tiny", "--steps", "2", "--trajectories", "8", "--batch", "8", "--d-warmup", "1", "--eval-every", "0", "--quiet"];
    const trained = await adagen("train", ...tiny, "--iterations", "1", "--out", run);
    expect(trained.code, trained.stderr).toBe(0);
    const checkpoint = join(run, "checkpoint.adagen");
    const full = readFileSync(checkpoint);
    writeFileSync(checkpoint, full.subarray(0, full.length >> 1));
    const metrics = readFileSync(join(run, "metrics.jsonl"), "utf8");
    const r = await adagen("train", "--model", "dit-tiny", "--steps", "2", "--iterations", "2", "--out", run, "--resume", "--quiet");
    expectOneLineError(r, "adagen", /run\/checkpoint\.adagen is truncated/);
    expect(r.stderr.split("checkpoint.adagen").length).toBe(2); // the path named once
    // Nothing was rewritten: the cut checkpoint and the metrics are as they were, and no temporary file is left.
    expect(readFileSync(checkpoint).length).toBe(full.length >> 1);
    expect(readFileSync(join(run, "metrics.jsonl"), "utf8")).toBe(metrics);
    expect(tempFilesUnder(run)).toEqual([]);
  });
});

describe("adagen: output files", () => {
  it("22 an unwritable output folder (spawned)", () => {
    // Root ignores permissions, so there the folder is a regular file; otherwise a read-only folder.
    const root = process.getuid?.() === 0;
    const parent = join(tmp, root ? "a-file" : "read-only");
    if (root) writeFileSync(parent, "not a folder");
    else {
      mkdirSync(parent);
      chmodSync(parent, 0o555);
    }
    const out = join(parent, "sub", "x.npz");
    const r = spawnCli("adagen", sampleArgs(out));
    expectOneLineError(r, "adagen", root ? /sub\/x\.npz: cannot write \(ENOTDIR: .*a-file is a file\)/ : /sub\/x\.npz: cannot write \(EACCES: .*read-only\)/);
    expectNotWritten(out);
  });

  it("23 --out names an existing folder", async () => {
    const dir = join(tmp, "r23");
    mkdirSync(dir);
    expectOneLineError(await adagen(...sampleArgs(dir)), "adagen", /r23: cannot write \(EISDIR\)/);
    expect(tempFilesUnder(tmp)).toEqual([]);
  });

  it("24 baselines --out under a regular file", async () => {
    writeFileSync(join(tmp, "b-file"), "x");
    const out = join(tmp, "b-file", "baselines.json");
    expectOneLineError(await adagen("baselines", "--model", "dit-tiny", "--steps", "2", "--n", "4", "--out", out), "adagen", /baselines\.json: cannot write \(ENOTDIR: .*b-file is a file\)/);
  });

  it("25 a full disk while sample writes (injected ENOSPC, spawned)", () => {
    const out = join(tmp, "r25", "x.npz");
    const r = spawnCli("adagen", sampleArgs(out), { preload: [FS_FAULTS], env: { ADAGEN_TEST_FS_FAULT: "enospc" } });
    expectOneLineError(r, "adagen", /r25\/x\.npz: cannot write \(ENOSPC\)/);
    expectNotWritten(out);
  });

  it("26 a full disk while baselines writes its results (injected ENOSPC, spawned)", () => {
    const out = join(tmp, "r26", "baselines.json");
    const args = ["baselines", "--model", "dit-tiny", "--steps", "2", "--n", "4", "--guidance", "1", "--starts", "0.9", "--out", out, "--quiet"];
    const r = spawnCli("adagen", args, { preload: [FS_FAULTS], env: { ADAGEN_TEST_FS_FAULT: "enospc" } });
    expectOneLineError(r, "adagen", /--out .*r26\/baselines\.json: cannot write \(ENOSPC\)/);
    expectNotWritten(out);
  });

  it("27 SIGINT while sample generates: ended by the signal, nothing written", async () => {
    const out = join(tmp, "r27", "big.npz");
    // 100,000 images take many minutes here; the signal comes after start-up, during generation.
    const r = await spawnCliAndSignal("adagen", ["sample", "--model", "dit-tiny", "--steps", "2", "--schedule", "uniform", "--n", "100000", "--seed", "0", "--out", out], "SIGINT", 4000);
    expect(r.signal, r.stderr).toBe("SIGINT");
    expect(r.stdout).toBe("");
    expectNotWritten(out);
  });

  it("28 SIGINT in the middle of writing the file (injected, spawned): the write completes, no temporary file", () => {
    const out = join(tmp, "r28", "x.npz");
    const r = spawnCli("adagen", sampleArgs(out), { preload: [FS_FAULTS], env: { ADAGEN_TEST_FS_FAULT: "sigint" } });
    expect(r.signal, r.stderr).toBe("SIGINT");
    expect(r.stderr).toBe("");
    // The signal came when half the bytes were written: the file is whole or absent, never half.
    expect(readNpz(out).get("arr_0")!.shape).toEqual([4, 28, 28, 1]);
    expect(tempFilesUnder(join(tmp, "r28"))).toEqual([]);
  });
});

describe("adagen-bench: sample sets for FID", () => {
  const px = 28 * 28;
  const rows: [string, () => string, RegExp][] = [
    ["29 images of the wrong dtype (int16)", () => npz("int16", { dtype: "int16", shape: [8, 28, 28, 1], data: Int16Array.from(pixels(8)) }), /int16\.npz: array 'arr_0' has dtype int16, expected uint8 images \(or float32\/float64 in \[0, 1\]\)/],
    ["30 images of the wrong size (32×32 for a 28×28 extractor)", () => npz("size32", { dtype: "uint8", shape: [8, 32, 32, 1], data: pixels(8, 1024) }), /size32\.npz: images are 32x32, the extractor .*fmnist-features\.onnx expects 28x28/],
    ["31 images of the wrong shape (2 channels)", () => npz("two-channels", { dtype: "uint8", shape: [8, 28, 28, 2], data: pixels(8, 2 * px) }), /two-channels\.npz: array 'arr_0' has shape \(8, 28, 28, 2\), expected \(N, H, W, 1 or 3\)/],
    ["32 float images out of range (0..255 instead of [0, 1])", () => npz("range", { dtype: "float32", shape: [8, 28, 28, 1], data: Float32Array.from(pixels(8)) }), /range\.npz: float images must lie in \[0, 1\]; sample 0 has value 37/],
    [
      "33 NaN pixels",
      () => {
        const data = Float32Array.from(pixels(8), (v) => v / 255);
        data[3 * px + 5] = NaN;
        return npz("nan", { dtype: "float32", shape: [8, 28, 28, 1], data });
      },
      /nan\.npz: float images must lie in \[0, 1\]; sample 3 has value NaN/,
    ],
    ["34 an empty sample set", () => npz("empty", { dtype: "uint8", shape: [0, 28, 28, 1], data: new Uint8Array(0) }), /empty\.npz: need at least 2 samples, got 0/],
    ["35 a one-image sample set", () => npz("one", { dtype: "uint8", shape: [1, 28, 28, 1], data: pixels(1) }), /one\.npz: need at least 2 samples, got 1/],
    [
      "36 a truncated npz",
      () => {
        writeFileSync(join(tmp, "cut.npz"), readFileSync(GOOD).subarray(0, 1000));
        return join(tmp, "cut.npz");
      },
      /cut\.npz: not a zip archive or truncated/,
    ],
    ["37 a file that does not exist", () => join(tmp, "absent.npz"), /absent\.npz: no such file or folder/],
  ];
  for (const [name, file, pattern] of rows)
    it(name, async () => {
      expectOneLineError(await bench("fid", file(), GOOD, "--quiet"), "adagen-bench", pattern);
    });

  it("38 statistics of another dimension than the extractor's features (spawned)", () => {
    const r = spawnCli("adagen-bench", ["fid", GOOD, join(ZOO, "stats/fmnist-test-stats.npz"), "--extractor", join(ROOT, "packages/metrics/fixtures/extractor_28.onnx"), "--quiet"]);
    expectOneLineError(r, "adagen-bench", /feature dimensions differ: .*good\.npz has 32, .*fmnist-test-stats\.npz has 128/);
  });

  it("39 a generator ONNX given as the extractor", async () => {
    expectOneLineError(
      await bench("fid", GOOD, GOOD, "--extractor", onnx("dit-tiny"), "--quiet"),
      "adagen-bench",
      /dit-tiny\.onnx: not an image feature extractor: it takes 3 inputs \(x, t, y\), an extractor takes one image batch/,
    );
  });

  it("40 an unknown flag", async () => {
    expectOneLineError(await bench("fid", GOOD, GOOD, "--frobnicate"), "adagen-bench", /unknown option --frobnicate/);
  });

  it("41 --batch-size 0", async () => {
    expectOneLineError(await bench("fid", GOOD, GOOD, "--batch-size", "0"), "adagen-bench", /--batch-size needs an integer ≥ 1, got 0/);
  });

  it("42 stats -o under a regular file", async () => {
    writeFileSync(join(tmp, "s-file"), "x");
    const out = join(tmp, "s-file", "stats.npz");
    expectOneLineError(await bench("stats", GOOD, "-o", out, "--quiet"), "adagen-bench", /s-file\/stats\.npz: cannot write \(ENOTDIR\)/);
  });

  it("43 a full disk while stats writes (injected ENOSPC, spawned)", () => {
    const out = join(tmp, "r43", "stats.npz");
    mkdirSync(join(tmp, "r43"));
    const r = spawnCli("adagen-bench", ["stats", GOOD, "-o", out, "--quiet"], { preload: [FS_FAULTS], env: { ADAGEN_TEST_FS_FAULT: "enospc" } });
    expectOneLineError(r, "adagen-bench", /r43\/stats\.npz: cannot write \(ENOSPC\)/);
    expectNotWritten(out);
  });
});

describe("library entry points", () => {
  const dit = cardPath("dit-tiny");

  it("44 createSampler: the generator pointed at a decoder ONNX → InputError", async () => {
    const model = card("lib-decoder", (c) => (c.generator.file = onnx("maskgit-tiny.decoder")));
    await expectThrows(() => createSampler({ model, steps: 2 }), InputError, /maskgit-tiny\.decoder\.onnx: missing input "x", "t", "y"/);
  });

  it("45 createSampler: a policy for another model → InputError", async () => {
    await expectThrows(
      () => createSampler({ model: dit, steps: 4, policy: join(POLICIES, "sit-tiny-4.adagen") }),
      InputError,
      /sit-tiny-4\.adagen: policy was trained for sit-tiny at 4 steps, not dit-tiny at 4 steps/,
    );
  });

  it("46 createSampler: a truncated policy → InputError", async () => {
    const policy = join(tmp, "lib-half.adagen");
    const bytes = readFileSync(join(POLICIES, "dit-tiny-4.adagen"));
    writeFileSync(policy, bytes.subarray(0, 100));
    await expectThrows(() => createSampler({ model: dit, steps: 4, policy }), InputError, /lib-half\.adagen: not a readable policy/);
  });

  it("47 createSampler: steps -1 → InputError", async () => {
    await expectThrows(() => createSampler({ model: dit, steps: -1 }), InputError, /steps must be a positive integer .*got -1/);
  });

  it("48 sampler.sample: n 0 and n 1e12 → InputError", async () => {
    const sampler = await createSampler({ model: dit, steps: 2 });
    try {
      await expectThrows(() => sampler.sample({ n: 0, seed: 0 }), InputError, /n = 0/);
      await expectThrows(() => sampler.sample({ n: 1e12, seed: 0 }), InputError, /1000000000000 images of 28×28×1 bytes each do not fit in one array/);
    } finally {
      await sampler.dispose();
    }
  });

  it("49 openPolicy: a policy for another step count → InputError", async () => {
    const model = loadModel(dit, diffusionAdapter);
    const opened = await openModel(model, 4);
    try {
      await expectThrows(() => openPolicy(join(POLICIES, "dit-tiny-8.adagen"), model, 4, opened), InputError, /policy was trained for dit-tiny at 8 steps, not dit-tiny at 4 steps/);
    } finally {
      await opened.dispose();
    }
  });

  it("50 readModelCard: a missing field and a wrong-typed one → InputError", async () => {
    await expectThrows(() => readModelCard(card("lib-no-name", (c) => delete c.name)), InputError, /lib-no-name\.json: "name" must be a non-empty string, got nothing/);
    await expectThrows(() => readModelCard(card("lib-shape", (c) => (c.image.shape = "28x28"))), InputError, /lib-shape\.json: "image\.shape" must be a list of 3 positive integers, got "28x28"/);
  });

  it("51 train: steps 0 → InputError", async () => {
    await expectThrows(() => train({ model: dit, steps: 0, out: join(tmp, "lib-train") }), InputError, /steps must be a positive integer, got 0/);
    expectNotWritten(join(tmp, "lib-train"));
  });

  it("52 Scorer.create: statistics of another dimension than the extractor's features → InputError", async () => {
    const c = readModelCard(card("lib-stats-64", (x) => (x.evaluation.testStats = join(ROOT, "packages/metrics/fixtures/stats_a.npz"))));
    await expectThrows(() => Scorer.create(c, "test"), InputError, /gives 128-d features \(output "features"\), but .*stats_a\.npz holds 64-d statistics/);
  });

  it("53 frechetDistance: statistics of different dimensions → MetricsInputError", async () => {
    const a = readStatistics(join(ZOO, "stats/fmnist-test-stats.npz"));
    const b = readStatistics(join(ROOT, "packages/metrics/fixtures/stats_a.npz"));
    await expectThrows(() => frechetDistance(a, b), MetricsInputError, /feature dimensions differ: 128 vs 64/);
  });

  it("54 featureStatistics: a NaN feature, one sample → MetricsInputError", async () => {
    await expectThrows(() => featureStatistics({ data: Float64Array.of(1, NaN, 2, 3), rows: 2, dims: 2 }), MetricsInputError, /non-finite feature NaN at sample 0, dimension 1/);
    await expectThrows(() => featureStatistics({ data: Float64Array.of(1, 2), rows: 1, dims: 2 }), MetricsInputError, /need at least 2 samples for a covariance, got 1/);
  });

  it("55 FeatureExtractor.create: a generator ONNX → MetricsInputError", async () => {
    await expectThrows(() => FeatureExtractor.create(onnx("dit-tiny")), MetricsInputError, /dit-tiny\.onnx: not an image feature extractor: it takes 3 inputs/);
  });

  it("57 train: batch 1000000 → InputError before any work", async () => {
    await expectThrows(() => train({ model: dit, steps: 2, batch: 1_000_000, out: join(tmp, "never-run") }), InputError, /batch must be an integer in 1\.\.4096, got 1000000/);
    expectNotWritten(join(tmp, "never-run"));
  });

  it("56 readStatistics: a sample file, not statistics → MetricsInputError", async () => {
    await expectThrows(() => readStatistics(GOOD), MetricsInputError, /good\.npz: not a statistics file: needs arrays 'mu' and 'sigma', has arr_0/);
  });
});

it("no row left a temporary file anywhere in the scratch folder", () => {
  expect(tempFilesUnder(tmp)).toEqual([]);
});
