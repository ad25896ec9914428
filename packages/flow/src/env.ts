/**
 * `FlowEnv`: the policy-driven rectified-flow sampler of METHOD.md §5.4 as a core `GenerationEnv`.
 *
 * Time convention: x_tau = tau·x_data + (1 − tau)·noise, **tau = 0 noise, tau = 1 data, time runs UP**; the model
 * predicts v = x_data − noise (path.ts).
 *
 * With T = `steps` guided model evaluations there are T+1 policy decisions:
 * - decision 0 sees all-zero features and picks the start time (heuristic 0.01), clamped only to ≤ 0.99; its
 *   guidance output is unused except through the smoothing memory. The initial noise x ~ N(0, I) is the state at
 *   that time, without rescaling.
 * - decision k ≥ 1 belongs to the k-th guided evaluation at the current (x, tau): the conditional pass gives the
 *   features the policy sees; the policy picks this evaluation's CFG weight w (`guidanceScale`, METHOD.md §1
 *   convention v = v_c + w·(v_c − v_u), w = 0 unguided) and the next time (`nextTime`), clamped first up to
 *   tau + 0.01 and then down to 0.99 (the upper bound wins). Then the unconditional pass, guidance, and the solver
 *   advances to the next time.
 * Solvers:
 * - "dpm2S" (paper, default): DPM-Solver++(2S) with alpha = tau, sigma = 1 − tau in pairs of evaluations, exactly the
 *   §5.3 procedure with time running up (odd decisions pick an intermediate point, even ones the end of the pair);
 * - "rk2": the same pairs with a two-stage second-order Runge-Kutta step on v, its stage at the intermediate point
 *   (`rk2Step`). On the time-uniform heuristic that is the explicit midpoint method. Heun's method is the member
 *   with the stage at the end point, which the pair layout cannot express (the end must lie ≥ 0.01 past the stage);
 *   `heunStep` is there for callers that drive the model themselves;
 * - "euler": every decision is the next point of an Euler step.
 * With an odd T the pair solvers end with one first-order (Euler) step.
 *
 * `render` returns the final state x at the last time (≈ 0.99, still 0.99·x_data + 0.01·noise), in the model's
 * data space ([-1, 1] for the zoo's images), shaped `[B, ...dataShape]`; as in the paper there is no final step to
 * tau = 1. A `renderTransform` (e.g. `@adagen/diffusion`'s `statesToImages`: `[B,H,W,C]` in [0, 1]) maps it to the
 * reward's input space.
 */
import { Random, type ActionSpec, type Batch, type ExecutedActions, type GenerationEnv, type Observation } from "@adagen/core";
import { classifierFreeGuidance } from "@adagen/diffusion";
import { dataFromVelocity } from "./path.js";
import { sizeOf, type VelocityPredictor } from "./predictor.js";
import { eulerStep, flowDpmSolver2S, flowDpmSolverFirstOrder, rk2Step } from "./solvers.js";

/** Ceiling of every time point (METHOD.md §5.4: clamp to ≤ 0.99). */
export const MAX_TIME = 0.99;
/** Minimum increase of the time per decision (METHOD.md §5.4: tau_next ≥ tau + 0.01). */
export const MIN_TIME_GAP = 0.01;
/** Heuristic start time (METHOD.md §4.3, SiT: 0.01). */
export const DEFAULT_START_TIME = 0.01;
/** SiT config defaults (METHOD.md §4.3, `sit.yaml`): cfg_init = 1.5, action smoothing rho = 0.8. */
export const SIT_GUIDANCE = 1.5;
export const SIT_SMOOTHING = 0.8;

export type FlowSolverName = "dpm2S" | "rk2" | "euler";
const SOLVERS: readonly FlowSolverName[] = ["dpm2S", "rk2", "euler"];

export interface FlowEnvOptions {
  /** T: number of guided model evaluations (NFE); the horizon is T+1 decisions. */
  steps: number;
  /** "dpm2S" (paper, default), "rk2" or "euler". */
  solver?: FlowSolverName;
  /** The heuristic's T+1 increasing time points; default time-uniform from 0.01 to 0.99 (METHOD.md §4.3). */
  heuristicTimes?: readonly number[];
  /** Constant heuristic CFG weight w > 0 (METHOD.md §4.3, SiT cfg_init = 1.5). */
  guidanceInit?: number;
  /** Action smoothing rho in [0, 1) (METHOD.md §4.3, SiT: 0.8). */
  smoothing?: number;
  /**
   * Maps the final states `[B, ...dataShape]` to what `render` returns, e.g. `statesToImages` for an image reward
   * (`[B,H,W,C]` in [0,1]). Default: the states themselves.
   */
  renderTransform?: (states: Batch) => Batch;
}

