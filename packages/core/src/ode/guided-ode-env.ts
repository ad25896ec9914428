/**
 * The decision loop shared by the policy-driven ODE samplers (docs/method.md §5.3 diffusion, §5.4 flow): T guided model
 * evaluations, T+1 policy decisions with action keys `nextTime` (sigmoid) and `guidanceScale` (softplus, the CFG
 * weight w of out = out_c + w·(out_c − out_u)). The paradigm comes in as two objects: the `OdeModel` (what is
 * predicted) and the `OdeSolver` (time direction, clamps, stepping); this class holds neither's math.
 *
 * - Decision 0 sees all-zero features and picks the start time (the solver's `startTime` clamps it); its guidance
 *   is unused except through the smoothing memory. The initial noise x ~ N(0, I) is the state at that time, unscaled.
 * - Decision k ≥ 1 belongs to the k-th guided evaluation at (x, tau): the conditional pass gives the features the
 *   policy sees; the policy picks this evaluation's w and the next time (`nextTime` clamps it); then the
 *   unconditional pass, guidance, and the solver's step moves x to the next time.
 *
 * - Endpoint: by default (`endpoint: "data"`) the last decision's time is not the policy's to pick: the sampler
 *   lands on the data end (tau = 0 for diffusion, 1 for flow) and the state becomes the last evaluation's guided
 *   data prediction, the limit of the data-prediction update there (no extra model call). Stopping at the last
 *   time point instead (`"last-time"`, the paper's samplers: 0.01 / 0.99) leaves that point's noise in every
 *   image. The policy still picks the start and every interior time point.
 */
import type { ActionSpec } from "../actions/spec.js";
import type { Batch, ExecutedActions, GenerationEnv, Observation, ResetOptions } from "../env.js";
import { actionValues, checkConditions, checkDecisionLeft } from "../env-checks.js";
import { classifierFreeGuidance } from "../guidance.js";
import { Random } from "../random.js";
import { guidancePerDecision } from "./guidance-ramp.js";
import { sizeOf, type OdeModel } from "./model.js";
import { ENDPOINTS, type Endpoint, type OdeSolver } from "./solver.js";

/** Final states → what `render` returns; may be async (an ONNX decoder from latents to pixels). */
export type RenderTransform = (states: Batch) => Batch | Promise<Batch>;

export interface GuidedOdeEnvConfig {
  steps: number;
  /** The heuristic's T+1 time points (checked against the solver's clamps). */
  heuristicTimes: readonly number[];
  /** The heuristic's CFG weight w > 0: constant, or one per model evaluation (`steps` values, e.g. a ramp). */
  guidanceInit: number | readonly number[];
  /** Action smoothing rho in [0, 1). */
  smoothing: number;
  /** Maps the final states `[B, ...dataShape]` to what `render` returns (e.g. `statesToImages`, or a decoder). */
  renderTransform?: RenderTransform;
  /** Where the last step lands: "data" (default) or "last-time" (the heuristic's last point, no final denoise). */
  endpoint?: Endpoint;
  /** 1 where guidance applies within a sample, 0 where the conditional output is kept (`channelMask`); all by default. */
  guidedElements?: Uint8Array;
}

export class GuidedOdeEnv implements GenerationEnv {
  readonly horizon: number;
  readonly actionSpec: ActionSpec;
  readonly featureShape: readonly [number, number];
  readonly numClasses: number;
  readonly stochastic = false;
  readonly steps: number;
  readonly endpoint: Endpoint;
  private readonly dim: number;
  private readonly dataShape: readonly number[];
  private readonly renderTransform: RenderTransform | undefined;
  private readonly guidedElements: Uint8Array | undefined;

  private B = 0;
  /** Decisions taken so far. */
  private k = 0;
  /** Current state and its per-sample time (float64; the model gets float32). */
  private x: Float32Array = new Float32Array(0);
  private tau: Float64Array = new Float64Array(0);
  private labels: Int32Array = new Int32Array(0);
  private nullLabels: Int32Array = new Int32Array(0);
  private conditional: Float32Array = new Float32Array(0);
  private features: Float32Array = new Float32Array(0);
  private executedTimes: Float64Array[] = [];
  private executedGuidance: Float32Array[] = [];

