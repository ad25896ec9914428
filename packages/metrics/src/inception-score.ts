/**
 * Inception Score from classifier logits (Salimans et al. 2016), as docs/method.md §13.1 and torch-fidelity compute
 * it: shuffle the rows with numpy `RandomState(2020).permutation(N)`, split into 10 contiguous chunks
 * (chunk i = rows ⌊iN/10⌋ … ⌊(i+1)N/10⌋ − 1), and per chunk take exp(mean_i KL(p_i ‖ mean p)) with
 * p = softmax(logits) in float64. The score is the mean over chunks; the standard deviation is reported too.
 */
import { MetricsInputError } from "./errors.js";
import { NumpyRandomState } from "./numpy-random.js";
import { type FeatureBatch, checkFinite } from "./stats.js";

export interface InceptionScoreOptions {
  /** Number of splits (default 10, docs/method.md §13.1). */
  splits?: number;
  /** Seed of the shuffling permutation (default 2020, docs/method.md §13.1); `null` keeps the input order. */
  seed?: number | null;
}

export interface InceptionScoreResult {
  isMean: number;
  isStd: number;
  splits: number;
}

/** Inception Score of `logits` (rows × classes). */
export function inceptionScore(logits: FeatureBatch, opts: InceptionScoreOptions = {}): InceptionScoreResult {
  const splits = opts.splits ?? 10;
  const { rows: n, dims: c, data } = logits;
  if (n < splits) throw new MetricsInputError(`need at least ${splits} samples for ${splits} splits, got ${n}`);
  if (c < 2) throw new MetricsInputError(`need at least 2 classes of logits, got ${c}`);
  checkFinite(logits);
  const seed = opts.seed === undefined ? 2020 : opts.seed;
  const order = seed === null ? Int32Array.from({ length: n }, (_, i) => i) : new NumpyRandomState(seed).permutation(n);
  // Row-wise softmax and log-softmax in float64, in shuffled order.
  const p = new Float64Array(n * c);
  const logp = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    const src = order[r] * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) if (data[src + j] > max) max = data[src + j];
    let z = 0;
    for (let j = 0; j < c; j++) z += Math.exp(data[src + j] - max);
    const logZ = Math.log(z) + max;
    for (let j = 0; j < c; j++) {
      const lp = data[src + j] - logZ;
      logp[r * c + j] = lp;
      p[r * c + j] = Math.exp(lp);
    }
  }
  const scores: number[] = [];
  for (let s = 0; s < splits; s++) {
    const lo = Math.floor((s * n) / splits);
    const hi = Math.floor(((s + 1) * n) / splits);
    const q = new Float64Array(c);
    for (let r = lo; r < hi; r++) for (let j = 0; j < c; j++) q[j] += p[r * c + j];
    for (let j = 0; j < c; j++) q[j] /= hi - lo;
    const logq = q.map(Math.log);
    let klSum = 0;
    for (let r = lo; r < hi; r++) {
      let kl = 0;
      for (let j = 0; j < c; j++) {
        const pj = p[r * c + j];
        if (pj > 0) kl += pj * (logp[r * c + j] - logq[j]); // 0 · log 0 = 0
      }
      klSum += kl;
    }
    scores.push(Math.exp(klSum / (hi - lo)));
  }
  const mean = scores.reduce((a, b) => a + b, 0) / splits;
  const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / splits);
  return { isMean: mean, isStd: std, splits };
}
