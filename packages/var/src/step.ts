/**
 * One VAR scale for a batch (docs/method.md §5.2 steps 3-6), as a pure function of the scale's conditional and
 * unconditional logits, each sample's actions and its random stream: guided logits L = L_c + t·(L_c − L_u) with
 * t = w·k/(S − 1) (core's guidance rule), then per token top-k, top-p at temperature 1, the temperature and one
 * categorical draw (core's `TokenSampler`). Draw order per sample: one uniform per token, row-major.
 */
import { TokenSampler, classifierFreeGuidance, type Random } from "@adagen/core";
import { rampedGuidance, topKCount } from "./heuristic.js";

export interface VarScaleInput {
  /** Scale index k and the number of scales S (the guidance ramp k/(S − 1)). */
  scale: number;
  scales: number;
  /** `[B, n, V]` logits of the scale's n tokens; `logitsUncond` may be omitted when every ramped weight is 0. */
  logitsCond: Float32Array;
  logitsUncond?: Float32Array;
  /** Per-sample actions (B each): guidance multiplier, top-k (an action value, rounded), top-p, temperature. */
  guidance: ArrayLike<number>;
  topK: ArrayLike<number>;
  topP: ArrayLike<number>;
  temperature: ArrayLike<number>;
  rngs: readonly Random[];
  codebook: number;
}

/** The sampled ids `[B, n]` of the scale. */
export function varScaleStep(input: VarScaleInput): Int32Array {
  const { rngs, codebook: V } = input;
  const B = rngs.length;
  const n = input.logitsCond.length / (B * V);
  if (!Number.isInteger(n)) throw new RangeError(`${input.logitsCond.length} logits are not ${B} samples × tokens × ${V} codes`);
  const t = Float32Array.from({ length: B }, (_, b) => rampedGuidance(input.guidance[b], input.scale, input.scales));
  let guided = input.logitsCond;
  if (t.some((w) => w !== 0)) {
    if (!input.logitsUncond) throw new RangeError(`scale ${input.scale} is guided but no unconditional logits were given`);
    guided = classifierFreeGuidance(input.logitsCond, input.logitsUncond, t);
  }
  const ids = new Int32Array(B * n);
  const sampler = new TokenSampler(V);
  for (let b = 0; b < B; b++) {
    const k = topKCount(input.topK[b]);
    for (let i = 0; i < n; i++)
      ids[b * n + i] = sampler.draw(guided.subarray((b * n + i) * V, (b * n + i + 1) * V), rngs[b].uniform(), input.temperature[b], k, input.topP[b]);
  }
  return ids;
}
