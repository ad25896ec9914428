import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkParity } from "./parity.js";
import { loadManifest, readFixture } from "./manifest.js";
import { zooPath } from "./paths.js";

/** The bound `pnpm zoo:check` (scripts/check.ts) and the README state: max abs difference to PyTorch. */
const PARITY_TOLERANCE = 1e-4;

/**
 * Fixtures in fixtures/ that are not onnxruntime parity fixtures. fmnist-vit holds PyTorch hidden states of the ViT
 * backbone (models/fmnist-vit.adagen), which runs in core's tfjs ViTEncoder: test/projected-discriminator.test.ts
 * checks it to 1e-4.
 */
const NOT_ONNX = new Set(["fixtures/fmnist-vit.fixture.json"]);

const manifest = loadManifest();
const listed = Object.values(manifest.models)
  .flatMap((m) => m.fixtures.map((f) => f.path))
  .sort();
const onnxFixtures = readdirSync(zooPath("fixtures"))
  .filter((f) => f.endsWith(".fixture.json"))
  .map((f) => `fixtures/${f}`)
  .filter((p) => !NOT_ONNX.has(p))
  .sort();

describe("onnxruntime-node parity with the PyTorch fixtures", () => {
  it("finds exactly the manifest's fixtures in fixtures/", () => {
    expect(onnxFixtures).toEqual(listed);
  });

  it.each(onnxFixtures)(`%s: every output within ${PARITY_TOLERANCE}`, async (path) => {
    const fixture = readFixture(zooPath(path));
    const model = Object.values(manifest.models).find((m) => m.fixtures.some((f) => f.path === path));
    expect(model?.files.map((f) => f.path), path).toContain(`models/${fixture.file}`);
    const result = await checkParity(fixture);
    expect(Object.keys(result.outputs)).toEqual(Object.keys(fixture.outputs));
    for (const [name, diff] of Object.entries(result.outputs)) {
      expect(diff, `${fixture.file} ${name}`).toBeLessThanOrEqual(PARITY_TOLERANCE);
    }
  });
});
