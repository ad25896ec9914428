import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// onnxruntime-node (and its 30 MB native libonnxruntime) is an optional peer dependency, loaded only by code that
// runs an ONNX model (OnnxModel.load, FeatureExtractor.create, checkParity). A fresh Node process imports every
// library package the way a user does (their sources here, through the adagen-source condition), then looks for
// onnxruntime in the CommonJS module cache and among the process's loaded shared objects; then it loads a model,
// which must load both (so the probe would see an eager import).
const root = fileURLToPath(new URL("..", import.meta.url));
const model = fileURLToPath(new URL("fixtures/tiny-generator.onnx", import.meta.url));
const PACKAGES = ["@adagen/core", "@adagen/diffusion", "@adagen/flow", "@adagen/maskgit", "@adagen/var", "@adagen/metrics", "@adagen/zoo"];

const probe = `
import { createRequire } from "node:module";
const cache = createRequire(import.meta.url).cache;
const loaded = () => ({
  modules: Object.keys(cache).filter((k) => /[\\\\/]onnxruntime-(node|common)[\\\\/]/.test(k)).length,
  sharedObjects: process.report.getReport().sharedObjects.filter((s) => /onnxruntime/i.test(s)).map((s) => s.split("/").pop()),
});
const imported = {};
for (const name of JSON.parse(process.env.PACKAGES)) imported[name] = Object.keys(await import(name)).length;
const afterImport = loaded();
const { OnnxModel } = await import("@adagen/core");
const m = await OnnxModel.load(process.env.MODEL, {
  inputs: { x: { dtype: "float32", shape: ["B", 4] }, y: { dtype: "int64", shape: ["B"] } },
  outputs: { out: { dtype: "float32", shape: ["B", 3] }, features: { dtype: "float32", shape: ["B", 1, 3] } },
});
await m.dispose();
console.log(JSON.stringify({ imported, afterImport, afterLoad: loaded() }));
`;

describe("onnxruntime-node is loaded lazily", () => {
  it("importing @adagen/core, diffusion, flow, maskgit, var, metrics and zoo loads no onnxruntime; OnnxModel.load does", () => {
    const out = execFileSync(process.execPath, ["--conditions=adagen-source", "--import", "tsx", "--input-type=module", "-e", probe], {
      cwd: root,
      env: { ...process.env, PACKAGES: JSON.stringify(PACKAGES), MODEL: model, ADAGEN_TF_BACKEND: "cpu" },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const result = JSON.parse(out.trim().split("\n").pop()!);
    for (const name of PACKAGES) expect(result.imported[name], name).toBeGreaterThan(0);
    expect(result.afterImport).toEqual({ modules: 0, sharedObjects: [] });
    expect(result.afterLoad.modules).toBeGreaterThan(0);
    expect(result.afterLoad.sharedObjects.join(" ")).toMatch(/libonnxruntime/);
  });
});
