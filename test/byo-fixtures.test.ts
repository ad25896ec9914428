/**
 * The "bring your own generator" fixtures in test/fixtures/byo (tooling/fixtures/make_byo_generators.py, README in
 * tooling/fixtures): every ONNX file loads in onnxruntime-node with the documented input/output names and shapes,
 * and the generators still compute their closed forms (recomputed here in TypeScript from reference.json's class
 * means), so a regenerated fixture cannot drift silently.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readExtractorSpec, readNpz } from "@adagen/metrics";
// The root package has no onnxruntime-node of its own (an optional peer dependency of the library packages), so
// take @adagen/metrics' copy, the one FeatureExtractor loads.
import type * as Ort from "../packages/metrics/node_modules/onnxruntime-node";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ort = createRequire(join(ROOT, "packages/metrics/package.json"))("onnxruntime-node") as typeof Ort;
const DIR = join(ROOT, "test/fixtures/byo");
const path = (name: string): string => join(DIR, name);

interface ClassRef {
  mu: number[];
  var: number[];
}
const ref = JSON.parse(readFileSync(path("reference.json"), "utf8")) as {
  n: number;
  rgbDiffusion: Record<"7" | "100", ClassRef>;
  latentFlow: Record<"3" | "10", ClassRef>;
  decoder: { W: number[][]; b: number[] };
  extractor: { embedding: number[] };
};

type Io = Record<string, { type: string; shape: (number | string)[] }>;

/** Load `file`, check its declared inputs and outputs (names, element types, shapes with "B" symbolic). */
async function load(file: string, inputs: Io, outputs: Io): Promise<Ort.InferenceSession> {
  const s = await ort.InferenceSession.create(path(file));
  expect(s.inputNames).toEqual(Object.keys(inputs));
  expect(s.outputNames).toEqual(Object.keys(outputs));
  const meta = (m: readonly Ort.InferenceSession.ValueMetadata[]) =>
    Object.fromEntries(m.map((v) => [v.name, v.isTensor ? { type: v.type, shape: [...v.shape] } : {}]));
  expect(meta(s.inputMetadata)).toEqual(inputs);
  expect(meta(s.outputMetadata)).toEqual(outputs);
  return s;
}

const f32 = (shape: (number | string)[]) => ({ type: "float32", shape });
const i64 = (shape: (number | string)[]) => ({ type: "int64", shape });
const sinPattern = (n: number, rows: number, scale = 1, offset = 0) =>
  Float32Array.from({ length: n * rows }, (_, i) => offset + scale * Math.sin(0.1 * (i % n)));

/** Run on a batch and check every output's dims. */
async function run(s: Ort.InferenceSession, feeds: Record<string, Ort.Tensor>, dims: Record<string, number[]>) {
  const out = await s.run(feeds);
  for (const [name, d] of Object.entries(dims)) {
    expect(out[name].dims, name).toEqual(d);
    expect(out[name].type, name).toBe("float32");
  }
  return Object.fromEntries(Object.keys(dims).map((k) => [k, out[k].data as Float32Array]));
}

