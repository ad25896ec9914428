/**
 * `pnpm bench:gmm`: trains AdaGen on the d=16 Gaussian-mixture testbed at 3 NFE and compares it with the best
 * DPM-Solver++ baseline (time-uniform / logSNR-uniform / Karras grids × a constant-guidance grid) by
 * class-conditional sliced Wasserstein-2 distance to exact samples on paired seeds.
 * The last line printed is one JSON object: {"metric":"swd","steps":3,"baseline":…,"adagen":…,"seconds":…}.
 */
import { initTensorflow } from "@adagen/core";
import { runGmmExperiment } from "@adagen/diffusion";

const started = performance.now();
await initTensorflow();
const iterations = Number(process.env.GMM_ITERATIONS ?? 60);
const result = await runGmmExperiment({
  dim: 16,
  nfe: 3,
  evalSamples: 20000,
  iterations,
  timeBudgetSeconds: Number(process.env.GMM_TIME_BUDGET ?? 420),
  trajectoriesPerIteration: 1024,
  batchSize: 512,
  ppo: { learningRate: 1e-3, explorationStd: 0.3, stdDecayAt: [], epochs: 4, minibatches: 4 },
  network: { hidden: 64, channels: 16, mixedTokens: 3, mlp: [128, 64], stepFeatures: 32 },
  discriminator: { hidden: [128, 128], learningRate: 1e-3, steps: 5, batch: 512 },
  seed: 0,
  onProgress: (m) =>
    process.stderr.write(
      `iter ${m.iteration}: reward ${m.rewardMean.toFixed(4)} ± ${m.rewardStd.toFixed(4)}, ` +
        `D loss ${m.discriminator?.discriminatorLoss.toFixed(4)}, ${m.seconds.total.toFixed(1)} s\n`,
    ),
});
console.log(
  `baseline: ${result.baseline.solver} ${result.baseline.grid} w=${result.baseline.guidance} times [${result.baseline.times.map((t) => t.toFixed(3))}]`,
);
console.log(
  `learned (mean over samples): times [${result.learnedSchedule.times.map((t) => t.toFixed(3))}] guidance [${result.learnedSchedule.guidance.map((w) => w.toFixed(3))}]`,
);
console.log(`exact-vs-exact SW2 floor: ${result.exactFloor.toFixed(4)}; trained ${result.iterations} iterations in ${result.trainSeconds.toFixed(0)} s`);
console.log(
  JSON.stringify({
    metric: "swd",
    steps: 3,
    baseline: Number(result.baseline.swd.toFixed(5)),
    adagen: Number(result.adagenSwd.toFixed(5)),
    ratio: Number((result.adagenSwd / result.baseline.swd).toFixed(4)),
    seconds: Math.round((performance.now() - started) / 1000),
  }),
);
