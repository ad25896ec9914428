/**
 * One MaskGIT sampling step for a batch (docs/method.md §5.1, step 2), as a pure function of the current ids, the
 * conditional and unconditional logits, each sample's actions and its random stream:
 *   guided logits L = L_c + w·(L_c − L_u); a token drawn at every position from softmax(L/τ_s); its confidence
 *   log softmax(L)[x] at temperature 1; revealed positions keep their id with confidence +∞; n = min(⌊N·m⌋, N − 1)
 *   positions stay masked: the n smallest of conf + β·Gumbel. Returns the sampled ids (what is decoded after the
 *   last step) and the next ids (sampled, with the re-masked positions reset to the mask id).
 * Draw order per sample (reproducible whatever the batch): N categorical draws (one uniform each, position order),
 * then N Gumbel draws (one uniform each).
 */
import { TokenSampler, classifierFreeGuidance, type Random } from "@adagen/core";
import { maskedCount } from "./heuristic.js";

export interface MaskGitStepInput {
  ids: Int32Array;
  logitsCond: Float32Array;
  logitsUncond: Float32Array;
  /** Per-sample actions (B each). */
  maskRatio: Float32Array;
  maskTemperature: Float32Array;
  sampleTemperature: Float32Array;
  guidance: Float32Array;
  /** One random stream per sample. */
  rngs: readonly Random[];
  tokens: number;
  codebook: number;
  maskId: number;
}

export function maskGitStep(input: MaskGitStepInput): { sampled: Int32Array; next: Int32Array } {
  const { ids, tokens: N, codebook: K, maskId, rngs } = input;
  const B = rngs.length;
  if (ids.length !== B * N) throw new RangeError(`ids have ${ids.length} values, expected ${B}·${N}`);
  const guided = classifierFreeGuidance(input.logitsCond, input.logitsUncond, input.guidance);
  const sampled = new Int32Array(B * N);
  const next = new Int32Array(B * N);
  const tokenSampler = new TokenSampler(K);
  const conf = new Float64Array(N);
  const noisy = new Float64Array(N);
  for (let b = 0; b < B; b++) {
    const rng = rngs[b];
    const tau = input.sampleTemperature[b];
    for (let i = 0; i < N; i++) {
      const row = guided.subarray((b * N + i) * K, (b * N + i + 1) * K);
      // Drawn at every position (one uniform each, so the stream does not depend on which are masked).
      const x = tokenSampler.draw(row, rng.uniform(), tau);
      const known = ids[b * N + i] !== maskId;
      sampled[b * N + i] = known ? ids[b * N + i] : x;
      // Revealed tokens are never re-masked; a new one's confidence is its log-probability at temperature 1.
      conf[i] = known ? Infinity : tokenSampler.logProbability(row, x);
    }
    const beta = input.maskTemperature[b];
    for (let i = 0; i < N; i++) noisy[i] = conf[i] + beta * gumbel(rng);
    const n = maskedCount(input.maskRatio[b], N);
    const cut = Float64Array.from(noisy).sort()[n];
    for (let i = 0; i < N; i++) next[b * N + i] = noisy[i] < cut ? maskId : sampled[b * N + i];
  }
  return { sampled, next };
}

/** Gumbel(0, 1) from one uniform clamped away from 0 and 1 (the reference sampler's clamp, 1e-20 .. 1 − 1e-7). */
function gumbel(rng: Random): number {
  const u = Math.min(Math.max(rng.uniform(), 1e-20), 1 - 1e-7);
  return -Math.log(-Math.log(u));
}
