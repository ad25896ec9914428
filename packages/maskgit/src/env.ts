/**
 * `MaskGitEnv`: the policy-driven MaskGIT sampler of docs/method.md §5.1 as a core `GenerationEnv`. T steps, T policy
 * decisions, action keys `maskRatio` (sigmoid), `maskTemperature`, `sampleTemperature` and `guidanceScale`
 * (softplus), one value per sample per step.
 *
 * - Reset: every token masked; one conditional pass gives the features of decision 0 and its conditional logits.
 * - Decision k: the unconditional pass on the current ids, then `maskGitStep` (guidance, sampling, confidence,
 *   Gumbel re-masking), then the conditional pass on the new ids for the next decision's features (skipped after the
 *   last step, whose output the paper's code computes and never uses).
 * - Render: the ids sampled at the last step (every position holds a sampled token), through `renderTransform` (the
 *   decoder to images `[B,H,W,C]` in [0,1]); without one, the ids themselves as a float batch `[B,N]`.
 * Transitions are stochastic: each sample (or each group of `noiseGroup` samples, which then share their draws) has
 * its own stream seeded from `seed`, so a sample's tokens do not depend on the batch it runs in.
 */
import {
  actionValues,
  branchStream,
  checkConditions,
  checkDecisionLeft,
  sampleStreams,
  type ActionSpec,
  type Random,
  type Batch,
  type ExecutedActions,
  type LookaheadEnv,
  type Observation,
  type ResetOptions,
} from "@adagen/core";
import { MASKGIT_KEYS } from "./heuristic.js";
import type { MaskGitModel } from "./model.js";
import { maskGitStep } from "./step.js";

/** Token ids `[B, N]` → images, e.g. an ONNX decoder followed by the pixel mapping. */
export type TokenRenderer = (ids: Int32Array, batch: number) => Promise<Batch> | Batch;

export interface MaskGitEnvOptions {
  /** T rows [maskRatio, maskTemperature, sampleTemperature, guidanceScale] (e.g. `maskGitSchedule(T)`). */
  heuristic: readonly (readonly number[])[];
  /** Action smoothing rho in [0, 1) (docs/method.md §4.3, MaskGIT: 0.8). */
  smoothing?: number;
  renderTransform?: TokenRenderer;
}

export class MaskGitEnv implements LookaheadEnv {
  readonly horizon: number;
  readonly actionSpec: ActionSpec;
  readonly featureShape: readonly [number, number];
  readonly numClasses: number;
  readonly stochastic = true;
  private readonly renderTransform: TokenRenderer | undefined;

  private B = 0;
  private k = 0;
  private ids: Int32Array = new Int32Array(0);
  private sampled: Int32Array = new Int32Array(0);
  private labels: Int32Array = new Int32Array(0);
  private nullLabels: Int32Array = new Int32Array(0);
  private logitsCond: Float32Array = new Float32Array(0);
  private features: Float32Array = new Float32Array(0);
  private rngs: Random[] = [];
  private executed: Float32Array[][] = [];

  constructor(
    readonly model: MaskGitModel,
    options: MaskGitEnvOptions,
  ) {
    const T = options.heuristic.length;
    if (T < 1) throw new RangeError("the heuristic needs at least one step");
    options.heuristic.forEach((row, k) => {
      if (row.length !== MASKGIT_KEYS.length) throw new RangeError(`heuristic row ${k} has ${row.length} values, expected ${MASKGIT_KEYS.length} (${MASKGIT_KEYS.join(", ")})`);
      if (!(row[0] > 0 && row[0] < 1)) throw new RangeError(`heuristic mask ratio at step ${k} is ${row[0]}; it must be in (0, 1) (sigmoid range)`);
      for (let j = 1; j < row.length; j++)
        if (!(row[j] > 0 && Number.isFinite(row[j]))) throw new RangeError(`heuristic ${MASKGIT_KEYS[j]} at step ${k} is ${row[j]}; it must be > 0 (softplus range)`);
    });
    const rho = options.smoothing ?? 0.8;
    if (!(rho >= 0 && rho < 1)) throw new RangeError(`smoothing (rho) must be in [0, 1), got ${rho}`);
    this.horizon = T;
    this.featureShape = [model.featureShape[0], model.featureShape[1]];
    this.numClasses = model.numClasses;
    this.renderTransform = options.renderTransform;
    this.actionSpec = {
      keys: [
        { name: "maskRatio", activation: "sigmoid" },
        { name: "maskTemperature", activation: "softplus" },
        { name: "sampleTemperature", activation: "softplus" },
        { name: "guidanceScale", activation: "softplus" },
      ],
      heuristic: options.heuristic.map((row) => [...row]),
      smoothing: rho,
    };
  }

  async reset(conditions: Int32Array, seed: number, options?: ResetOptions): Promise<void> {
    checkConditions(conditions, this.numClasses);
    const B = conditions.length;
    this.rngs = sampleStreams(B, seed, options?.noiseGroup);
    this.B = B;
    this.k = 0;
    this.labels = Int32Array.from(conditions);
    this.nullLabels = new Int32Array(B).fill(this.model.numClasses);
    this.ids = new Int32Array(B * this.model.tokens).fill(this.model.maskId);
    this.sampled = new Int32Array(0);
    this.executed = [];
    await this.conditionalPass();
  }

  async observe(): Promise<Observation> {
    checkDecisionLeft("observe", this.B, this.k, this.horizon);
    return { features: { data: this.features, shape: [this.B, ...this.featureShape] }, step: this.k };
  }