/** Time-uniform grid of n+1 points from `from` up to `to` (the SiT heuristic, METHOD.md §4.3: 0.01 → 0.99). */
export function uniformTimes(n: number, from = DEFAULT_START_TIME, to = MAX_TIME): number[] {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`number of steps must be a positive integer, got ${n}`);
  return Array.from({ length: n + 1 }, (_, k) => (k === n ? to : from + (k * (to - from)) / n));
}

export class FlowEnv implements GenerationEnv {
  readonly horizon: number;
  readonly actionSpec: ActionSpec;
  readonly featureShape: readonly [number, number];
  readonly numClasses: number;
  readonly stochastic = false;
  readonly steps: number;
  readonly solver: FlowSolverName;
  private readonly dim: number;
  private readonly renderTransform: ((states: Batch) => Batch) | undefined;

  private B = 0;
  private k = 0;
  private labels: Int32Array = new Int32Array(0);
  private nullLabels: Int32Array = new Int32Array(0);
  /** Current state and its per-sample time (float64; the predictor gets float32). */
  private x: Float32Array = new Float32Array(0);
  private tau: Float64Array = new Float64Array(0);
  private vCond: Float32Array = new Float32Array(0);
  private features: Float32Array = new Float32Array(0);
  /** Pair memory of the second-order solvers: start state, its time, and its v (rk2) or x_data (dpm2S). */
  private pairX: Float32Array = new Float32Array(0);
  private pairS: Float64Array = new Float64Array(0);
  private pairPred: Float32Array = new Float32Array(0);
  private executedTimes: Float64Array[] = [];
  private executedGuidance: Float32Array[] = [];

  constructor(
    readonly predictor: VelocityPredictor,
    options: FlowEnvOptions,
  ) {
    const T = options.steps;
    if (!(Number.isInteger(T) && T >= 1)) throw new RangeError(`steps (NFE) must be a positive integer, got ${T}`);
    this.steps = T;
    this.horizon = T + 1;
    this.solver = options.solver ?? "dpm2S";
    if (!SOLVERS.includes(this.solver))
      throw new RangeError(`solver must be one of ${SOLVERS.map((s) => `"${s}"`).join(", ")}, got "${String(this.solver)}"`);
    const fs = predictor.featureShape;
    if (!(fs.length === 2 && fs.every((d) => Number.isInteger(d) && d > 0)))
      throw new RangeError(`predictor featureShape must be [N, D] positive integers, got [${fs.join(",")}]`);
    this.featureShape = [fs[0], fs[1]];
    if (!(Number.isInteger(predictor.numClasses) && predictor.numClasses >= 1))
      throw new RangeError(`predictor numClasses must be a positive integer, got ${predictor.numClasses}`);
    this.numClasses = predictor.numClasses;
    this.dim = sizeOf(predictor.dataShape);
    if (!(Number.isInteger(this.dim) && this.dim >= 1))
      throw new RangeError(`predictor dataShape must hold positive integers, got [${predictor.dataShape.join(",")}]`);

    this.renderTransform = options.renderTransform;
    const times = options.heuristicTimes ?? uniformTimes(T);
    checkHeuristicTimes(times, T);
    const w = options.guidanceInit ?? SIT_GUIDANCE;
    if (!(w > 0)) throw new RangeError(`guidanceInit must be > 0 (softplus range), got ${w}`);
    const rho = options.smoothing ?? SIT_SMOOTHING;
    if (!(rho >= 0 && rho < 1)) throw new RangeError(`smoothing (rho) must be in [0, 1), got ${rho}`);
    this.actionSpec = {
      keys: [
        { name: "nextTime", activation: "sigmoid" },
        { name: "guidanceScale", activation: "softplus" },
      ],
      heuristic: times.map((t) => [t, w]),
      smoothing: rho,
    };
  }