  constructor(
    readonly model: OdeModel,
    readonly odeSolver: OdeSolver,
    config: GuidedOdeEnvConfig,
  ) {
    const T = config.steps;
    if (!(Number.isInteger(T) && T >= 1)) throw new RangeError(`steps (NFE) must be a positive integer, got ${T}`);
    this.steps = T;
    this.horizon = T + 1;
    const fs = model.featureShape;
    if (!(fs.length === 2 && fs.every((d) => Number.isInteger(d) && d > 0)))
      throw new RangeError(`predictor featureShape must be [N, D] positive integers, got [${fs.join(",")}]`);
    this.featureShape = [fs[0], fs[1]];
    if (!(Number.isInteger(model.numClasses) && model.numClasses >= 1))
      throw new RangeError(`predictor numClasses must be a positive integer, got ${model.numClasses}`);
    this.numClasses = model.numClasses;
    this.dataShape = model.dataShape;
    this.dim = sizeOf(model.dataShape);
    if (!(Number.isInteger(this.dim) && this.dim >= 1))
      throw new RangeError(`predictor dataShape must hold positive integers, got [${model.dataShape.join(",")}]`);
    this.renderTransform = config.renderTransform;
    this.endpoint = config.endpoint ?? "data";
    if (!ENDPOINTS.includes(this.endpoint))
      throw new RangeError(`endpoint must be ${ENDPOINTS.map((e) => `"${e}"`).join(" or ")}, got "${String(this.endpoint)}"`);
    const weights = guidanceRows(config.guidanceInit, T);
    if (config.guidedElements && config.guidedElements.length !== this.dim)
      throw new RangeError(`guidedElements has ${config.guidedElements.length} entries, expected one per element (${this.dim})`);
    this.guidedElements = config.guidedElements;
    odeSolver.checkTimes(config.heuristicTimes, T);
    const rho = config.smoothing;
    if (!(rho >= 0 && rho < 1)) throw new RangeError(`smoothing (rho) must be in [0, 1), got ${rho}`);
    this.actionSpec = {
      keys: [
        { name: "nextTime", activation: "sigmoid" },
        { name: "guidanceScale", activation: "softplus" },
      ],
      heuristic: config.heuristicTimes.map((t, k) => [t, weights[k]]),
      smoothing: rho,
    };
  }

  async reset(conditions: Int32Array, seed: number, options?: ResetOptions): Promise<void> {
    checkConditions(conditions, this.numClasses);
    const B = conditions.length;
    this.B = B;
    this.k = 0;
    this.labels = Int32Array.from(conditions);
    this.nullLabels = new Int32Array(B).fill(this.numClasses);
    this.x = initialNoise(B, this.dim, seed, options?.noiseGroup ?? 1);
    this.odeSolver.begin(this.steps);
    this.tau = new Float64Array(B);
    this.features = new Float32Array(B * this.featureShape[0] * this.featureShape[1]);
    this.conditional = new Float32Array(0);
    this.executedTimes = [];
    this.executedGuidance = [];
  }

  async observe(): Promise<Observation> {
    checkDecisionLeft("observe", this.B, this.k, this.horizon);
    // Decision 0 sees zeros (docs/method.md §5.3 step 2); `features` is zero-filled by reset until the first call.
    return { features: { data: this.features, shape: [this.B, ...this.featureShape] }, step: this.k };
  }

