import { activate, inverseActivate, type ActivationName } from "./activations.js";
import { checkSmoothing, unsmoothSequence } from "./smoothing.js";
import type { ExecutedActions } from "../env.js";

/** One action key: how a raw network output becomes that parameter's value (docs/method.md §4.1-4.2). */
export interface ActionKeySpec {
  /** Name in the paradigm's terms, e.g. `nextTime`, `guidanceScale`, `maskRatio`. */
  name: string;
  activation: ActivationName;
  /** Multiplier of "scaledSigmoid" (e.g. 4096 for VAR top-k). */
  scale?: number;
  /** Optional clamp applied after the activation. */
  min?: number;
  max?: number;
}

export interface ActionSpec {
  keys: ActionKeySpec[];
  /** `heuristic[k][j]`: the hand-designed value of key j at decision k, in executed units (one row per decision). */
  heuristic: number[][];
  /** EMA weight rho in [0, 1) of the causal action smoothing; 0 disables it (docs/method.md §11). */
  smoothing: number;
}

export function validateActionSpec(spec: ActionSpec): void {
  checkSmoothing(spec.smoothing);
  if (spec.keys.length === 0) throw new RangeError("action spec needs at least one key");
  spec.heuristic.forEach((row, k) => {
    if (row.length !== spec.keys.length)
      throw new RangeError(`heuristic row ${k} has ${row.length} values, expected ${spec.keys.length} (one per key)`);
  });
}

/**
 * The residual table h (docs/method.md §4.4): inverse activation of the heuristic, then inverse smoothing.
 * Returned as `[horizon][keys]`. With a zero network output the decoder executes exactly the heuristic.
 */
export function residualTable(spec: ActionSpec): number[][] {
  validateActionSpec(spec);
  const horizon = spec.heuristic.length;
  const table: number[][] = Array.from({ length: horizon }, () => new Array<number>(spec.keys.length));
  spec.keys.forEach((key, j) => {
    const z = spec.heuristic.map((row) => inverseActivate(key.activation, row[j], key.scale));
    const h = unsmoothSequence(z, spec.smoothing);
    for (let k = 0; k < horizon; k++) table[k][j] = h[k];
  });
  return table;
}

/**
 * The raw outputs, `[decision][key]`, with which a policy whose residual is `from`'s heuristic executes `to`'s
 * (same keys and smoothing): `to`'s residual table minus `from`'s. Decision 0 stays at `from`'s (offset 0): on the
 * samplers where it sees no features (docs/method.md §5.3) it cannot depend on the sample, and with smoothing its
 * value carries into decision 1, so decision 1's offset absorbs the difference.
 */
export function residualOffsets(from: ActionSpec, to: ActionSpec): number[][] {
  if (JSON.stringify(from.keys) !== JSON.stringify(to.keys) || from.smoothing !== to.smoothing || from.heuristic.length !== to.heuristic.length)
    throw new RangeError("residualOffsets: the two action specs differ in keys, smoothing or decisions");
  const base = residualTable(from);
  const target = residualTable({ ...to, heuristic: to.heuristic.map((row, k) => (k === 0 ? [...from.heuristic[0]] : row)) });
  return target.map((row, k) => row.map((v, j) => v - base[k][j]));
}

/**
 * Turns raw policy outputs into executed actions, step by step, for a batch of trajectories:
 * u = raw + h_k, v = EMA(u) per sample (the memory is reset per generation), a = clamp(g(v)).
 */
export class ActionDecoder {
  readonly spec: ActionSpec;
  readonly residual: number[][];
  private memory = new Float64Array(0);
  private batchSize = 0;
  private nextStep = 0;

  constructor(spec: ActionSpec) {
    this.spec = spec;
    this.residual = residualTable(spec);
  }

  get numKeys(): number {
    return this.spec.keys.length;
  }

  get horizon(): number {
    return this.spec.heuristic.length;
  }

  /** Clears the smoothing memory for a new batch of `batchSize` trajectories. */
  reset(batchSize: number): void {
    this.batchSize = batchSize;
    this.memory = new Float64Array(batchSize * this.numKeys);
    this.nextStep = 0;
  }

  /**
   * Decodes decision `step` from raw outputs `[B, A]` (row-major). Steps must come in order 0, 1, 2, …
   * because smoothing carries the previous smoothed value.
   */
  decode(raw: Float32Array, step: number): ExecutedActions {
    const A = this.numKeys;
    const B = this.batchSize;
    if (step !== this.nextStep) throw new RangeError(`expected decision ${this.nextStep}, got ${step} (call reset first)`);
    if (step >= this.horizon) throw new RangeError(`decision ${step} is past the horizon ${this.horizon}`);
    if (raw.length !== B * A) throw new RangeError(`expected ${B * A} raw outputs ([${B},${A}]), got ${raw.length}`);
    const rho = this.spec.smoothing;
    const out: ExecutedActions = {};
    for (const key of this.spec.keys) out[key.name] = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < A; j++) {
        const u = raw[b * A + j] + this.residual[step][j];
        const v = step === 0 ? u : rho * this.memory[b * A + j] + (1 - rho) * u;
        this.memory[b * A + j] = v;
        const key = this.spec.keys[j];
        let a = activate(key.activation, v, key.scale);
        if (key.min !== undefined) a = Math.max(a, key.min);
        if (key.max !== undefined) a = Math.min(a, key.max);
        out[key.name][b] = a;
      }
    }
    this.nextStep = step + 1;
    return out;
  }
}
