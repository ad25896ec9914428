import { describe, expect, it } from "vitest";
import { GaussianMixture } from "./gmm.js";
import { formatGmmBaselines, measureGmmBaselines } from "./gmm-baselines.js";

describe("GMM testbed baselines", () => {
  it("leave room for a learned schedule at 3 NFE on d = 2 (small run)", async () => {
    const report = await measureGmmBaselines(new GaussianMixture({ dim: 2, seed: 1 }), { nfe: 3, samples: 1200, guidance: [0, 1] });
    expect(report.rows).toHaveLength(6);
    expect(report.best.swd).toBe(Math.min(...report.rows.map((r) => r.swd)));
    // 3 NFE is visibly worse than the converged sampler, which sits near the estimator's floor.
    expect(report.best.swd).toBeGreaterThan(1.5 * report.convergedFloor);
    expect(report.convergedFloor).toBeLessThan(3 * report.exactFloor);
    expect(formatGmmBaselines(report)).toMatch(/best: 2S/);
  });
});
