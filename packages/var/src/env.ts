/**
 * `VarEnv`: the policy-driven next-scale sampler of docs/method.md §5.2 as a core `GenerationEnv`. One decision per
 * scale; action keys `guidanceScale` (softplus; a multiplier of the ramp k/(S − 1)), `topK` (codebook·sigmoid,
 * rounded to a count), `topP` (sigmoid) and `sampleTemperature` (softplus), one value per sample per scale.
 *
 * - Reset: every id 0; the inputs graph and one conditional transformer pass over scale 0's prefix give the
 *   features of decision 0 and its conditional logits.
 * - Decision k: the unconditional pass over the same prefix (skipped when every ramped weight is 0, as at k = 0),
 *   `varScaleStep` samples scale k's ids, then the inputs graph and the conditional pass over scale k+1's prefix
 *   for the next decision (none after the last scale).
 * - Observation: the features of the current scale's rows resized (bicubic) to the card's fixed token grid, so one
 *   network reads every scale.
 * - Render: the accumulated latent of all scales through `renderTransform` (the decoder to images `[B,H,W,C]` in
 *   [0,1]); without one, the latent itself.
 * Transitions are stochastic: each sample (or each group of `noiseGroup` samples, which then share their draws) has
 * its own stream seeded from `seed`, so a sample's ids do not depend on the batch it runs in.
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
import { VAR_KEYS } from "./heuristic.js";
import type { VarModel } from "./model.js";
import { resizeTokenGrid } from "./scales.js";
import { varScaleStep } from "./step.js";

/** Accumulated latents `[B, ...latentShape]` → images, e.g. an ONNX decoder followed by the pixel mapping. */
export type LatentRenderer = (latent: Float32Array, batch: number) => Promise<Batch> | Batch;

export interface VarEnvOptions {
  /** S rows [guidanceScale, topK, topP, sampleTemperature] (e.g. `varSchedule(S, defaults)`), one per scale. */
  heuristic: readonly (readonly number[])[];
  /** Side of the token grid the policy reads (features resized to grid × grid). */
  featureGrid: number;
  /** Action smoothing rho in [0, 1) (docs/method.md §4.3, VAR: 0). */
  smoothing?: number;
  renderTransform?: LatentRenderer;
}

export class VarEnv implements LookaheadEnv {
  readonly horizon: number;
  readonly actionSpec: ActionSpec;
  readonly featureShape: readonly [number, number];
  readonly numClasses: number;
  readonly stochastic = true;
  private readonly featureGrid: number;
  private readonly renderTransform: LatentRenderer | undefined;

  private B = 0;
  private k = 0;
  private ids: Int32Array = new Int32Array(0);
  private xIn: Float32Array = new Float32Array(0);
  private labels: Int32Array = new Int32Array(0);
  private nullLabels: Int32Array = new Int32Array(0);
  private logitsCond: Float32Array = new Float32Array(0);
  private features: Float32Array = new Float32Array(0);
  private rngs: Random[] = [];
  private executed: Float32Array[][] = [];

