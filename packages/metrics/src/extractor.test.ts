import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FeatureExtractor } from "./extractor.js";
import { NpzReader } from "./npz.js";
import { npzImageBatches } from "./images.js";
import { fixture } from "./test-support.js";

describe("FeatureExtractor (ONNX)", () => {
  it("extracts features and logits from a sample batch, in batches, with progress", async () => {
    const ex = await FeatureExtractor.create(fixture("extractor_28.onnx"));
    expect(ex.spec.inputSize).toEqual([28, 28]);
    const r = NpzReader.open(fixture("samples_28.npz"));
    const progress: number[] = [];
    const out = await ex.extractAll(npzImageBatches(r, 10), { total: 24, onProgress: (p) => progress.push(p.done) });
    r.close();
    expect(progress).toEqual([10, 20, 24]);
    expect(out.rows).toBe(24);
    expect(out.featureDims).toBe(32);
    expect(out.logitDims).toBe(10);
    // Batching does not change the features.
    const r2 = NpzReader.open(fixture("samples_28.npz"));
    const one = await ex.extractAll(npzImageBatches(r2, 24));
    r2.close();
    for (let i = 0; i < out.features.length; i++) expect(one.features[i]).toBeCloseTo(out.features[i], 5);
    await ex.dispose();
  });

  it("infers the contract of a model without a JSON file from its input shape and output names", async () => {
    const dir = mkdtempSync(join(tmpdir(), "noj-"));
    copyFileSync(fixture("extractor_28.onnx"), join(dir, "m.onnx"));
    const ex = await FeatureExtractor.create(join(dir, "m.onnx"));
    expect(ex.spec).toMatchObject({ inputSize: [28, 28], channels: 1, featuresOutput: "features", logitsOutput: "logits" });
    await ex.dispose();
  });

  it("refuses images of the wrong size or channel count", async () => {
    const ex = await FeatureExtractor.create(fixture("extractor_28.onnx"));
    const img = { data: new Uint8Array(2 * 32 * 32), count: 2, height: 32, width: 32, channels: 1 };
    await expect(ex.extract(img, "x.npz")).rejects.toThrow(/x.npz: images are 32x32, the extractor .* expects 28x28/);
    const rgb = { data: new Uint8Array(2 * 28 * 28 * 3), count: 2, height: 28, width: 28, channels: 3 };
    await expect(ex.extract(rgb)).rejects.toThrow(/RGB, the extractor .* expects 1 channel/);
  });

  it("runs the Inception-v3 IO contract at any input size (grayscale repeated to RGB)", async () => {
    const ex = await FeatureExtractor.create(fixture("inception_contract.onnx"));
    expect(ex.spec.inputSize).toBeNull();
    const img = { data: new Uint8Array(2 * 17 * 23).fill(128), count: 2, height: 17, width: 23, channels: 1 };
    const out = await ex.extract(img);
    expect(out.featureDims).toBe(2048);
    expect(out.logitDims).toBe(1008);
  });
});

const PYTHON = "/usr/bin/python3";
const hasTorch = (() => {
  try {
    execFileSync(PYTHON, ["-c", "import torch, torchvision, onnx"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasTorch)("Inception-v3 contract with the real architecture (Debian torchvision, random weights)", () => {
  it("tooling/metrics/export_inception.py --random exports a model FeatureExtractor runs", async () => {
    const script = fileURLToPath(new URL("../../../tooling/metrics/export_inception.py", import.meta.url));
    const out = join(mkdtempSync(join(tmpdir(), "inception-")), "inception-random.onnx");
    execFileSync(PYTHON, [script, "--random", "-o", out], { stdio: "ignore" });
    const ex = await FeatureExtractor.create(out);
    expect(ex.spec).toMatchObject({ inputSize: null, channels: 3, featuresOutput: "features", logitsOutput: "logits" });
    const img = { data: new Uint8Array(2 * 64 * 48 * 3).map((_, i) => i % 251), count: 2, height: 64, width: 48, channels: 3 };
    const r = await ex.extract(img);
    expect(r.featureDims).toBe(2048);
    expect(r.logitDims).toBe(1008);
    expect(r.features.every(Number.isFinite)).toBe(true);
    await ex.dispose();
  });
});
