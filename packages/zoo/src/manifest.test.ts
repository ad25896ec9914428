import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadManifest, loadReferenceStats, modelPath, readFixture, verifyFile } from "./manifest.js";
import { zooPath } from "./paths.js";

const MAX_MODEL_BYTES = 40e6;

describe("manifest", () => {
  const manifest = loadManifest();
  const names = Object.keys(manifest.models);

  it("lists the five models with their paradigms", () => {
    expect(Object.fromEntries(names.map((n) => [n, manifest.models[n as keyof typeof manifest.models].paradigm]))).toEqual({
      "fmnist-features": "extractor",
      "dit-tiny": "diffusion",
      "sit-tiny": "flow",
      "maskgit-tiny": "maskgit",
      "var-tiny": "var",
    });
  });

  it("has every listed file on disk with a matching sha256", () => {
    const entries = [
      ...manifest.dataset.files,
      ...Object.values(manifest.models).flatMap((m) => [...m.files, ...m.fixtures, ...(m.stats ? [m.stats] : [])]),
    ];
    for (const e of entries) {
      expect(existsSync(zooPath(e.path)), e.path).toBe(true);
      expect(verifyFile(e), e.path).toBe(true);
    }
  });

  it("keeps all model files together within 40 MB", () => {
    const total = Object.values(manifest.models).reduce((s, m) => s + m.files.reduce((a, f) => a + f.bytes, 0), 0);
    expect(total).toBe(manifest.model_bytes_total);
    expect(total).toBeLessThanOrEqual(MAX_MODEL_BYTES);
  });

  it("matches each fixture's tensors to the IO contract of its graph", () => {
    for (const m of Object.values(manifest.models)) {
      for (const fx of m.fixtures) {
        const fixture = readFixture(zooPath(fx.path));
        const contract = m.io[`models/${fixture.file}`];
        expect(contract, fixture.file).toBeDefined();
        expect(Object.keys(fixture.inputs)).toEqual(contract.inputs.map((t) => t.name));
        expect(Object.keys(fixture.outputs)).toEqual(contract.outputs.map((t) => t.name));
        for (const spec of [...contract.inputs, ...contract.outputs]) {
          const t = fixture.inputs[spec.name] ?? fixture.outputs[spec.name];
          expect(t.dtype, `${fixture.file} ${spec.name}`).toBe(spec.dtype);
          expect(t.shape.length, `${fixture.file} ${spec.name}`).toBe(spec.shape.length);
          spec.shape.forEach((d, i) => {
            if (typeof d === "number") expect(t.shape[i], `${fixture.file} ${spec.name}[${i}]`).toBe(d);
          });
        }
      }
    }
  });

  it("resolves model paths and rejects unknown suffixes", () => {
    expect(modelPath("var-tiny", "next")).toMatch(/models\/var-tiny\.next\.onnx$/);
    expect(() => modelPath("dit-tiny", "decoder")).toThrow(/has no file models\/dit-tiny\.decoder\.onnx/);
  });

  it("loads the test-set reference statistics (128-d, symmetric covariance)", () => {
    const s = loadReferenceStats();
    expect(s.dim).toBe(128);
    expect(s.count).toBe(10000);
    expect(s.cov[1 * 128 + 5]).toBeCloseTo(s.cov[5 * 128 + 1], 12);
    expect(s.cov[0]).toBeGreaterThan(0);
  });
});