describe("test/fixtures/byo", () => {
  it("every file is under 2 MB and the folder under 6 MB", () => {
    const sizes = readdirSync(DIR).map((n) => statSync(path(n)).size);
    for (const s of sizes) expect(s).toBeLessThan(2e6);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(6e6);
  });

  it("rgb-diffusion.onnx: x [B,3,32,32], t = 1000 tau [B], y [B] (100 = null) -> eps [B,3,32,32], features [B,64,48]; eps is the closed form", async () => {
    const s = await load(
      "rgb-diffusion.onnx",
      { x: f32(["B", 3, 32, 32]), t: f32(["B"]), y: i64(["B"]) },
      { eps: f32(["B", 3, 32, 32]), features: f32(["B", 64, 48]) },
    );
    const tau = 0.37;
    const x = sinPattern(3072, 2);
    const out = await run(
      s,
      {
        x: new ort.Tensor("float32", x, [2, 3, 32, 32]),
        t: new ort.Tensor("float32", Float32Array.of(1000 * tau, 1000 * tau), [2]),
        y: new ort.Tensor("int64", BigInt64Array.of(7n, 100n), [2]),
      },
      { eps: [2, 3, 32, 32], features: [2, 64, 48] },
    );
    // VP-linear schedule (beta 0.1..20), then the posterior mean of x0 ~ N(mu, var) and eps = (x - alpha x0)/sigma.
    const logAlpha = -0.25 * tau * tau * (20 - 0.1) - 0.5 * tau * 0.1;
    const alpha = Math.exp(logAlpha);
    const sigma = Math.sqrt(-Math.expm1(2 * logAlpha));
    (["7", "100"] as const).forEach((cls, row) => {
      const { mu, var: v } = ref.rgbDiffusion[cls];
      for (let i = 0; i < ref.n; i++) {
        const xi = x[row * 3072 + i];
        const x0 = mu[i] + (alpha * v[i] * (xi - alpha * mu[i])) / (alpha * alpha * v[i] + sigma * sigma);
        const eps = (xi - alpha * x0) / sigma;
        expect(Math.abs(out.eps[row * 3072 + i] - eps), `class ${cls} element ${i}`).toBeLessThan(1e-5);
        // features token 0 = the predicted x0's top-left 4x4 patch, values in (dy, dx, c) order: (0, i, 0) = x0[0, 0, i].
        if (i < 4) expect(Math.abs(out.features[row * 64 * 48 + 3 * i] - x0)).toBeLessThan(1e-5);
      }
    });
    await s.release();
  });

  it("latent-flow.onnx: x [B,4,8,8], t = tau [B] (0 noise, 1 data), y [B] (10 = null) -> v [B,4,8,8], features [B,16,16]; v is the closed form", async () => {
    const s = await load(
      "latent-flow.onnx",
      { x: f32(["B", 4, 8, 8]), t: f32(["B"]), y: i64(["B"]) },
      { v: f32(["B", 4, 8, 8]), features: f32(["B", 16, 16]) },
    );
    const x = sinPattern(256, 2);
    const feeds = (tau: number) => ({
      x: new ort.Tensor("float32", x, [2, 4, 8, 8]),
      t: new ort.Tensor("float32", Float32Array.of(tau, tau), [2]),
      y: new ort.Tensor("int64", BigInt64Array.of(3n, 10n), [2]),
    });
    const tau = 0.6;
    const out = await run(s, feeds(tau), { v: [2, 4, 8, 8], features: [2, 16, 16] });
    (["3", "10"] as const).forEach((cls, row) => {
      const { mu, var: v } = ref.latentFlow[cls];
      for (let i = 0; i < ref.n; i++) {
        const xi = x[row * 256 + i];
        const x1 = mu[i] + (tau * v[i] * (xi - tau * mu[i])) / (tau * tau * v[i] + (1 - tau) ** 2);
        expect(Math.abs(out.v[row * 256 + i] - (x1 - xi) / (1 - tau)), `class ${cls} element ${i}`).toBeLessThan(1e-5);
        // features token 0 = the predicted x1's top-left 2x2 patch in (dy, dx, c) order: (0, i, 0) = x1[0, 0, i].
        if (i < 2) expect(Math.abs(out.features[row * 256 + 4 * i] - x1)).toBeLessThan(1e-5);
      }
    });
    // At tau = 1 the state is the data: E[x1 - noise | x1] = x1, finite.
    const end = await run(s, feeds(1), { v: [2, 4, 8, 8] });
    for (let i = 0; i < x.length; i++) expect(Math.abs(end.v[i] - x[i])).toBeLessThan(1e-5);
    await s.release();
  });

  it("latent-decoder.onnx: z [B,4,8,8] -> image [B,3,32,32] = nearest x4 of tanh(W z + b)", async () => {
    const s = await load("latent-decoder.onnx", { z: f32(["B", 4, 8, 8]) }, { image: f32(["B", 3, 32, 32]) });
    const z = sinPattern(256, 2, 2);
    const { image } = await run(s, { z: new ort.Tensor("float32", z, [2, 4, 8, 8]) }, { image: [2, 3, 32, 32] });
    const { W, b } = ref.decoder;
    for (let n = 0; n < 2; n++) {
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < 1024; p++) {
          const q = Math.floor(p / 128) * 8 + Math.floor((p % 32) / 4); // latent pixel under image pixel p
          let h = b[c];
          for (let k = 0; k < 4; k++) h += W[c][k] * z[n * 256 + k * 64 + q];
          expect(Math.abs(image[(n * 3 + c) * 1024 + p] - Math.tanh(h))).toBeLessThan(1e-5);
        }
      }
    }
    await s.release();
  });

  it("rgb-extractor.onnx: x [B,3,32,32] in [0,1] -> embedding [B,64] (the contract's features), pooled [B,128]; no logits", async () => {
    expect(readExtractorSpec(path("rgb-extractor.onnx"))).toEqual({
      inputSize: [32, 32],
      channels: 3,
      layout: "NCHW",
      inputName: "x",
      featuresOutput: "embedding",
    });
    const s = await load("rgb-extractor.onnx", { x: f32(["B", 3, 32, 32]) }, { embedding: f32(["B", 64]), pooled: f32(["B", 128]) });
    const x = sinPattern(3072, 2, 0.5, 0.5);
    const { embedding } = await run(s, { x: new ort.Tensor("float32", x, [2, 3, 32, 32]) }, { embedding: [2, 64], pooled: [2, 128] });
    for (let row = 0; row < 2; row++) {
      for (let j = 0; j < 64; j++) expect(Math.abs(embedding[row * 64 + j] - ref.extractor.embedding[j])).toBeLessThan(1e-4);
    }
    await s.release();
  });

  it("the reals are ADM sample batches: uint8 NHWC 32x32x3 images and class-balanced int64 labels", () => {
    for (const [file, count, classes] of [
      ["rgb-diffusion.reals.npz", 600, 100],
      ["latent-flow.reals.npz", 1000, 10],
    ] as const) {
      const npz = readNpz(path(file));
      const images = npz.get("arr_0")!;
      const labels = npz.get("arr_1")!;
      expect(images.dtype).toBe("uint8");
      expect(images.shape).toEqual([count, 32, 32, 3]);
      expect(labels.dtype).toBe("int64");
      const perClass = new Array<number>(classes).fill(0);
      for (const l of labels.data as BigInt64Array) perClass[Number(l)]++;
      expect(new Set(perClass)).toEqual(new Set([count / classes]));
    }
  });
});
