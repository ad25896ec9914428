/**
 * Prints the GMM testbed's baseline table: DPM-Solver++ (2S, 2M, DDIM) on time-uniform, logSNR-uniform and Karras
 * grids × constant guidance, scored by class-conditional SW2 to exact samples.
 *   node --conditions=adagen-source --import tsx tooling/bench/gmm-baselines.ts
 * Env: GMM_DIM (16), GMM_NFE (3), GMM_SAMPLES (5000), GMM_TAU_START (0.9).
 */
import { GaussianMixture, formatGmmBaselines, measureGmmBaselines } from "@adagen/diffusion";
import { benchWithoutFlags } from "./bench-command.js";

benchWithoutFlags(import.meta.url);

const dim = Number(process.env.GMM_DIM ?? 16);
const started = performance.now();
const report = await measureGmmBaselines(new GaussianMixture({ dim, seed: 1 }), {
  nfe: Number(process.env.GMM_NFE ?? 3),
  samples: Number(process.env.GMM_SAMPLES ?? 5000),
  solvers: ["2S", "2M", "1"],
  tauStart: Number(process.env.GMM_TAU_START ?? 0.9),
});
console.log(`d=${dim}\n${formatGmmBaselines(report)}\nseconds ${((performance.now() - started) / 1000).toFixed(1)}`);