  constructor(
    readonly model: VarModel,
    options: VarEnvOptions,
  ) {
    const S = model.layout.count;
    if (options.heuristic.length !== S)
      throw new RangeError(`the heuristic has ${options.heuristic.length} rows; ${S} scales take one decision each`);
    const V = model.codebook;
    options.heuristic.forEach((row, k) => {
      if (row.length !== VAR_KEYS.length) throw new RangeError(`heuristic row ${k} has ${row.length} values, expected ${VAR_KEYS.length} (${VAR_KEYS.join(", ")})`);
      const [w, topK, topP, tau] = row;
      if (!(w > 0 && Number.isFinite(w))) throw new RangeError(`heuristic guidanceScale at scale ${k} is ${w}; it must be > 0 (softplus range)`);
      if (!(topK > 0 && topK < V)) throw new RangeError(`heuristic topK at scale ${k} is ${topK}; it must be in (0, ${V}) (codebook·sigmoid range)`);
      if (!(topP > 0 && topP < 1)) throw new RangeError(`heuristic topP at scale ${k} is ${topP}; it must be in (0, 1) (sigmoid range)`);
      if (!(tau > 0 && Number.isFinite(tau))) throw new RangeError(`heuristic sampleTemperature at scale ${k} is ${tau}; it must be > 0 (softplus range)`);
    });
    const rho = options.smoothing ?? 0;
    if (!(rho >= 0 && rho < 1)) throw new RangeError(`smoothing (rho) must be in [0, 1), got ${rho}`);
    if (!(Number.isInteger(options.featureGrid) && options.featureGrid >= 1))
      throw new RangeError(`featureGrid must be a positive integer, got ${options.featureGrid}`);
    this.horizon = S;
    this.featureGrid = options.featureGrid;
    this.featureShape = [options.featureGrid * options.featureGrid, model.featureDim];
    this.numClasses = model.numClasses;
    this.renderTransform = options.renderTransform;
    this.actionSpec = {
      keys: [
        { name: "guidanceScale", activation: "softplus" },
        { name: "topK", activation: "scaledSigmoid", scale: V },
        { name: "topP", activation: "sigmoid" },
        { name: "sampleTemperature", activation: "softplus" },
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
    this.nullLabels = new Int32Array(B).fill(this.numClasses);
    this.ids = new Int32Array(B * this.model.layout.tokens);
    this.executed = [];
    await this.conditionalPass();
  }

  async observe(): Promise<Observation> {
    checkDecisionLeft("observe", this.B, this.k, this.horizon);
    return { features: { data: this.features, shape: [this.B, ...this.featureShape] }, step: this.k };
  }

  async step(actions: ExecutedActions): Promise<void> {
    checkDecisionLeft("step", this.B, this.k, this.horizon);
    const [guidance, topK, topP, temperature] = VAR_KEYS.map((key) => actionValues(actions, key, this.B, this.actionSpec));
    this.executed.push([guidance, topK, topP, temperature].map((a) => Float32Array.from(a)));
    const { layout, codebook } = this.model;
    const k = this.k;
    const guided = k > 0 && layout.count > 1;
    const logitsUncond = guided ? this.scaleRows((await this.model.predict(this.xIn, layout.offsets[k + 1], this.nullLabels, this.B)).logits, codebook) : undefined;
    const scaleIds = varScaleStep({
      scale: k,
      scales: layout.count,
      logitsCond: this.logitsCond,
      logitsUncond,
      guidance,
      topK,
      topP,
      temperature,
      rngs: this.rngs,
      codebook,
    });
    const n = layout.size(k);
    for (let b = 0; b < this.B; b++) this.ids.set(scaleIds.subarray(b * n, (b + 1) * n), b * layout.tokens + layout.offsets[k]);
    this.k++;
    if (this.k < this.horizon) await this.conditionalPass();
  }

  /**
   * Lookahead (docs/method.md §12.2): scale k drawn `candidates` times under the same action (one unconditional pass
   * shared, one inputs graph and conditional pass per candidate for its next features); candidate 0 uses each
   * sample's own stream, candidate c ≥ 1 `branchStream(stream, c)`, and every sample's own stream continues
   * afterwards whichever candidate it keeps.
   */
  async stepWithLookahead(actions: ExecutedActions, candidates: number, choose: (next: Observation[]) => Int32Array | Promise<Int32Array>): Promise<void> {
    if (!(Number.isInteger(candidates) && candidates >= 1)) throw new RangeError(`lookahead candidates must be a positive integer, got ${candidates}`);
    checkDecisionLeft("step", this.B, this.k, this.horizon);
    if (candidates === 1 || this.k === this.horizon - 1) return this.step(actions);
    const [guidance, topK, topP, temperature] = VAR_KEYS.map((key) => actionValues(actions, key, this.B, this.actionSpec));
    const { layout, codebook } = this.model;
    const k = this.k;
    const guided = k > 0 && layout.count > 1;
    const logitsUncond = guided ? this.scaleRows((await this.model.predict(this.xIn, layout.offsets[k + 1], this.nullLabels, this.B)).logits, codebook) : undefined;
    const own = { ids: this.ids, xIn: this.xIn, logitsCond: this.logitsCond, features: this.features };
    const drawn: (typeof own)[] = [];
    const n = layout.size(k);
    for (let c = 0; c < candidates; c++) {
      const scaleIds = varScaleStep({
        scale: k,
        scales: layout.count,
        logitsCond: own.logitsCond,
        logitsUncond,
        guidance,
        topK,
        topP,
        temperature,
        rngs: c === 0 ? this.rngs : this.rngs.map((r) => branchStream(r, c)),
        codebook,
      });
      this.ids = Int32Array.from(own.ids);
      for (let b = 0; b < this.B; b++) this.ids.set(scaleIds.subarray(b * n, (b + 1) * n), b * layout.tokens + layout.offsets[k]);
      this.k = k + 1;
      await this.conditionalPass();
      drawn.push({ ids: this.ids, xIn: this.xIn, logitsCond: this.logitsCond, features: this.features });
      this.k = k;
    }
    Object.assign(this, own);
    const choice = await choose(drawn.map((d) => ({ features: { data: d.features, shape: [this.B, ...this.featureShape] }, step: k + 1 })));
    if (choice.length !== this.B) throw new RangeError(`lookahead choice has ${choice.length} entries, expected ${this.B}`);
    for (const c of choice) if (!(Number.isInteger(c) && c >= 0 && c < candidates)) throw new RangeError(`lookahead chose candidate ${c}, not one of 0..${candidates - 1}`);
    this.executed.push([guidance, topK, topP, temperature].map((a) => Float32Array.from(a)));
    const rows = <A extends Int32Array | Float32Array>(pick: (d: (typeof drawn)[number]) => A): A => {
      const first = pick(drawn[0]);
      const out = first.slice() as A;
      const size = out.length / this.B;
      for (let b = 0; b < this.B; b++) out.set(pick(drawn[choice[b]]).subarray(b * size, (b + 1) * size), b * size);
      return out;
    };
    this.ids = rows((d) => d.ids);
    this.xIn = rows((d) => d.xIn);
    this.logitsCond = rows((d) => d.logitsCond);
    this.features = rows((d) => d.features);
    this.k = k + 1;
  }

  async render(): Promise<Batch> {
    if (this.B === 0 || this.k < this.horizon)
      throw new Error(`render needs a finished trajectory: ${this.k} of ${this.horizon} decisions taken`);
    const { latent } = await this.model.inputs(this.ids, this.B);
    if (this.renderTransform) return this.renderTransform(latent, this.B);
    return { data: latent, shape: [this.B, ...this.model.latentShape] };
  }

  /** The sampled ids of all scales `[B, T]` (complete after the last decision). */
  sampledIds(): Int32Array {
    return Int32Array.from(this.ids);
  }

  /** The executed actions so far: per decision, per key (VAR_KEYS order), one value per sample. */
  executedSchedule(): Float32Array[][] {
    return this.executed.map((row) => row.slice());
  }

  /** Inputs for the current ids, then the conditional pass over scale k's prefix: its logits and resized features. */
  private async conditionalPass(): Promise<void> {
    const { layout, codebook, featureDim } = this.model;
    const k = this.k;
    this.xIn = (await this.model.inputs(this.ids, this.B)).xIn;
    const prefix = layout.offsets[k + 1];
    const out = await this.model.predict(this.xIn, prefix, this.labels, this.B);
    this.logitsCond = this.scaleRows(out.logits, codebook);
    this.features = resizeTokenGrid(out.features, this.B, featureDim, { side: layout.scales[k], rowsPerSample: prefix, rowOffset: layout.offsets[k] }, this.featureGrid);
  }

  /** Scale k's rows `[B, n, width]` out of prefix outputs `[B, offsets[k+1], width]`. */
  private scaleRows(prefixRows: Float32Array, width: number): Float32Array {
    const { layout } = this.model;
    const prefix = layout.offsets[this.k + 1];
    if (prefixRows.length !== this.B * prefix * width)
      throw new RangeError(`model returned ${prefixRows.length} values, expected ${this.B * prefix * width} ([${this.B},${prefix},${width}])`);
    const n = layout.size(this.k);
    const out = new Float32Array(this.B * n * width);
    for (let b = 0; b < this.B; b++) out.set(prefixRows.subarray((b * prefix + layout.offsets[this.k]) * width, (b * prefix + prefix) * width), b * n * width);
    return out;
  }
}