  async step(actions: ExecutedActions): Promise<void> {
    checkDecisionLeft("step", this.B, this.k, this.horizon);
    const proposed = actionValues(actions, "nextTime", this.B, this.actionSpec);
    const w = actionValues(actions, "guidanceScale", this.B, this.actionSpec);
    this.executedGuidance.push(Float32Array.from(w));
    if (this.k === 0) {
      for (let b = 0; b < this.B; b++) this.tau[b] = this.odeSolver.startTime(proposed[b]);
      this.executedTimes.push(Float64Array.from(this.tau));
      await this.conditionalPass();
      this.k = 1;
      return;
    }
    const toData = this.k === this.steps && this.endpoint === "data";
    const next = new Float64Array(this.B);
    if (toData) next.fill(this.odeSolver.dataEnd);
    else for (let b = 0; b < this.B; b++) next[b] = this.odeSolver.nextTime(proposed[b], this.tau[b]);
    this.executedTimes.push(Float64Array.from(next));
    const { output: unconditional } = await this.checkedEvaluate(this.nullLabels);
    const guided = classifierFreeGuidance(this.conditional, unconditional, w, this.guidedElements);
    this.x = toData ? this.odeSolver.predictData(guided, this.x, this.tau) : this.odeSolver.step(guided, this.x, this.tau, next);
    this.tau = next;
    if (this.k < this.steps) await this.conditionalPass();
    this.k++;
  }

  async render(): Promise<Batch> {
    if (this.B === 0 || this.k <= this.steps)
      throw new Error(`render needs a finished trajectory: ${this.k} of ${this.horizon} decisions taken`);
    const states: Batch = { data: Float32Array.from(this.x), shape: [this.B, ...this.dataShape] };
    return this.renderTransform ? await this.renderTransform(states) : states;
  }

  /** Executed schedule so far: per decision, each sample's time point and CFG weight (decision 0: start time; with
   * the data endpoint the last decision's time is the data end). */
  executedSchedule(): { times: Float64Array[]; guidance: Float32Array[] } {
    return { times: this.executedTimes.slice(), guidance: this.executedGuidance.slice() };
  }

  private async conditionalPass(): Promise<void> {
    const { output, features } = await this.checkedEvaluate(this.labels);
    this.conditional = output;
    this.features = features;
  }

  private async checkedEvaluate(labels: Int32Array): Promise<{ output: Float32Array; features: Float32Array }> {
    const out = await this.model.predict(this.x, Float32Array.from(this.tau), labels, this.B);
    const featLen = this.B * this.featureShape[0] * this.featureShape[1];
    if (out.output.length !== this.x.length)
      throw new RangeError(`predictor returned a prediction with ${out.output.length} values, expected ${this.x.length}`);
    if (out.features.length !== featLen)
      throw new RangeError(
        `predictor returned ${out.features.length} feature values, expected ${featLen} ([${this.B},${this.featureShape.join(",")}])`,
      );
    return out;
  }
}

/**
 * The heuristic table's guidance column (`guidancePerDecision`), each weight checked to be in the softplus range;
 * errors name the config field, guidanceInit.
 */
function guidanceRows(init: number | readonly number[], T: number): number[] {
  if (typeof init !== "number" && init.length !== T)
    throw new RangeError(`guidanceInit has ${init.length} values, expected one per model evaluation (${T})`);
  const rows = guidancePerDecision(init, T);
  rows.slice(1).forEach((w, i) => {
    if (!(w > 0)) throw new RangeError(`guidanceInit${typeof init === "number" ? "" : `[${i}]`} must be > 0 (softplus range), got ${w}`);
  });
  return rows;
}

/** x ~ N(0, I) for B samples; with groups of g, each run of g consecutive samples shares one draw. */
function initialNoise(B: number, dim: number, seed: number, g: number): Float32Array {
  if (!(Number.isInteger(g) && g >= 1)) throw new RangeError(`noiseGroup must be a positive integer, got ${g}`);
  const groups = Math.ceil(B / g);
  const drawn = new Random(seed).fillNormal(new Float32Array(groups * dim)) as Float32Array;
  if (g === 1) return drawn;
  const x = new Float32Array(B * dim);
  for (let b = 0; b < B; b++) x.set(drawn.subarray(Math.floor(b / g) * dim, (Math.floor(b / g) + 1) * dim), b * dim);
  return x;
}
