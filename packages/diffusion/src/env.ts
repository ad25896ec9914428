/**
 * `DiffusionEnv`: the policy-driven DPM-Solver++ sampler of docs/method.md §5.3 as a core `GenerationEnv`.
 *
 * With T = `steps` guided model evaluations (NFE) there are T+1 policy decisions:
 * - decision 0 sees all-zero features and picks the start time (clamped only to ≥ 0.01); its guidance output is
 *   unused except through the smoothing memory. The initial noise x ~ N(0, I) is taken as the state at that time,
 *   without rescaling (alpha(0.9) ≈ 0.017 for the VP-linear schedule).
 * - decision k ≥ 1 belongs to the k-th guided model call at the current (x, tau): the conditional prediction
 *   gives the features the policy sees; the policy picks this call's CFG weight w (`guidanceScale`) and the
 *   next time (`nextTime`), clamped to [0.01, tau − 0.01] with the lower bound winning; then the unconditional
 *   prediction, eps = eps_c + w(eps_c − eps_u), x0 = (x − sigma·eps)/alpha, and the solver advances to the next time.
 * Solvers: "2S" runs the paper's pairs (odd decisions pick an intermediate point, even ones the end of a
 * second-order step; an odd T ends with one first-order step), "2M" makes every decision the next point of a
 * multistep solver (first step first order), "1" is DDIM.
 * Time runs downwards (tau = 0 is data). By default (`endpoint: "data"`) the last step lands on tau = 0: the state
 * becomes the last evaluation's guided data prediction x0 = (x − sigma·eps)/alpha, the tau → 0 limit of the
 * first-order update (sigma_t → 0, alpha_t(1 − e^−h) → 1; the second-order corrections have no finite limit there),
 * and the last decision's time is ignored. `endpoint: "last-time"` stops at the last time point (≈ 0.01) as the
 * paper does, without a final denoise, which leaves that point's noise in the image. A `renderTransform` (e.g.
 * `statesToImages`) maps the state to the reward's input space.
 */
import { GuidedOdeEnv, channelMask, type Endpoint, type RenderTransform } from "@adagen/core";
import { DpmSolverScheduler, MIN_TIME, type SolverName } from "./dpm-solver-scheduler.js";
import type { NoisePredictor } from "./predictor.js";
import { VPLinearSchedule, type NoiseSchedule } from "./schedules.js";

export interface DiffusionEnvOptions {
  /** T: number of guided model evaluations (NFE); the horizon is T+1 decisions. */
  steps: number;
  /** "2S" (paper, default), "2M" or "1" (DDIM). */
  solver?: SolverName;
  /** Noise schedule; VP-linear (beta 0.1..20, docs/method.md §5.3) by default. */
  schedule?: NoiseSchedule;
  /** Heuristic start time (docs/method.md §4.3: 0.9). Ignored when `heuristicTimes` is given. */
  tauStart?: number;
  /** Heuristic end time (docs/method.md §4.3: 0.01). Ignored when `heuristicTimes` is given. */
  tauEnd?: number;
  /** The heuristic's T+1 time points, decreasing; default time-uniform from tauStart to tauEnd (docs/method.md §4.3). */
  heuristicTimes?: readonly number[];
  /** Heuristic CFG weight w (docs/method.md §4.3, DiT cfg_init = 1.0): constant, or one per model evaluation. */
  guidanceInit?: number | readonly number[];
  /** Action smoothing rho (docs/method.md §4.3, DiT: 0.4). */
  smoothing?: number;
  /** Channels (axis 0 of dataShape) that receive guidance; all by default. DiT's reference sampler uses [0, 1, 2]. */
  guidedChannels?: readonly number[];
  /**
   * Maps the final states `[B, ...dataShape]` to what `render` returns, e.g. `statesToImages` for an image reward
   * (`[B,H,W,C]` in [0,1]). Default: the states themselves.
   */
  renderTransform?: RenderTransform;
  /** "data" (default): the last step returns the data prediction at tau = 0; "last-time": it stops at its time point. */
  endpoint?: Endpoint;
}

/** Time-uniform grid of n+1 points from `from` down to `to` (the DiT heuristic, docs/method.md §4.3). */
export function uniformTimes(n: number, from: number, to: number): number[] {
  return Array.from({ length: n + 1 }, (_, k) => (k === n ? to : from - (k * (from - to)) / n));
}

export class DiffusionEnv extends GuidedOdeEnv {
  readonly solver: SolverName;
  readonly schedule: NoiseSchedule;

  constructor(
    readonly predictor: NoisePredictor,
    options: DiffusionEnvOptions,
  ) {
    const schedule = options.schedule ?? new VPLinearSchedule();
    const T = options.steps;
    const times =
      options.heuristicTimes ??
      (Number.isInteger(T) && T >= 1 ? uniformTimes(T, options.tauStart ?? 0.9, options.tauEnd ?? MIN_TIME) : []);
    super(predictor, new DpmSolverScheduler(schedule, options.solver ?? "2S"), {
      steps: T,
      heuristicTimes: times,
      guidanceInit: options.guidanceInit ?? 1.0,
      smoothing: options.smoothing ?? 0.4,
      renderTransform: options.renderTransform,
      endpoint: options.endpoint,
      guidedElements: options.guidedChannels ? channelMask(predictor.dataShape, options.guidedChannels) : undefined,
    });
    this.solver = options.solver ?? "2S";
    this.schedule = schedule;
  }
}
