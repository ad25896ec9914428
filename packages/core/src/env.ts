import type { ActionSpec } from "./actions/spec.js";

/** A dense float32 array with its shape, row-major. Crosses the env boundary instead of tensors, so an env
 * never owns tfjs memory that the caller must dispose. */
export interface Batch {
  data: Float32Array;
  shape: number[];
}

/** What the policy sees at one decision: generator features `[B, N, D]` and the 0-based step index k. */
export interface Observation {
  features: Batch;
  step: number;
}

/** Executed (post-activation, post-clamp) actions: one value per sample for every action key. */
export type ExecutedActions = Record<string, Float32Array>;

export interface ResetOptions {
  /** Consecutive samples sharing one initial noise (1 = every sample its own). */
  noiseGroup?: number;
}

/**
 * The generation MDP (docs/method.md §3) that every paradigm adapter implements. One trajectory per sample;
 * all samples of a batch advance in lock step through `horizon` policy decisions.
 *
 * Call order: `reset` → (`observe` → `step`) × horizon → `render`.
 */
export interface GenerationEnv {
  /** Number of policy decisions per trajectory (T for MaskGIT/VAR, T+1 for DiT/SiT). */
  readonly horizon: number;
  /** The action keys, their activations and the heuristic schedule, one row per decision. */
  readonly actionSpec: ActionSpec;
  /** Shape `[N, D]` of the features returned by `observe`. */
  readonly featureShape: readonly [number, number];
  /** Number of classes a condition may take (labels are 0..numClasses-1). */
  readonly numClasses: number;
  /** True when a transition samples randomness (token sampling); false for deterministic ODE steps. */
  readonly stochastic: boolean;
  /**
   * Starts a batch of trajectories, one per condition; `seed` fixes every random draw of the env. With
   * `options.noiseGroup = g`, each run of g consecutive samples starts from the same initial noise (paired
   * exploration: the trainer's group-relative advantages); an env without initial noise may ignore it.
   */
  reset(conditions: Int32Array, seed: number, options?: ResetOptions): Promise<void>;
  /** Features of the current state. */
  observe(): Promise<Observation>;
  /** Applies one decision (per-sample actions) and advances to the next state. */
  step(actions: ExecutedActions): Promise<void>;
  /** The finished samples in the space the reward model reads (images `[B,H,W,C]` in [0,1], or vectors `[B,d]`). */
  render(): Promise<Batch>;
  /** Releases sessions or buffers held by the env. */
  dispose?(): Promise<void> | void;
}

/**
 * A stochastic env that can try one decision several times from the same state, for lookahead with the value
 * network (docs/method.md §12.2, paper Eq. 13).
 */
export interface LookaheadEnv extends GenerationEnv {
  /**
   * Applies `actions` `candidates` times from the current state, candidate c with its own randomness (candidate 0
   * with the env's own streams, so one candidate is exactly `step`), shows `choose` each candidate's next-state
   * observation and continues, per sample, from the candidate it picks. On the last decision there is no next
   * state to observe: the env steps plainly and `choose` is not called.
   */
  stepWithLookahead(actions: ExecutedActions, candidates: number, choose: (next: Observation[]) => Int32Array | Promise<Int32Array>): Promise<void>;
}

export function supportsLookahead(env: GenerationEnv): env is LookaheadEnv {
  return typeof (env as Partial<LookaheadEnv>).stepWithLookahead === "function";
}
