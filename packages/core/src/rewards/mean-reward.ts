import type { Batch } from "../env.js";
import type { NamedArray } from "../train/tensor-file.js";
import type { LabeledBatch, RewardModel } from "./reward.js";

/**
 * The mean of several rewards' scores. Each member updates on every batch and checkpoints under its own prefix
 * (`mean/K/…`), so a run restores each member's state into that member.
 *
 * Why: a Fréchet distance measured in one network's features carries that network's idiosyncrasies, its seed as
 * much as its design; the mean of the distances in several networks trained alike from other seeds keeps what
 * they share (docs/method.md §14 item 26). The influence of a sum of distances is the sum of their influences, so
 * the mean of influence rewards is the influence reward of the mean distance.
 */
export class MeanReward implements RewardModel {
  constructor(
    /** Owned: each is disposed by `dispose`. */
    readonly members: readonly RewardModel[],
  ) {
    if (members.length === 0) throw new RangeError("a mean of rewards needs at least one reward");
  }

  async score(samples: Batch, labels: Int32Array): Promise<Float32Array> {
    const out = new Float32Array(samples.shape[0]);
    for (const member of this.members) {
      const scores = await member.score(samples, labels);
      for (let b = 0; b < out.length; b++) out[b] += scores[b] / this.members.length;
    }
    return out;
  }

  /** Updates every member; a figure that several report is their mean. */
  async update(real: LabeledBatch, fake: LabeledBatch): Promise<Record<string, number>> {
    const sums: Record<string, { total: number; count: number }> = {};
    for (const member of this.members) {
      const figures = (await member.update?.(real, fake)) ?? {};
      for (const [k, v] of Object.entries(figures)) {
        const s = (sums[k] ??= { total: 0, count: 0 });
        s.total += v;
        s.count += 1;
      }
    }
    return Object.fromEntries(Object.entries(sums).map(([k, s]) => [k, s.total / s.count]));
  }

  async exportState(): Promise<Record<string, NamedArray>> {
    const out: Record<string, NamedArray> = {};
    for (const [k, member] of this.members.entries())
      for (const [key, value] of Object.entries((await member.exportState?.()) ?? {})) out[`mean/${k}/${key}`] = value;
    return out;
  }

  async importState(tensors: Record<string, NamedArray>): Promise<void> {
    for (const [k, member] of this.members.entries()) {
      if (!member.importState) continue;
      const prefix = `mean/${k}/`;
      const own = Object.fromEntries(Object.entries(tensors).flatMap(([key, v]) => (key.startsWith(prefix) ? [[key.slice(prefix.length), v]] : [])));
      await member.importState(own);
    }
  }

  async dispose(): Promise<void> {
    for (const member of this.members) await member.dispose?.();
  }
}
