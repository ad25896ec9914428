import { describe, expect, it } from "vitest";
import type { Batch } from "../env.js";
import { Random } from "../random.js";
import type { FeatureSpace } from "./feature-space.js";
import { FrechetInfluenceReward } from "./frechet-influence-reward.js";
import { MeanReward } from "./mean-reward.js";
import type { LabeledBatch, RealDataSource } from "./reward.js";

const H = 8;
const W = 8;

/** A small real feature space: the mean brightness of `bands` horizontal (or vertical) bands of the image. */
function bandMeans(bands: number, vertical: boolean): FeatureSpace {
  return {
    file: `${bands} ${vertical ? "vertical" : "horizontal"} bands`,
    dims: bands,
    async features(samples: Batch) {
      const B = samples.shape[0];
      const data = new Float32Array(B * bands);
      for (let b = 0; b < B; b++)
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) {
            const band = Math.floor(((vertical ? x : y) * bands) / (vertical ? W : H));
            data[b * bands + band] += samples.data[b * H * W + y * W + x] / ((H * W) / bands);
          }
      return { data, rows: B, dims: bands };
    },
    dispose() {},
  };
}

/** Images of one class whose pixels are uniform in [lo, hi]. */
function images(count: number, rng: Random, lo: number, hi: number): LabeledBatch {
  const data = Float32Array.from({ length: count * H * W }, () => lo + (hi - lo) * rng.uniform());
  return { samples: { data, shape: [count, H, W, 1] }, labels: new Int32Array(count) };
}

const reals: RealDataSource = { sample: (count, rng) => images(count, rng, 0.2, 0.8) };

async function influence(space: FeatureSpace): Promise<FrechetInfluenceReward> {
  return FrechetInfluenceReward.create(space, reals, 1, { count: 400, classConditional: false, horizon: 300 });
}

describe("MeanReward", () => {
  it("scores the mean of its members' scores, updates each, and averages the figures they share", async () => {
    const a = await influence(bandMeans(4, false));
    const b = await influence(bandMeans(2, true));
    const mean = new MeanReward([a, b]);
    const rng = new Random(5);
    const none = images(0, rng, 0, 1);
    const fakes = images(200, rng, 0.3, 0.6);
    const figures = await mean.update(none, fakes);
    // Both members remember 200 images with horizon 300: 300 (1 − (1 − 1/300)^200) of weight.
    expect(figures.statisticsImages).toBeCloseTo(300 * (1 - (1 - 1 / 300) ** 200), 6);
    const probe = images(16, rng, 0, 1);
    const [sa, sb, sm] = await Promise.all([a.score(probe.samples, probe.labels), b.score(probe.samples, probe.labels), mean.score(probe.samples, probe.labels)]);
    for (let i = 0; i < 16; i++) expect(sm[i]).toBeCloseTo((sa[i] + sb[i]) / 2, 5);
    // The members differ, so the mean is not either of them.
    expect(Array.from(sa).some((v, i) => Math.abs(v - sb[i]) > 1e-3)).toBe(true);
    await mean.dispose();
  });

  it("restores each member's state from its own prefix", async () => {
    const rng = new Random(6);
    const trained = new MeanReward([await influence(bandMeans(4, false)), await influence(bandMeans(2, true))]);
    await trained.update(images(0, rng, 0, 1), images(150, rng, 0.1, 0.5));
    const state = await trained.exportState();
    expect(Object.keys(state).every((k) => k.startsWith("mean/0/influence/") || k.startsWith("mean/1/influence/"))).toBe(true);

    const restored = new MeanReward([await influence(bandMeans(4, false)), await influence(bandMeans(2, true))]);
    await restored.importState(state);
    const probe = images(8, rng, 0, 1);
    // Checkpoints hold float32 statistics, so the restored scores agree to float32 precision.
    const [after, before] = [await restored.score(probe.samples, probe.labels), await trained.score(probe.samples, probe.labels)];
    for (let i = 0; i < probe.labels.length; i++) expect(after[i]).toBeCloseTo(before[i], 5);
    // Swapped members would read each other's statistics: the dimensions differ, so that is refused.
    const swapped = new MeanReward([await influence(bandMeans(2, true)), await influence(bandMeans(4, false))]);
    await expect(swapped.importState(state)).rejects.toThrow(/not 2-d/);
    await Promise.all([trained.dispose(), restored.dispose(), swapped.dispose()]);
  });

  it("refuses an empty list", () => {
    expect(() => new MeanReward([])).toThrow(/at least one/);
  });
});
