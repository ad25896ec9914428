/**
 * Kernel Inception Distance (Bińkowski et al. 2018), as torch-fidelity computes it: the unbiased MMD² with the
 * cubic polynomial kernel k(x, y) = (xᵀy / d + 1)³, averaged over random subsets.
 */
import { MetricsInputError } from "./errors.js";
import { gemmAcc } from "./linalg.js";
import { NumpyRandomState } from "./numpy-random.js";
import { withWasmArena } from "./wasm.js";
import { type FeatureBatch, checkFinite } from "./stats.js";

export interface KidOptions {
  /** Number of subsets (torch-fidelity `kid_subsets`, default 100). */
  subsets?: number;
  /** Subset size (torch-fidelity `kid_subset_size`, default 1000), capped at the smaller sample count. */
  subsetSize?: number;
  /** Polynomial kernel degree, gamma (default 1/d) and coef0 (torch-fidelity `kid_degree`, `kid_gamma`, `kid_coef0`). */
  degree?: number;
  gamma?: number;
  coef0?: number;
  /** Seed of numpy's legacy RandomState that draws the subsets (torch-fidelity `rng_seed`, default 2020). */
  seed?: number;
}

export interface KidResult {
  kidMean: number;
  kidStd: number;
  subsets: number;
  subsetSize: number;
}

/** Gather rows `idx` of a feature batch into `out` (rows × d, float64). */
function gather(f: FeatureBatch, idx: Int32Array, out: Float64Array): Float64Array {
  const d = f.dims;
  for (let r = 0; r < idx.length; r++) {
    const src = idx[r] * d;
    for (let j = 0; j < d; j++) out[r * d + j] = f.data[src + j];
  }
  return out;
}

function transposeInto(X: Float64Array, m: number, d: number, T: Float64Array): Float64Array {
  for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) T[j * m + i] = X[i * d + j];
  return T;
}

interface Work {
  Xt: Float64Array;
  Yt: Float64Array;
  G: Float64Array;
}

/** Σ of the polynomial kernel over X·Yᵀ; for X = Y (`same`) the diagonal is dropped (strict lower triangle, doubled). */
function kernelSum(
  X: Float64Array,
  Yt: Float64Array,
  m: number,
  d: number,
  same: boolean,
  kernel: { gamma: number; coef0: number; degree: number },
  G: Float64Array,
): number {
  const { gamma, coef0, degree } = kernel;
  G.fill(0);
  gemmAcc(G, m, X, d, Yt, m, m, d, m, same ? { lowerOnly: true } : {});
  let sum = 0;
  for (let i = 0; i < m; i++) {
    const end = same ? i : m;
    for (let j = 0; j < end; j++) {
      const base = G[i * m + j] * gamma + coef0;
      sum += degree === 3 ? base * base * base : base ** degree;
    }
  }
  return same ? 2 * sum : sum;
}

function mmd2With(
  X: Float64Array,
  Y: Float64Array,
  m: number,
  d: number,
  kernel: { gamma: number; coef0: number; degree: number },
  w: Work,
): number {
  transposeInto(X, m, d, w.Xt);
  transposeInto(Y, m, d, w.Yt);
  const kxx = kernelSum(X, w.Xt, m, d, true, kernel, w.G);
  const kyy = kernelSum(Y, w.Yt, m, d, true, kernel, w.G);
  const kxy = kernelSum(X, w.Yt, m, d, false, kernel, w.G);
  return (kxx + kyy) / (m * (m - 1)) - (2 * kxy) / (m * m);
}

/** Unbiased MMD² between two equally sized feature sets (rows × d, float64). */
export function mmd2Unbiased(
  X: Float64Array,
  Y: Float64Array,
  m: number,
  d: number,
  kernel: { gamma: number; coef0: number; degree: number },
): number {
  return mmd2With(X, Y, m, d, kernel, { Xt: new Float64Array(d * m), Yt: new Float64Array(d * m), G: new Float64Array(m * m) });
}

/**
 * KID between features `a` (e.g. generated) and `b` (e.g. reference): mean and population standard deviation
 * of the unbiased MMD² over `subsets` random subsets of `subsetSize` rows drawn without replacement. The subsets
 * are drawn exactly as torch-fidelity draws them (numpy RandomState(seed).choice, a then b per subset).
 */
export function kernelInceptionDistance(a: FeatureBatch, b: FeatureBatch, opts: KidOptions = {}): KidResult {
  if (a.dims !== b.dims) throw new MetricsInputError(`feature dimensions differ: ${a.dims} vs ${b.dims}`);
  for (const [f, name] of [
    [a, "features 1"],
    [b, "features 2"],
  ] as const) {
    if (f.rows < 2) throw new MetricsInputError(`need at least 2 samples for KID, got ${f.rows}`, name);
    checkFinite(f);
  }
  const d = a.dims;
  const subsets = opts.subsets ?? 100;
  const m = Math.min(opts.subsetSize ?? 1000, a.rows, b.rows);
  const kernel = { gamma: opts.gamma ?? 1 / d, coef0: opts.coef0 ?? 1, degree: opts.degree ?? 3 };
  const rng = new NumpyRandomState(opts.seed ?? 2020);
  const mmds = new Float64Array(subsets);
  withWasmArena(4 * m * d + m * m + 64, (alloc) => {
    const X = alloc(m * d);
    const Y = alloc(m * d);
    const work = { Xt: alloc(d * m), Yt: alloc(d * m), G: alloc(m * m) };
    for (let s = 0; s < subsets; s++) {
      const ia = rng.choiceWithoutReplacement(a.rows, m);
      const ib = rng.choiceWithoutReplacement(b.rows, m);
      mmds[s] = mmd2With(gather(a, ia, X), gather(b, ib, Y), m, d, kernel, work);
    }
  });
  let mean = 0;
  for (const v of mmds) mean += v;
  mean /= subsets;
  let varSum = 0;
  for (const v of mmds) varSum += (v - mean) ** 2;
  return { kidMean: mean, kidStd: Math.sqrt(varSum / subsets), subsets, subsetSize: m };
}
