import type { ActionDecoder } from "./actions/spec.js";
import { supportsLookahead, type Batch, type ExecutedActions, type GenerationEnv, type Observation } from "./env.js";
import type { PolicyNetwork } from "./nn/policy.js";
import { gaussianLogProbValues } from "./ppo/gaussian.js";
import type { Random } from "./random.js";

/**
 * Runs one batch of trajectories through an env under a policy (Algorithm 1's inner loop):
 * observe → raw output o (mean, or o ~ N(mean, std²) when exploring) → decode (residual, smoothing,
 * activation) → env.step, then render. Without an actor the raw outputs are 0, i.e. the heuristic schedule.
 */
export interface RolloutOptions {
  /** Gaussian exploration on raw outputs; omit for the deterministic (mean) policy. */
  explore?: { std: number; rng: Random };
  /** Also evaluate the critic and keep the transitions for PPO. */
  critic?: PolicyNetwork;
  record?: boolean;
  /** Runs of this many consecutive samples start from the same initial noise (GenerationEnv.reset). */
  noiseGroup?: number;
  /**
   * Lookahead with the value network (docs/method.md §12.2): every transition but the last is tried `candidates`
   * times and each sample continues from the next state `critic` values highest. Needs a `LookaheadEnv`.
   */
  lookahead?: { candidates: number; critic: PolicyNetwork };
}

export interface RecordedTransitions {
  features: Float32Array;
  steps: Float32Array;
  actions: Float32Array;
  logProbs: Float32Array;
  values: Float32Array;
}

export interface RolloutResult {
  samples: Batch;
  labels: Int32Array;
  /** Executed actions of every decision, `actions[k][key][b]`. */
  actions: ExecutedActions[];
  /** Transitions in decision-major order (all samples of decision 0, then decision 1, …), when recorded. */
  transitions?: RecordedTransitions;
}

export async function rollout(
  env: GenerationEnv,
  actor: PolicyNetwork | undefined,
  decoder: ActionDecoder,
  labels: Int32Array,
  seed: number,
  options: RolloutOptions = {},
): Promise<RolloutResult> {
  const B = labels.length;
  const A = decoder.numKeys;
  const H = env.horizon;
  if (decoder.horizon !== H) throw new RangeError(`action spec has ${decoder.horizon} decisions, env has ${H}`);
  const [N, D] = env.featureShape;
  const record = options.record ?? false;
  const rec: RecordedTransitions | undefined = record
    ? {
        features: new Float32Array(H * B * N * D),
        steps: new Float32Array(H * B),
        actions: new Float32Array(H * B * A),
        logProbs: new Float32Array(H * B),
        values: new Float32Array(H * B),
      }
    : undefined;
  const lookahead = options.lookahead;
  if (lookahead) {
    if (!(Number.isInteger(lookahead.candidates) && lookahead.candidates >= 1))
      throw new RangeError(`lookahead candidates must be a positive integer, got ${lookahead.candidates}`);
    if (lookahead.candidates > 1 && !supportsLookahead(env))
      throw new RangeError(`lookahead needs an env whose transitions can be redrawn (MaskGIT, VAR); this env's ${env.stochastic ? "cannot be" : "are deterministic"}`);
  }
  await env.reset(labels, seed, options.noiseGroup && options.noiseGroup > 1 ? { noiseGroup: options.noiseGroup } : undefined);
  decoder.reset(B);
  const executed: ExecutedActions[] = [];
  for (let k = 0; k < H; k++) {
    const obs = await env.observe();
    if (obs.step !== k) throw new Error(`env reported step ${obs.step}, expected ${k}`);
    const steps = new Float32Array(B).fill(k);
    const mean = actor ? actor.predict(obs.features.data, B, steps) : new Float32Array(B * A);
    let raw = mean;
    if (options.explore) {
      const { std, rng } = options.explore;
      raw = mean.map((m) => m + std * rng.normal());
    }
    if (rec) {
      rec.features.set(obs.features.data, k * B * N * D);
      rec.steps.set(steps, k * B);
      rec.actions.set(raw, k * B * A);
      const std = options.explore?.std ?? 1;
      for (let b = 0; b < B; b++)
        rec.logProbs[k * B + b] = gaussianLogProbValues(raw.subarray(b * A, (b + 1) * A), mean.subarray(b * A, (b + 1) * A), std);
      if (options.critic) rec.values.set(options.critic.predict(obs.features.data, B, steps), k * B);
    }
    const actions = decoder.decode(raw, k);
    executed.push(actions);
    if (lookahead && lookahead.candidates > 1 && supportsLookahead(env))
      await env.stepWithLookahead(actions, lookahead.candidates, (next) => highestValue(next, lookahead.critic, B));
    else await env.step(actions);
  }
  const samples = await env.render();
  return { samples, labels, actions: executed, transitions: rec };
}

/** Per sample, the candidate next state the critic values highest (the first on ties). */
function highestValue(next: Observation[], critic: PolicyNetwork, B: number): Int32Array {
  const choice = new Int32Array(B);
  const best = new Float32Array(B).fill(-Infinity);
  next.forEach((obs, c) => {
    const values = critic.predict(obs.features.data, B, new Float32Array(B).fill(obs.step));
    for (let b = 0; b < B; b++)
      if (values[b] > best[b]) {
        best[b] = values[b];
        choice[b] = c;
      }
  });
  return choice;
}

/** Labels drawn uniformly from 0..numClasses-1. */
export function uniformLabels(count: number, numClasses: number, rng: Random): Int32Array {
  return Int32Array.from({ length: count }, () => rng.int(numClasses));
}

/** Class-balanced labels: label i is floor(i·numClasses / count) (docs/method.md §13.1). */
export function balancedLabels(count: number, numClasses: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => Math.floor((i * numClasses) / count));
}
