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
import type { Batch } from "@adagen/core";
import { dataPrediction, dpmSolver2M, dpmSolver2S, dpmSolverFirstOrder } from "./dpm-solver.js";
import { channelMask, classifierFreeGuidance } from "./guidance.js";
import { GuidedOdeEnv, type Endpoint } from "./guided-ode-env.js";
import type { NoisePredictor } from "./predictor.js";
import { VPLinearSchedule, type NoiseSchedule } from "./schedules.js";

/** Floor of every time point and minimum decrease per decision (docs/method.md §5.3, clamp of step 3). */
export const MIN_TIME = 0.01;
export const MIN_TIME_GAP = 0.01;

export type SolverName = "2S" | "2M" | "1";

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
  /** Constant heuristic CFG weight w (docs/method.md §4.3, DiT cfg_init = 1.0). */
  guidanceInit?: number;
  /** Action smoothing rho (docs/method.md §4.3, DiT: 0.4). */
  smoothing?: number;
  /** Channels (axis 0 of dataShape) that receive guidance; all by default. DiT's reference sampler uses [0, 1, 2]. */
  guidedChannels?: readonly number[];
  /**
   * Maps the final states `[B, ...dataShape]` to what `render` returns, e.g. `statesToImages` for an image reward
   * (`[B,H,W,C]` in [0,1]). Default: the states themselves.
   */
  renderTransform?: (states: Batch) => Batch;
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
  protected readonly dataEnd = 0;
  private readonly mask: Uint8Array | undefined;
  /** Solver memory: 2S pair start (x_s, s, x0_s); 2M previous data prediction and its time. */
  private pairX: Float32Array = new Float32Array(0);
  private pairS: Float64Array = new Float64Array(0);
  private pairX0: Float32Array = new Float32Array(0);
  private prevX0: Float32Array = new Float32Array(0);
  private prevT: Float64Array = new Float64Array(0);

  constructor(
    readonly predictor: NoisePredictor,
    options: DiffusionEnvOptions,
  ) {
    const schedule = options.schedule ?? new VPLinearSchedule();
    const T = options.steps;
    const times =
      options.heuristicTimes ??
      (Number.isInteger(T) && T >= 1 ? uniformTimes(T, options.tauStart ?? 0.9, options.tauEnd ?? MIN_TIME) : []);
    super(predictor, {
      steps: T,
      heuristicTimes: times,
      guidanceInit: options.guidanceInit ?? 1.0,
      smoothing: options.smoothing ?? 0.4,
      renderTransform: options.renderTransform,
      endpoint: options.endpoint,
    });
    checkHeuristicTimes(times, T, schedule);
    this.solver = options.solver ?? "2S";
    if (!["2S", "2M", "1"].includes(this.solver))
      throw new RangeError(`solver must be "2S", "2M" or "1", got "${this.solver}"`);
    this.schedule = schedule;
    this.mask = options.guidedChannels ? channelMask(predictor.dataShape, options.guidedChannels) : undefined;
  }

  protected startTime(proposed: number): number {
    return Math.min(Math.max(proposed, MIN_TIME), this.schedule.tauMax);
  }

  /** Down by at least the gap, then the floor: the lower bound wins (docs/method.md §5.3, step 3). */
  protected nextTime(proposed: number, tau: number): number {
    return Math.max(Math.min(proposed, tau - MIN_TIME_GAP), MIN_TIME);
  }

  protected async evaluate(labels: Int32Array) {
    const { eps, features } = await this.predictor.predict(this.x, Float32Array.from(this.tau), labels, this.B);
    return { output: eps, features };
  }

  protected guide(epsCond: Float32Array, epsUncond: Float32Array, w: Float32Array): Float32Array {
    return classifierFreeGuidance(epsCond, epsUncond, w, this.mask);
  }

  protected predictData(eps: Float32Array): Float32Array {
    return dataPrediction(this.schedule, this.x, eps, this.tau);
  }

  /** Moves x from the current times to `next` with the guided eps of evaluation k−1 (0-based). */
  protected advance(eps: Float32Array, next: Float64Array): void {
    const x0 = dataPrediction(this.schedule, this.x, eps, this.tau);
    const i = this.k - 1;
    const s = this.tau;
    if (this.solver === "1") {
      this.x = dpmSolverFirstOrder(this.schedule, { x: this.x, x0, s, t: next });
    } else if (this.solver === "2M") {
      this.x =
        i === 0
          ? dpmSolverFirstOrder(this.schedule, { x: this.x, x0, s, t: next })
          : dpmSolver2M(this.schedule, { x: this.x, x0, x0Prev: this.prevX0, tPrev: this.prevT, s, t: next });
      this.prevX0 = x0;
      this.prevT = Float64Array.from(s);
    } else if (i % 2 === 0 && i + 1 < this.steps) {
      // 2S, first half: remember (x_s, s, x0_s) and take the first-order step to the intermediate point s1.
      this.pairX = this.x;
      this.pairS = Float64Array.from(s);
      this.pairX0 = x0;
      this.x = dpmSolverFirstOrder(this.schedule, { x: this.x, x0, s, t: next });
    } else if (i % 2 === 1) {
      // 2S, second half: the current point is s1, x0 is its prediction; step from the pair start to `next`.
      this.x = dpmSolver2S(this.schedule, { x: this.pairX, x0: this.pairX0, x0Mid: x0, s: this.pairS, s1: s, t: next });
    } else {
      // 2S with an odd number of evaluations: the last one is a first-order step.
      this.x = dpmSolverFirstOrder(this.schedule, { x: this.x, x0, s, t: next });
    }
  }
}

/** The heuristic must survive the env's clamps, or the untrained policy would not reproduce it. */
function checkHeuristicTimes(times: readonly number[], T: number, schedule: NoiseSchedule): void {
  if (times.length !== T + 1) throw new RangeError(`heuristic needs ${T + 1} time points (steps + 1), got ${times.length}`);
  if (!(times[0] <= schedule.tauMax && times[0] < 1))
    throw new RangeError(`heuristic start time ${times[0]} exceeds the schedule's maximum ${schedule.tauMax} (and must be < 1)`);
  times.forEach((t, k) => {
    if (!(t >= MIN_TIME)) throw new RangeError(`heuristic time ${k} is ${t}, below the floor ${MIN_TIME}`);
    if (k > 0 && !(t <= times[k - 1] - MIN_TIME_GAP + 1e-12))
      throw new RangeError(`heuristic time ${k} is ${t}; it must be at most the previous ${times[k - 1]} minus ${MIN_TIME_GAP}`);
  });
}
