/**
 * Transitions of one PPO iteration (docs/method.md §8.2). With a terminal-only reward and gamma = 1 every step of a
 * trajectory has the same return, so transitions are added per finished batch of trajectories, with its rewards.
 */
export interface TransitionBatch {
  /** Features `[S, N, D]` of S transitions. */
  features: Float32Array;
  /** Step index of each transition. */
  steps: Float32Array;
  /** Sampled raw actions `[S, A]`. */
  actions: Float32Array;
  /** log pi_old of the sampled action, `[S]`. */
  logProbs: Float32Array;
  /** V_old of the state, `[S]`. */
  values: Float32Array;
  /** Reward-to-go (= terminal reward), `[S]`. */
  returns: Float32Array;
  /** Precomputed advantages `[S]` (group-relative); without them PPO uses R̂ − V_old. All chunks or none. */
  advantages?: Float32Array;
}

export class RolloutBuffer {
  readonly featureSize: number;
  readonly numActions: number;
  private chunks: TransitionBatch[] = [];

  constructor(featureSize: number, numActions: number) {
    this.featureSize = featureSize;
    this.numActions = numActions;
  }

  add(chunk: TransitionBatch): void {
    const S = chunk.steps.length;
    const check = (name: string, got: number, want: number) => {
      if (got !== want) throw new RangeError(`transition ${name}: expected ${want} values, got ${got}`);
    };
    check("features", chunk.features.length, S * this.featureSize);
    check("actions", chunk.actions.length, S * this.numActions);
    check("logProbs", chunk.logProbs.length, S);
    check("values", chunk.values.length, S);
    check("returns", chunk.returns.length, S);
    if (chunk.advantages) check("advantages", chunk.advantages.length, S);
    if (this.chunks.length > 0 && !!this.chunks[0].advantages !== !!chunk.advantages)
      throw new RangeError("transition advantages: give them for every chunk or for none");
    this.chunks.push(chunk);
  }

  get size(): number {
    return this.chunks.reduce((n, c) => n + c.steps.length, 0);
  }

  /** All transitions as one batch. */
  concat(): TransitionBatch {
    const S = this.size;
    const out: TransitionBatch = {
      features: new Float32Array(S * this.featureSize),
      steps: new Float32Array(S),
      actions: new Float32Array(S * this.numActions),
      logProbs: new Float32Array(S),
      values: new Float32Array(S),
      returns: new Float32Array(S),
      ...(this.chunks[0]?.advantages ? { advantages: new Float32Array(S) } : {}),
    };
    let at = 0;
    for (const c of this.chunks) {
      const n = c.steps.length;
      out.features.set(c.features, at * this.featureSize);
      out.steps.set(c.steps, at);
      out.actions.set(c.actions, at * this.numActions);
      out.logProbs.set(c.logProbs, at);
      out.values.set(c.values, at);
      out.returns.set(c.returns, at);
      if (out.advantages && c.advantages) out.advantages.set(c.advantages, at);
      at += n;
    }
    return out;
  }

  clear(): void {
    this.chunks = [];
  }
}

/** (R - mean) / (std + 1e-7) with the unbiased std, over all transitions (docs/method.md §8.3). */
export function standardizeReturns(returns: Float32Array): Float32Array {
  const n = returns.length;
  let mean = 0;
  for (const r of returns) mean += r;
  mean /= n;
  let ss = 0;
  for (const r of returns) ss += (r - mean) ** 2;
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return returns.map((r) => (r - mean) / (std + 1e-7));
}
