/**
 * In-memory snapshots of a trainer's state, so a rejected iteration (a NaN or infinite value) keeps nothing: the
 * weights, the Adam states and the learned reward go back to where the iteration started.
 *
 * A snapshot is a `tf.clone` of each variable: a copy inside the backend, no download (under 1 M floats for the
 * cpu-small recipe's policy, critic, discriminator and their Adam states); restoring assigns the clones back.
 */
import * as tf from "@tensorflow/tfjs-core";
import { AdversarialReward } from "../rewards/adversarial.js";
import type { RewardModel } from "../rewards/reward.js";
import type { NamedArray } from "./tensor-file.js";

export interface Snapshot {
  restore(): Promise<void>;
  dispose(): void;
}

/** The values of `variables` now. */
export function snapshotVariables(variables: tf.Variable[]): Snapshot {
  const values = variables.map((v) => tf.clone(v));
  return {
    async restore() {
      variables.forEach((v, i) => v.assign(values[i]));
    },
    dispose() {
      tf.dispose(values);
    },
  };
}

/** tfjs 4's Adam internals (the same fields optimizer-state.ts saves through getWeights and the running products). */
interface AdamInternals {
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  iterations_: number;
}

/**
 * An Adam optimiser's moments, running products and step count. Moments it creates after the snapshot (on its
 * first update) are dropped on restore, so it starts them again from zero as a fresh optimiser does.
 */
export function snapshotAdam(optimizer: tf.AdamOptimizer): Snapshot {
  const adam = optimizer as unknown as AdamInternals;
  const m = adam.accumulatedFirstMoment.length;
  const v = adam.accumulatedSecondMoment.length;
  const variables = [
    ...adam.accumulatedFirstMoment.map((a) => a.variable),
    ...adam.accumulatedSecondMoment.map((a) => a.variable),
    adam.accBeta1,
    adam.accBeta2,
  ];
  const values = snapshotVariables(variables);
  const iterations = adam.iterations_;
  return {
    async restore() {
      await values.restore();
      tf.dispose(adam.accumulatedFirstMoment.slice(m).map((a) => a.variable));
      tf.dispose(adam.accumulatedSecondMoment.slice(v).map((a) => a.variable));
      adam.accumulatedFirstMoment.length = m;
      adam.accumulatedSecondMoment.length = v;
      adam.iterations_ = iterations;
    },
    dispose() {
      values.dispose();
    },
  };
}

/**
 * A learned reward's state: the adversarial reward's discriminator and Adam as clones; any other reward with
 * `exportState`/`importState` through them (a download); a reward without either has nothing to restore.
 */
export async function snapshotReward(reward: RewardModel): Promise<Snapshot> {
  if (reward instanceof AdversarialReward)
    return combine([snapshotVariables(reward.discriminator.params.variables), snapshotAdam(reward.optimizer)]);
  if (reward.exportState && reward.importState) {
    const state: Record<string, NamedArray> = await reward.exportState();
    return {
      restore: () => reward.importState!(state),
      dispose() {},
    };
  }
  return combine([]);
}

export function combine(parts: Snapshot[]): Snapshot {
  return {
    async restore() {
      for (const p of parts) await p.restore();
    },
    dispose() {
      for (const p of parts) p.dispose();
    },
  };
}