  async step(actions: ExecutedActions): Promise<void> {
    checkDecisionLeft("step", this.B, this.k, this.horizon);
    const values = this.actionRows(actions);
    this.executed.push(values.map((a) => Float32Array.from(a)));
    const { logits: logitsUncond } = await this.checkedPredict(this.nullLabels);
    const { sampled, next } = this.draw(values, logitsUncond, this.rngs);
    this.sampled = sampled;
    this.ids = next;
    this.k++;
    if (this.k < this.horizon) await this.conditionalPass();
  }

  /**
   * Lookahead (docs/method.md §12.2): the decision drawn `candidates` times from the same state (one unconditional
   * pass shared, one conditional pass per candidate for its next features); candidate 0 uses each sample's own
   * stream, candidate c ≥ 1 `branchStream(stream, c)`, and every sample's own stream continues afterwards whichever
   * candidate it keeps. Costs candidates + 1 generator passes per step instead of 2.
   */
  async stepWithLookahead(actions: ExecutedActions, candidates: number, choose: (next: Observation[]) => Int32Array | Promise<Int32Array>): Promise<void> {
    if (!(Number.isInteger(candidates) && candidates >= 1)) throw new RangeError(`lookahead candidates must be a positive integer, got ${candidates}`);
    checkDecisionLeft("step", this.B, this.k, this.horizon);
    if (candidates === 1 || this.k === this.horizon - 1) return this.step(actions);
    const values = this.actionRows(actions);
    const { logits: logitsUncond } = await this.checkedPredict(this.nullLabels);
    const drawn: { sampled: Int32Array; next: Int32Array; logits: Float32Array; features: Float32Array }[] = [];
    const own = this.ids;
    for (let c = 0; c < candidates; c++) {
      // Every candidate from the same state: the ids before the step.
      this.ids = own;
      const { sampled, next } = this.draw(values, logitsUncond, c === 0 ? this.rngs : this.rngs.map((r) => branchStream(r, c)));
      this.ids = next;
      const { logits, features } = await this.checkedPredict(this.labels);
      drawn.push({ sampled, next, logits, features });
    }
    this.ids = own;
    const choice = await choose(drawn.map((d) => ({ features: { data: d.features, shape: [this.B, ...this.featureShape] }, step: this.k + 1 })));
    if (choice.length !== this.B) throw new RangeError(`lookahead choice has ${choice.length} entries, expected ${this.B}`);
    for (const c of choice) if (!(Number.isInteger(c) && c >= 0 && c < candidates)) throw new RangeError(`lookahead chose candidate ${c}, not one of 0..${candidates - 1}`);
    this.executed.push(values.map((a) => Float32Array.from(a)));
    const rows = (pick: (d: (typeof drawn)[number]) => Int32Array | Float32Array, out: Int32Array | Float32Array) => {
      const size = out.length / this.B;
      for (let b = 0; b < this.B; b++) out.set(pick(drawn[choice[b]]).subarray(b * size, (b + 1) * size), b * size);
      return out;
    };
    this.sampled = rows((d) => d.sampled, new Int32Array(drawn[0].sampled.length)) as Int32Array;
    this.ids = rows((d) => d.next, new Int32Array(drawn[0].next.length)) as Int32Array;
    this.logitsCond = rows((d) => d.logits, new Float32Array(drawn[0].logits.length)) as Float32Array;
    this.features = rows((d) => d.features, new Float32Array(drawn[0].features.length)) as Float32Array;
    this.k++;
  }

  async render(): Promise<Batch> {
    if (this.B === 0 || this.k < this.horizon)
      throw new Error(`render needs a finished trajectory: ${this.k} of ${this.horizon} decisions taken`);
    if (this.renderTransform) return this.renderTransform(Int32Array.from(this.sampled), this.B);
    return { data: Float32Array.from(this.sampled), shape: [this.B, this.model.tokens] };
  }

  /** The executed actions so far: per decision, per key (MASKGIT_KEYS order), one value per sample. */
  executedSchedule(): Float32Array[][] {
    return this.executed.map((row) => row.slice());
  }

  /** One decision's actions per key, MASKGIT_KEYS order: mask ratio, masking and sampling temperature, guidance. */
  private actionRows(actions: ExecutedActions): Float32Array[] {
    return MASKGIT_KEYS.map((key) => actionValues(actions, key, this.B, this.actionSpec));
  }

  /** `maskGitStep` from the current ids with these actions and random streams. */
  private draw([maskRatio, maskTemperature, sampleTemperature, guidance]: Float32Array[], logitsUncond: Float32Array, rngs: readonly Random[]) {
    return maskGitStep({
      ids: this.ids,
      logitsCond: this.logitsCond,
      logitsUncond,
      maskRatio,
      maskTemperature,
      sampleTemperature,
      guidance,
      rngs,
      tokens: this.model.tokens,
      codebook: this.model.codebook,
      maskId: this.model.maskId,
    });
  }

  private async conditionalPass(): Promise<void> {
    const { logits, features } = await this.checkedPredict(this.labels);
    this.logitsCond = logits;
    this.features = features;
  }

  private async checkedPredict(labels: Int32Array): Promise<{ logits: Float32Array; features: Float32Array }> {
    const out = await this.model.predict(this.ids, labels, this.B);
    const { tokens: N, codebook: K } = this.model;
    if (out.logits.length !== this.B * N * K) throw new RangeError(`model returned ${out.logits.length} logits, expected ${this.B * N * K} ([${this.B},${N},${K}])`);
    const f = this.B * this.featureShape[0] * this.featureShape[1];
    if (out.features.length !== f) throw new RangeError(`model returned ${out.features.length} feature values, expected ${f}`);
    return out;
  }
}
