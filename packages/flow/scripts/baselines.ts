/**
 * Baseline sweep for sit-tiny: FID (fmnist-features, against the Fashion-MNIST test statistics the zoo ships) and
 * class accuracy of `sampleFlowSchedule` for every combination of step count, solver, time shift and constant
 * guidance weight. Groundwork for issue 5's "best constant guidance per step count" baseline.
 *
 *   node --conditions=adagen-source --import tsx packages/flow/scripts/baselines.ts \
 *     --steps 4,8 --solvers dpm2S,rk2,euler --shifts 1,2,0.5 --guidance 1.5 --n 1000 [--json]
 *
 * Shift 1 is the time-uniform grid; s > 1 puts points closer to data (see `shiftedGrid`). Samples use class-balanced
 * labels and seed 0 for every configuration, so configurations differ only in their schedule.
 */
import { OnnxModel, balancedLabels, statesToImages } from "@adagen/core";
import { loadVelocityPredictor, sampleFlowSchedule, shiftedGrid, type FlowSolverName } from "@adagen/flow";
import { StatisticsAccumulator, frechetDistance } from "@adagen/metrics";
import { loadReferenceStats, modelPath } from "@adagen/zoo";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const list = (s: string) => s.split(",").filter((v) => v.length > 0);
const nums = (name: string, s: string) =>
  list(s).map((v) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new RangeError(`--${name}: "${v}" is not a number`);
    return n;
  });

const steps = nums("steps", arg("steps", "4,8"));
const solvers = list(arg("solvers", "dpm2S,rk2,euler")) as FlowSolverName[];
const shifts = nums("shifts", arg("shifts", "1"));
const guidance = nums("guidance", arg("guidance", "1.5"));
const n = Number(arg("n", "1000"));
const batch = 250;
const json = process.argv.includes("--json");
if (!(Number.isInteger(n) && n >= 2)) throw new RangeError(`--n must be an integer ≥ 2, got ${arg("n", "")}`);

const predictor = await loadVelocityPredictor(modelPath("sit-tiny"), { sampleShape: [1, 28, 28], featureShape: [49, 128], numClasses: 10 });
const extractor = await OnnxModel.load(modelPath("fmnist-features"), {
  inputs: { x: { dtype: "float32", shape: ["B", 1, 28, 28] } },
  outputs: { logits: { dtype: "float32", shape: ["B", 10] }, features: { dtype: "float32", shape: ["B", 128] } },
});
const ref = loadReferenceStats();
const reference = { mu: ref.mean, sigma: ref.cov, count: ref.count };
const labels = balancedLabels(n, 10);

interface Row {
  steps: number;
  solver: FlowSolverName;
  shift: number;
  guidance: number;
  fid: number;
  classAccuracy: number;
  seconds: number;
}
const rows: Row[] = [];
for (const T of steps)
  for (const solver of solvers)
    for (const shift of shifts)
      for (const w of guidance) {
        const start = performance.now();
        const acc = new StatisticsAccumulator(128);
        let correct = 0;
        for (let from = 0; from < n; from += batch) {
          const conditions = labels.subarray(from, Math.min(n, from + batch));
          const B = conditions.length;
          const images = await sampleFlowSchedule(predictor, {
            times: shiftedGrid(T, shift),
            guidance: w,
            conditions,
            seed: from, // one seed per chunk: the same noise for every configuration
            solver,
            renderTransform: statesToImages,
          });
          // One channel: [B,28,28,1] and [B,1,28,28] share their memory layout.
          const out = await extractor.run({ x: { data: images.data, shape: [B, 1, 28, 28] } });
          acc.add({ data: out.features.data as Float32Array, rows: B, dims: 128 });
          const logits = out.logits.data as Float32Array;
          for (let b = 0; b < B; b++) {
            let best = 0;
            for (let j = 1; j < 10; j++) if (logits[b * 10 + j] > logits[b * 10 + best]) best = j;
            if (best === conditions[b]) correct++;
          }
        }
        const fid = frechetDistance(acc.finalize(), reference).fid;
        const row = { steps: T, solver, shift, guidance: w, fid, classAccuracy: correct / n, seconds: (performance.now() - start) / 1000 };
        rows.push(row);
        if (!json)
          console.log(
            `T=${T} ${solver.padEnd(5)} shift=${String(shift).padEnd(4)} w=${String(w).padEnd(4)} ` +
              `FID ${fid.toFixed(3)}  acc ${(row.classAccuracy * 100).toFixed(1)}%  (${row.seconds.toFixed(1)} s)`,
          );
      }
if (json) console.log(JSON.stringify({ model: "sit-tiny", samples: n, rows }, null, 2));
await predictor.dispose();
await extractor.dispose();