  async reset(conditions: Int32Array, seed: number): Promise<void> {
    const B = conditions.length;
    if (B === 0) throw new RangeError("reset needs at least one condition");
    for (const c of conditions)
      if (!(Number.isInteger(c) && c >= 0 && c <= this.numClasses))
        throw new RangeError(`condition ${c} is out of range 0..${this.numClasses} (${this.numClasses} = unconditional)`);
    this.B = B;
    this.k = 0;
    this.labels = Int32Array.from(conditions);
    this.nullLabels = new Int32Array(B).fill(this.numClasses);
    this.x = new Random(seed).fillNormal(new Float32Array(B * this.dim)) as Float32Array;
    this.tau = new Float64Array(B);
    this.features = new Float32Array(B * this.featureShape[0] * this.featureShape[1]);
    this.vCond = new Float32Array(0);
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
      // Start time: only the ceiling applies (METHOD.md §5.4).
      for (let b = 0; b < this.B; b++) this.tau[b] = Math.min(proposed[b], MAX_TIME);
      this.executedTimes.push(Float64Array.from(this.tau));
      await this.conditionalPass();
      this.k = 1;
      return;
    }
    const next = new Float64Array(this.B);
    for (let b = 0; b < this.B; b++) next[b] = Math.min(Math.max(proposed[b], this.tau[b] + MIN_TIME_GAP), MAX_TIME);
    this.executedTimes.push(Float64Array.from(next));

    const { v: vUncond } = await this.predict(this.nullLabels);
    const v = classifierFreeGuidance(this.vCond, vUncond, w);
    this.advance(v, next);
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

  /** Moves x from the current times to `next` with the guided velocity `v` of evaluation k−1 (0-based). */
  private advance(v: Float32Array, next: Float64Array): void {
    const i = this.k - 1;
    const s = this.tau;
    if (this.solver === "euler") {
      this.x = eulerStep({ x: this.x, v, s, t: next });
    } else if (i % 2 === 0 && i + 1 < this.steps) {
      // Pair, first half: remember the start and take the first-order step to the intermediate point s1.
      this.pairX = this.x;
      this.pairS = Float64Array.from(s);
      if (this.solver === "dpm2S") {
        this.pairPred = dataFromVelocity(this.x, v, s);
        this.x = flowDpmSolverFirstOrder({ x: this.x, xData: this.pairPred, s, t: next });
      } else {
        this.pairPred = v;
        this.x = eulerStep({ x: this.x, v, s, t: next });
      }
    } else if (i % 2 === 1) {
      // Pair, second half: the current point is s1 with its prediction; step from the pair start to `next`.
      this.x =
        this.solver === "dpm2S"
          ? flowDpmSolver2S({
              x: this.pairX,
              xData: this.pairPred,
              xDataMid: dataFromVelocity(this.x, v, s),
              s: this.pairS,
              s1: s,
              t: next,
            })
          : rk2Step({ x: this.pairX, v: this.pairPred, vStage: v, s: this.pairS, s1: s, t: next });
    } else {
      // Odd number of evaluations: the last one is a first-order step.
      this.x =
        this.solver === "dpm2S"
          ? flowDpmSolverFirstOrder({ x: this.x, xData: dataFromVelocity(this.x, v, s), s, t: next })
          : eulerStep({ x: this.x, v, s, t: next });
    }
  }

  private async conditionalPass(): Promise<void> {
    const { v, features } = await this.predict(this.labels);
    this.vCond = v;
    this.features = features;
  }

  private async predict(labels: Int32Array): Promise<{ v: Float32Array; features: Float32Array }> {
    const out = await this.predictor.predict(this.x, Float32Array.from(this.tau), labels, this.B);
    const featLen = this.B * this.featureShape[0] * this.featureShape[1];
    if (out.v.length !== this.x.length)
      throw new RangeError(`predictor returned v with ${out.v.length} values, expected ${this.x.length}`);
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
export function checkHeuristicTimes(times: readonly number[], T: number): void {
  if (times.length !== T + 1) throw new RangeError(`heuristic needs ${T + 1} time points (steps + 1), got ${times.length}`);
  times.forEach((t, k) => {
    if (!(t > 0 && t <= MAX_TIME)) throw new RangeError(`heuristic time ${k} is ${t}; it must be in (0, ${MAX_TIME}]`);
    // The ceiling wins over the gap, so a last point of exactly 0.99 may follow one above 0.98.
    if (k > 0 && !(t >= times[k - 1] + MIN_TIME_GAP - 1e-12 || (t === MAX_TIME && t > times[k - 1])))
      throw new RangeError(`heuristic time ${k} is ${t}; it must be at least the previous ${times[k - 1]} plus ${MIN_TIME_GAP}`);
  });
}
