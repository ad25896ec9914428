/**
 * `DiffusionEnv`: the policy-driven DPM-Solver++ sampler of METHOD.md §5.3 as a core `GenerationEnv`.
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
 * Time runs downwards (tau = 0 is data). `render` returns the final state x at the last time (≈ 0.01), as the
 * paper decodes it; there is no final denoising step. A `renderTransform` (e.g. `statesToImages`) maps it to the
 * reward's input space.
 */
import { Random, type ActionSpec, type Batch, type ExecutedActions, type GenerationEnv, type Observation } from "@adagen/core";
import { dataPrediction, dpmSolver2M, dpmSolver2S, dpmSolverFirstOrder } from "./dpm-solver.js";
import { channelMask, classifierFreeGuidance } from "./guidance.js";
import { sizeOf, type NoisePredictor } from "./predictor.js";
import { VPLinearSchedule, type NoiseSchedule } from "./schedules.js";

/** Floor of every time point and minimum decrease per decision (METHOD.md §5.3, clamp of step 3). */
export const MIN_TIME = 0.01;
export const MIN_TIME_GAP = 0.01;

export type SolverName = "2S" | "2M" | "1";

export interface DiffusionEnvOptions {
  /** T: number of guided model evaluations (NFE); the horizon is T+1 decisions. */
  steps: number;
  /** "2S" (paper, default), "2M" or "1" (DDIM). */
  solver?: SolverName;
  /** Noise schedule; VP-linear (beta 0.1..20, METHOD.md §5.3) by default. */
  schedule?: NoiseSchedule;
  /** Heuristic start time (METHOD.md §4.3: 0.9). Ignored when `heuristicTimes` is given. */
  tauStart?: number;
  /** Heuristic end time (METHOD.md §4.3: 0.01). Ignored when `heuristicTimes` is given. */
  tauEnd?: number;
  /** The heuristic's T+1 time points, decreasing; default time-uniform from tauStart to tauEnd (METHOD.md §4.3). */
  heuristicTimes?: readonly number[];
  /** Constant heuristic CFG weight w (METHOD.md §4.3, DiT cfg_init = 1.0). */
  guidanceInit?: number;
  /** Action smoothing rho (METHOD.md §4.3, DiT: 0.4). */
  smoothing?: number;
  /** Channels (axis 0 of dataShape) that receive guidance; all by default. DiT's reference sampler uses [0, 1, 2]. */
  guidedChannels?: readonly number[];
  /**
   * Maps the final states `[B, ...dataShape]` to what `render` returns, e.g. `statesToImages` for an image reward
   * (`[B,H,W,C]` in [0,1]). Default: the states themselves.
   */
  renderTransform?: (states: Batch) => Batch;
}

/** Time-uniform grid of n+1 points from `from` down to `to` (the DiT heuristic, METHOD.md §4.3). */
export function uniformTimes(n: number, from: number, to: number): number[] {
  return Array.from({ length: n + 1 }, (_, k) => (k === n ? to : from - (k * (from - to)) / n));
}

export class DiffusionEnv implements GenerationEnv {
  readonly horizon: number;
  readonly actionSpec: ActionSpec;
  readonly featureShape: readonly [number, number];
  readonly numClasses: number;
  readonly stochastic = false;
  readonly steps: number;
  readonly solver: SolverName;
  readonly schedule: NoiseSchedule;
  private readonly dim: number;
  private readonly mask: Uint8Array | undefined;
  private readonly renderTransform: ((states: Batch) => Batch) | undefined;

  private B = 0;
  private k = 0;
  private labels: Int32Array = new Int32Array(0);
  private nullLabels: Int32Array = new Int32Array(0);
  /** Current state and its time (per sample, float64 times; the predictor gets them rounded to float32). */
  private x: Float32Array = new Float32Array(0);
  private tau: Float64Array = new Float64Array(0);
  private epsCond: Float32Array = new Float32Array(0);
  private features: Float32Array = new Float32Array(0);
  /** Solver memory: 2S pair start (x_s, s, x0_s); 2M previous data prediction and its time. */
  private pairX: Float32Array = new Float32Array(0);
  private pairS: Float64Array = new Float64Array(0);
  private pairX0: Float32Array = new Float32Array(0);
  private prevX0: Float32Array = new Float32Array(0);
  private prevT: Float64Array = new Float64Array(0);
  private executedTimes: Float64Array[] = [];
  private executedGuidance: Float32Array[] = [];

  constructor(
    readonly predictor: NoisePredictor,
    options: DiffusionEnvOptions,
  ) {
    const T = options.steps;
    if (!(Number.isInteger(T) && T >= 1)) throw new RangeError(`steps (NFE) must be a positive integer, got ${T}`);
    this.steps = T;
    this.horizon = T + 1;
    this.solver = options.solver ?? "2S";
    if (!["2S", "2M", "1"].includes(this.solver))
      throw new RangeError(`solver must be "2S", "2M" or "1", got "${this.solver}"`);
    this.schedule = options.schedule ?? new VPLinearSchedule();
    this.featureShape = [predictor.featureShape[0], predictor.featureShape[1]];
    this.numClasses = predictor.numClasses;
    this.dim = sizeOf(predictor.dataShape);
    this.mask = options.guidedChannels ? channelMask(predictor.dataShape, options.guidedChannels) : undefined;
    this.renderTransform = options.renderTransform;

    const times = options.heuristicTimes ?? uniformTimes(T, options.tauStart ?? 0.9, options.tauEnd ?? MIN_TIME);
    checkHeuristicTimes(times, T, this.schedule);
    const w = options.guidanceInit ?? 1.0;
    if (!(w > 0)) throw new RangeError(`guidanceInit must be > 0 (softplus range), got ${w}`);
    this.actionSpec = {
      keys: [
        { name: "nextTime", activation: "sigmoid" },
        { name: "guidanceScale", activation: "softplus" },
      ],
      heuristic: times.map((t) => [t, w]),
      smoothing: options.smoothing ?? 0.4,
    };
  }

