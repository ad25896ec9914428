/**
 * The testbed's baselines: DPM-Solver++ on time-uniform, logSNR-uniform and Karras (rho = 7) grids, each with every
 * constant CFG weight of a small grid, scored by class-conditional SW2 to exact samples with the same labels.
 * The best of these is "the baseline" a learned schedule has to beat.
 */
import type { Endpoint } from "@adagen/core";
import { Random } from "@adagen/core";
import { karrasGrid, logSnrUniformGrid, sampleDiffusionSchedule, timeUniformGrid } from "../baselines.js";
import type { SolverName } from "../dpm-solver-scheduler.js";
import { VPLinearSchedule, type NoiseSchedule } from "../schedules.js";
import { GmmNoisePredictor, type GaussianMixture } from "./gmm.js";
import { classConditionalSlicedWasserstein2 } from "./sliced-wasserstein.js";

export interface GmmBaselineOptions {
  /** Guided model evaluations (NFE). */
  nfe: number;
  /** Number of generated (and exact) samples, labels balanced over the classes. */
  samples: number;
  tauStart?: number;
  tauEnd?: number;
  solvers?: SolverName[];
  /** CFG weights w to try (docs/method.md convention, 0 = unguided). */
  guidance?: number[];
  schedule?: NoiseSchedule;
  /** Seed of the initial noise; the exact samples use seed + 1000. */
  seed?: number;
  /** SW2 random projections (their seed is fixed at 7 so all rows share directions). */
  projections?: number;
  /** Where every sampler's last step lands (DiffusionEnv's option; default "data"). */
  endpoint?: Endpoint;
}

export interface GmmBaselineRow {
  grid: "time-uniform" | "logSNR-uniform" | "karras-rho7";
  solver: SolverName;
  guidance: number;
  times: number[];
  swd: number;
}

export interface GmmBaselineReport {
  rows: GmmBaselineRow[];
  /** Lowest-SW2 row. */
  best: GmmBaselineRow;
  /** SW2 between two independent exact sample sets: the estimator's noise floor. */
  exactFloor: number;
  /** SW2 of a converged sampler (80-step 2M, time-uniform grid, w = 0): the floor of the ODE at tauEnd itself. */
  convergedFloor: number;
}

export async function measureGmmBaselines(mixture: GaussianMixture, options: GmmBaselineOptions): Promise<GmmBaselineReport> {
  const schedule = options.schedule ?? new VPLinearSchedule();
  const predictor = new GmmNoisePredictor(mixture, schedule);
  const { nfe, samples } = options;
  const tauStart = options.tauStart ?? 0.9;
  const tauEnd = options.tauEnd ?? 0.01;
  const seed = options.seed ?? 0;
  const dim = mixture.dim;
  const labels = Int32Array.from({ length: samples }, (_, i) => i % mixture.numClasses);
  const exact = mixture.sample(labels, new Random(seed + 1000));
  const swd = (x: Float32Array) =>
    classConditionalSlicedWasserstein2(x, labels, exact, labels, dim, { projections: options.projections ?? 128, seed: 7 });

  const grids: [GmmBaselineRow["grid"], number[]][] = [
    ["time-uniform", timeUniformGrid(nfe, tauStart, tauEnd)],
    ["logSNR-uniform", logSnrUniformGrid(schedule, nfe, tauStart, tauEnd)],
    ["karras-rho7", karrasGrid(schedule, nfe, tauStart, tauEnd)],
  ];
  const rows: GmmBaselineRow[] = [];
  for (const solver of options.solvers ?? ["2S"]) {
    for (const [grid, times] of grids) {
      for (const w of options.guidance ?? [0, 0.25, 0.5, 1, 1.5, 2]) {
        const out = await sampleDiffusionSchedule(predictor, { times, guidance: w, conditions: labels, seed, solver, schedule, endpoint: options.endpoint });
        rows.push({ grid, solver, guidance: w, times, swd: swd(out.data) });
      }
    }
  }
  const converged = await sampleDiffusionSchedule(predictor, {
    // Time-uniform: the env's 0.01 minimum gap rules out fine logSNR grids near tau = 0.
    times: timeUniformGrid(80, tauStart, tauEnd),
    guidance: 0,
    conditions: labels,
    seed,
    solver: "2M",
    schedule,
    endpoint: options.endpoint,
  });
  return {
    rows,
    best: rows.reduce((a, b) => (b.swd < a.swd ? b : a)),
    exactFloor: swd(mixture.sample(labels, new Random(seed + 2000))),
    convergedFloor: swd(converged.data),
  };
}

/** The report as a text table: one line per (solver, grid), one SW2 column per guidance weight. */
export function formatGmmBaselines(report: GmmBaselineReport): string {
  const weights = [...new Set(report.rows.map((r) => r.guidance))];
  const lines = [`solver grid            times                      ${weights.map((w) => `w=${w}`.padEnd(7)).join(" ")}`];
  const keys = [...new Set(report.rows.map((r) => `${r.solver}|${r.grid}`))];
  for (const key of keys) {
    const rows = report.rows.filter((r) => `${r.solver}|${r.grid}` === key);
    const times = rows[0].times.map((t) => t.toFixed(3)).join(" ");
    lines.push(`${rows[0].solver.padEnd(6)} ${rows[0].grid.padEnd(15)} ${times.padEnd(26)} ${rows.map((r) => r.swd.toFixed(4).padEnd(7)).join(" ")}`);
  }
  const b = report.best;
  lines.push(`best: ${b.solver} ${b.grid} w=${b.guidance} SW2=${b.swd.toFixed(4)}`);
  lines.push(`floors: exact vs exact ${report.exactFloor.toFixed(4)}, converged 80-step 2M ${report.convergedFloor.toFixed(4)}`);
  return lines.join("\n");
}
