import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ModelCardError } from "./card-fields.js";
import { parseModelCard, readModelCard } from "./model-card.js";

const dir = mkdtempSync(join(tmpdir(), "adagen-card-"));
const FILE = join(dir, "card.json");

function card(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: "adagen-model-card",
    version: 1,
    name: "rgb-32",
    paradigm: "diffusion",
    generator: { file: "models/g.onnx", sampleShape: [3, 32, 32], featureShape: [64, 48], timeScale: 1000 },
    image: { shape: [32, 32, 3] },
    classes: { count: 100 },
    sampler: { solver: "2M" },
    ...overrides,
  };
}

describe("model cards", () => {
  it("reads a minimal card with its defaults and resolves paths against the card's folder", () => {
    const c = parseModelCard(card({ data: { train: "reals.npz" }, evaluation: { extractor: "/abs/x.onnx", testStats: "s.npz" } }), FILE);
    expect(c.generator.file).toBe(join(dir, "models/g.onnx"));
    expect(c.generator.inputs).toEqual({ state: "x", time: "t", label: "y" });
    expect(c.generator.outputs).toEqual({ prediction: undefined, features: "features" });
    expect(c.generator.featureShape).toEqual([64, 48]);
    expect(c.image).toEqual({ shape: [32, 32, 3], range: [-1, 1] });
    expect(c.classes).toEqual({ count: 100, null: 100 });
    expect(c.data?.train).toBe(join(dir, "reals.npz"));
    expect(c.evaluation).toEqual({ extractor: "/abs/x.onnx", featuresOutput: "features", logitsOutput: undefined, trainStats: undefined, testStats: join(dir, "s.npz") });
    expect(c.description).toBe("rgb-32");
    expect(c.decoder).toBeUndefined();
    // The paradigm's section is handed on unread, with field names from the root.
    expect(c.sampler.string("solver")).toBe("2M");
    expect(() => c.sampler.number("heuristic.start", { above: 0 })).toThrow(`${FILE}: "sampler.heuristic.start" must be a number > 0, got nothing`);
  });

  it("accepts a latent generator with a decoder whose images differ from the sample shape", () => {
    const c = parseModelCard(
      card({ generator: { file: "g.onnx", sampleShape: [4, 8, 8], featureShape: [16, 16] }, decoder: { file: "d.onnx" }, classes: { count: 10, null: 12 } }),
      FILE,
    );
    expect(c.decoder).toEqual({ file: join(dir, "d.onnx"), input: "z", output: "image" });
    expect(c.generator.timeScale).toBe(1);
    expect(c.classes).toEqual({ count: 10, null: 12 });
  });

  it.each([
    [{ format: "x" }, `"format" must be one of "adagen-model-card", got "x"`],
    [{ version: 2 }, `"version" must be 1`],
    [{ name: "a b" }, `"name" must be letters, digits`],
    [{ generator: { file: "g.onnx", sampleShape: [3, 0, 32], featureShape: [64, 48] } }, `"generator.sampleShape" must be a list of one or more positive integers, got [3,0,32]`],
    [{ generator: { file: "g.onnx", sampleShape: [3, 32, 32], featureShape: [64] } }, `"generator.featureShape" must be a list of 2 positive integers, got [64]`],
    [{ generator: { sampleShape: [3, 32, 32], featureShape: [64, 48] } }, `"generator.file" must be a non-empty string, got nothing`],
    [{ generator: { file: "g.onnx", sampleShape: [3, 32, 32], featureShape: [64, 48], timeScale: 0 } }, `"generator.timeScale" must be a number > 0, got 0`],
    [{ image: { shape: [32, 32, 2] } }, `"image.shape" must be [H, W, C] with C = 1 or 3, got [32,32,2]`],
    [{ image: { shape: [28, 28, 3] } }, `"image.shape" must match generator.sampleShape [3,32,32] as [H, W, C] (no decoder), got [28,28,3]`],
    [{ image: { shape: [32, 32, 3], range: [1, -1] } }, `"image.range" must be [lo, hi] with lo < hi, got [1,-1]`],
    [{ classes: { count: 0 } }, `"classes.count" must be an integer ≥ 1, got 0`],
    [{ classes: { count: 10, null: 3 } }, `"classes.null" must not be a real class (0..9), got 3`],
    [{ sampler: 3 }, `"sampler" must be an object, got 3`],
    [{ decoder: { input: "z" } }, `"decoder.file" must be a non-empty string, got nothing`],
  ])("names the field of a bad card: %j", (change, message) => {
    let err: unknown;
    try {
      parseModelCard(card(change), FILE);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelCardError);
    expect((err as Error).message).toContain(`${FILE}: ${message}`);
  });

  it("reads a file and names a missing or broken one", () => {
    writeFileSync(FILE, JSON.stringify(card()));
    expect(readModelCard(FILE).name).toBe("rgb-32");
    expect(() => readModelCard(join(dir, "none.json"))).toThrow(`${join(dir, "none.json")}: no such model card`);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ not json");
    expect(() => readModelCard(broken)).toThrow(new RegExp(`${broken}: not a readable JSON model card`));
    writeFileSync(broken, "[1, 2]");
    expect(() => readModelCard(broken)).toThrow(`${broken}: a model card is a JSON object`);
  });
});
