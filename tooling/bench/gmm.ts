/**
 * `pnpm bench:gmm`: trains AdaGen on the d=16 Gaussian-mixture testbed at 3 NFE and compares it with the best
 * DPM-Solver++ baseline (2S and 2M on time-uniform / logSNR-uniform / Karras grids × constant guidance
 * {0, 0.25, 0.5, 1, 1.5, 2}) by class-conditional sliced Wasserstein-2 distance to exact samples, 20,000 samples,
 * on paired seeds. The policy kept is the best on a separate validation set (AdaNAT keeps its best-FID policy).
 * The last line printed is one JSON object: {"metric":"swd","steps":3,"endpoint":…,"baseline":…,"adagen":…,"seconds":…}.
 *
 * Env: GMM_ITERATIONS (default 120) and GMM_TIME_BUDGET (training seconds, default 420) bound the training.
 * GMM_ENDPOINT: "data" (default, every sampler lands on tau = 0: the last call's data prediction) or "last-time"
 * (the paper's stop at 0.01, where the testbed's baselines leave more room to learn).
 */
import { ENDPOINTS, initTensorflow, type Endpoint } from "@adagen/core";
import { runGmmExperiment } from "@adagen/diffusion";
import { benchWithoutFlags } from "./bench-command.js";

benchWithoutFlags(import.meta.url);

const endpoint = (process.env.GMM_ENDPOINT ?? "data") as Endpoint;
if (!ENDPOINTS.includes(endpoint)) throw new Error(`GMM_ENDPOINT must be one of ${ENDPOINTS.join(", ")}, got ${endpoint}`);

const started = performance.now();
await initTensorflow();
const result = await runGmmExperiment({
  dim: 16,
  nfe: 3,
  evalSamples: 20000,
  iterations: Number(process.env.GMM_ITERATIONS ?? 120),
  timeBudgetSeconds: Number(process.env.GMM_TIME_BUDGET ?? 420),
  trajectoriesPerIteration: 1024,
  batchSize: 512,
  ppo: { learningRate: 3e-4, explorationStd: 0.6, stdDecayAt: [], epochs: 4, minibatches: 4 },
  network: { hidden: 64, channels: 16, mixedTokens: 3, mlp: [128, 64], stepFeatures: 32 },
  discriminator: { hidden: [256, 256], learningRate: 2e-3, steps: 10, batch: 512 },
  heuristicGuidance: 0.1,
  validation: { every: 5, samples: 10000 },
  seed: 0,
  endpoint,
  onProgress: (m, v) =>
    process.stderr.write(
      `iter ${m.iteration}: reward ${m.rewardMean.toFixed(4)} ± ${m.rewardStd.toFixed(4)}, ` +
        `D loss ${m.discriminator?.discriminatorLoss.toFixed(4)}, ${m.seconds.total.toFixed(1)} s` +
        (v ? `; validation SW2 ${v.swd.toFixed(4)} times [${v.times.map((t) => t.toFixed(3))}]` : "") +
        "\n",
    ),
});
const b = result.baseline;
console.log(`baseline: DPM-Solver++(${b.solver}) ${b.grid} w=${b.guidance} times [${b.times.map((t) => t.toFixed(3))}]`);
console.log(
  `AdaGen (iteration ${result.selectedIteration} of ${result.iterations}, ${result.trainSeconds.toFixed(0)} s of training), ` +
    `mean schedule: times [${result.learnedSchedule.times.map((t) => t.toFixed(3))}] ` +
    `guidance [${result.learnedSchedule.guidance.map((w) => w.toFixed(3))}]`,
);
console.log(`SW2 floor (exact vs exact samples): ${result.exactFloor.toFixed(4)}`);
console.log(
  JSON.stringify({
    metric: "swd",
    steps: 3,
    endpoint,
    baseline: Number(b.swd.toFixed(5)),
    adagen: Number(result.adagenSwd.toFixed(5)),
    ratio: Number((result.adagenSwd / b.swd).toFixed(4)),
    seconds: Math.round((performance.now() - started) / 1000),
  }),
);
