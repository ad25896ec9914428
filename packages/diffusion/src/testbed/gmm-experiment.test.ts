import { initTensorflow } from "@adagen/core";
import { beforeAll, describe, expect, it } from "vitest";
import { runGmmExperiment } from "./gmm-experiment.js";

beforeAll(async () => {
  await initTensorflow();
});

describe("AdaGen on the Gaussian-mixture testbed (small version of pnpm bench:gmm)", () => {
  it("trains a policy that beats the best DPM-Solver++ baseline at 3 NFE", async () => {
    const result = await runGmmExperiment({
      dim: 16,
      nfe: 3,
      evalSamples: 4000,
      iterations: 20,
      trajectoriesPerIteration: 512,
      batchSize: 256,
      ppo: { learningRate: 3e-4, explorationStd: 0.6, stdDecayAt: [], epochs: 4, minibatches: 4 },
      network: { hidden: 64, channels: 16, mixedTokens: 3, mlp: [128, 64], stepFeatures: 32 },
      discriminator: { hidden: [256, 256], learningRate: 2e-3, steps: 10, batch: 512 },
      heuristicGuidance: 0.1,
      validation: { every: 5, samples: 4000 },
      seed: 0,
      // The paper's endpoint (stop at tau = 0.01): this test is about the learning machinery, and there the best
      // 3-NFE baseline leaves room to learn. Landing on the data end instead, the exact denoiser's last x0 prediction
      // is already close to the best this short run finds (measured with the same settings: baseline 2M
      // logSNR-uniform w = 0, SW2 0.1201; AdaGen 0.1195, ratio 0.995).
      endpoint: "last-time",
    });
    // Paired test seeds, never used for selection.
    // Seen here: baseline 0.1311, AdaGen 0.0875 (ratio 0.67).
    expect(result.adagenSwd).toBeLessThan(0.85 * result.baseline.swd);
    expect(result.selectedIteration).toBeGreaterThan(0);
  });
});