  async reset(conditions: Int32Array, seed: number): Promise<void> {
    const B = conditions.length;
    if (B === 0) throw new RangeError("reset needs at least one condition");
    for (const c of conditions)
      if (!(c >= 0 && c <= this.numClasses))
        throw new RangeError(`condition ${c} is out of range 0..${this.numClasses} (${this.numClasses} = unconditional)`);
    this.B = B;
    this.k = 0;
    this.labels = Int32Array.from(conditions);
    this.nullLabels = new Int32Array(B).fill(this.numClasses);
    this.x = new Random(seed).fillNormal(new Float32Array(B * this.dim)) as Float32Array;
    this.tau = new Float64Array(B);
    this.features = new Float32Array(B * this.featureShape[0] * this.featureShape[1]);
    this.epsCond = new Float32Array(0);
    this.executedTimes = [];
    this.executedGuidance = [];
  }

  async observe(): Promise<Observation> {
    if (this.B === 0) throw new Error("observe called before reset");
    if (this.k > this.steps) throw new Error(`trajectory is finished (${this.horizon} decisions taken)`);
    // Decision 0 sees zeros (METHOD.md §5.3 step 2); `features` is zero-filled by reset until the first call.
    return { features: { data: this.features, shape: [this.B, ...this.featureShape] }, step: this.k };
  }

  async step(actions: ExecutedActions): Promise<void> {
    if (this.B === 0) throw new Error("step called before reset");
    if (this.k > this.steps) throw new Error(`trajectory is finished (${this.horizon} decisions taken)`);
    const proposed = this.action(actions, "nextTime");
    const w = this.action(actions, "guidanceScale");
    this.executedGuidance.push(Float32Array.from(w));
    if (this.k === 0) {
      for (let b = 0; b < this.B; b++) this.tau[b] = Math.min(Math.max(proposed[b], MIN_TIME), this.schedule.tauMax);
      this.executedTimes.push(Float64Array.from(this.tau));
      await this.conditionalPass();
      this.k = 1;
      return;
    }
    const next = new Float64Array(this.B);
    for (let b = 0; b < this.B; b++) next[b] = Math.max(Math.min(proposed[b], this.tau[b] - MIN_TIME_GAP), MIN_TIME);
    this.executedTimes.push(Float64Array.from(next));

    const { eps: epsUncond } = await this.predict(this.nullLabels);
    const eps = classifierFreeGuidance(this.epsCond, epsUncond, w, this.mask);
    const x0 = dataPrediction(this.schedule, this.x, eps, this.tau);
    this.advance(x0, next);
    this.tau = next;
    if (this.k < this.steps) await this.conditionalPass();
    this.k++;
  }

  async render(): Promise<Batch> {
    if (this.B === 0 || this.k <= this.steps)
      throw new Error(`render needs a finished trajectory: ${this.k} of ${this.horizon} decisions taken`);
    const states: Batch = { data: Float32Array.from(this.x), shape: [this.B, ...this.predictor.dataShape] };
    return this.renderTransform ? this.renderTransform(states) : states;
  }

  /** Executed schedule so far: per decision, each sample's time point and CFG weight (decision 0: start time). */
  executedSchedule(): { times: Float64Array[]; guidance: Float32Array[] } {
    return { times: this.executedTimes.slice(), guidance: this.executedGuidance.slice() };
  }

  /** Moves x from the current times to `next` with the data prediction `x0` of evaluation k−1 (0-based). */
  private advance(x0: Float32Array, next: Float64Array): void {
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

  private async conditionalPass(): Promise<void> {
    const { eps, features } = await this.predict(this.labels);
    this.epsCond = eps;
    this.features = features;
  }

  private async predict(labels: Int32Array): Promise<{ eps: Float32Array; features: Float32Array }> {
    const out = await this.predictor.predict(this.x, Float32Array.from(this.tau), labels, this.B);
    const featLen = this.B * this.featureShape[0] * this.featureShape[1];
    if (out.eps.length !== this.x.length)
      throw new RangeError(`predictor returned eps with ${out.eps.length} values, expected ${this.x.length}`);
    if (out.features.length !== featLen)
      throw new RangeError(
        `predictor returned ${out.features.length} feature values, expected ${featLen} ([${this.B},${this.featureShape.join(",")}])`,
      );
    return out;
  }

  private action(actions: ExecutedActions, key: string): Float32Array {
    const a = actions[key];
    if (!a) throw new RangeError(`missing action "${key}" (expected keys nextTime, guidanceScale)`);
    if (a.length !== this.B) throw new RangeError(`action "${key}" has ${a.length} values, expected ${this.B} (one per sample)`);
    return a;
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
