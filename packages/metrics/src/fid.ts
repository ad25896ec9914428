/**
 * Fréchet distance between two Gaussians (the FID formula of Heusel et al. 2017, as pytorch-fid computes it):
 *
 *   FID = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 · tr √(Σ₁Σ₂)
 *
 * pytorch-fid takes `scipy.linalg.sqrtm(Σ₁Σ₂)` of the non-symmetric product and keeps the real part. Here the
 * trace of the square root is the sum of the square roots of the eigenvalues of Σ₁Σ₂, obtained from a symmetric
 * matrix with the same spectrum: with the pivoted Cholesky factor Σ₁ = L Lᵀ (L of shape n × rank), Σ₁Σ₂ =
 * L (Lᵀ Σ₂) has the non-zero eigenvalues of Lᵀ Σ₂ L, which is symmetric positive semi-definite (the same
 * argument as for √Σ₁ Σ₂ √Σ₁, one symmetric eigendecomposition cheaper). Rank-deficient Σ₁ (fewer samples than
 * dimensions) is exact: L has fewer columns, and the zero eigenvalues contribute nothing.
 */
import { MetricsInputError } from "./errors.js";
import { gemmAcc, pivotedCholesky, symmetricEigenvalues, transpose } from "./linalg.js";
import { withWasmArena } from "./wasm.js";
import type { FeatureStatistics } from "./stats.js";

export interface FrechetOptions {
  /**
   * Add `offset · I` to both covariances first. pytorch-fid does this (with 1e-6) only when scipy's `sqrtm` of a
   * singular product comes back non-finite; the symmetric route never fails that way, so the default is 0. Set
   * it to reproduce a pytorch-fid run that printed "fid calculation produces singular product".
   */
  offset?: number;
  /**
   * Largest tolerated imaginary part, the sum of √|λ| over negative eigenvalues of Σ₁Σ₂ (rounding makes tiny
   * ones). pytorch-fid raises "Imaginary component" above 1e-3 on sqrtm's diagonal; so does this, by default.
   */
  imaginaryTolerance?: number;
}

export interface FrechetResult {
  fid: number;
  /** ‖μ₁ − μ₂‖² */
  meanTerm: number;
  /** tr Σ₁ + tr Σ₂ − 2 tr √(Σ₁Σ₂) */
  covarianceTerm: number;
  /** tr √(Σ₁Σ₂) */
  traceSqrt: number;
  /** Numerical rank of Σ₁ (pivoted Cholesky, LAPACK's default tolerance). */
  rank1: number;
  dims: number;
}

function checkStats(s: FeatureStatistics, name: string): void {
  const n = s.mu.length;
  if (n === 0) throw new MetricsInputError("empty mean vector", name);
  if (s.sigma.length !== n * n) {
    throw new MetricsInputError(`sigma has ${s.sigma.length} entries, expected ${n}x${n} for mu of length ${n}`, name);
  }
  for (let i = 0; i < n; i++) if (!Number.isFinite(s.mu[i])) throw new MetricsInputError(`mu[${i}] is ${s.mu[i]}`, name);
  let maxAbs = 0;
  for (let i = 0; i < n * n; i++) {
    const a = s.sigma[i];
    if (!Number.isFinite(a)) throw new MetricsInputError(`sigma[${Math.floor(i / n)}][${i % n}] is ${a}`, name);
    if (Math.abs(a) > maxAbs) maxAbs = Math.abs(a);
  }
  const tol = 1e-6 * maxAbs;
  for (let i = 0; i < n; i++) {
    if (s.sigma[i * n + i] < -tol) {
      throw new MetricsInputError(`sigma is not a covariance: diagonal entry ${i} is ${s.sigma[i * n + i]}`, name);
    }
    for (let j = 0; j < i; j++) {
      if (Math.abs(s.sigma[i * n + j] - s.sigma[j * n + i]) > tol) {
        throw new MetricsInputError(
          `sigma is not symmetric: [${i}][${j}] = ${s.sigma[i * n + j]} but [${j}][${i}] = ${s.sigma[j * n + i]}`,
          name,
        );
      }
    }
  }
}

/**
 * tr √(Σ₁Σ₂) for symmetric positive semi-definite n × n Σ₁, Σ₂ (row-major; lower triangles read).
 * Returns the trace and the numerical rank of Σ₁; throws when Σ₁Σ₂ has clearly negative eigenvalues.
 */
export function traceSqrtProduct(
  sigma1: Float64Array,
  sigma2: Float64Array,
  n: number,
  imaginaryTolerance = 1e-3,
): { traceSqrt: number; rank1: number } {
  let rank1 = 0;
  // WebAssembly memory (when available) for three n × n buffers, reused: L then C, S2p then Lᵀ, T.
  const lambda = withWasmArena(3 * n * n + 68 * n + 64, (alloc): Float64Array | null => {
    const bufA = alloc(n * n);
    const bufB = alloc(n * n);
    const bufT = alloc(n * n);
    const { L, perm, rank } = pivotedCholesky(sigma1, n, undefined, bufA);
    rank1 = rank;
    if (rank === 0) return null;
    // S2p = Σ₂[perm][:, perm]
    const S2p = bufB;
    for (let i = 0; i < n; i++) {
      const pi = perm[i] * n;
      const ri = i * n;
      for (let k = 0; k < n; k++) S2p[ri + k] = sigma2[pi + perm[k]];
    }
    // T = S2p L  (n × rank); row k of L is zero beyond column k.
    const T = bufT.subarray(0, n * rank);
    gemmAcc(T, rank, S2p, n, L, n, n, n, rank, { bLower: true });
    // C = Lᵀ T  (rank × rank, lower triangle); Lᵀ is upper trapezoidal.
    const Lt = transpose(L, n, rank, n, bufB.subarray(0, rank * n));
    const C = bufA.subarray(0, rank * rank);
    C.fill(0);
    gemmAcc(C, rank, Lt, n, T, rank, rank, n, rank, { aUpper: true, lowerOnly: true });
    // Pivoting sorts L's columns by decreasing size, so C is graded with its large entries top-left. QL (and the
    // tridiagonalisation before it) keeps the small eigenvalues of a graded matrix accurate only when the large
    // entries are at the bottom right: reverse the index order (C[i][j] ↔ C[r−1−j][r−1−i] in the lower triangle).
    // On ill-conditioned covariances this is the difference between 1e-8 and 1e-12 relative error in the FID.
    reverseSymmetricLower(C, rank);
    return symmetricEigenvalues(C, rank, alloc);
  });
  if (lambda === null) return { traceSqrt: 0, rank1: 0 };
  const rank = rank1;
  let traceSqrt = 0;
  let imaginary = 0;
  for (let i = 0; i < rank; i++) {
    const l = lambda[i];
    if (l > 0) traceSqrt += Math.sqrt(l);
    else imaginary += Math.sqrt(-l);
  }
  if (!(imaginary <= imaginaryTolerance) || !Number.isFinite(traceSqrt)) {
    throw new MetricsInputError(
      `covariance product has negative eigenvalues (imaginary part ${imaginary.toExponential(3)} of tr sqrt(sigma1 sigma2) ` +
        `exceeds ${imaginaryTolerance}); are both sigmas positive semi-definite covariances?`,
    );
  }
  return { traceSqrt, rank1: rank };
}

/** Reverse the index order of a symmetric matrix held in its lower triangle, in place (anti-transpose). */
function reverseSymmetricLower(C: Float64Array, r: number): void {
  for (let i = 0; i < r; i++) {
    for (let j = 0; j <= i; j++) {
      const i2 = r - 1 - j;
      const j2 = r - 1 - i;
      // Each unordered pair is visited twice; swap once, from the lexicographically smaller position.
      if (i < i2 || (i === i2 && j < j2)) {
        const t = C[i * r + j];
        C[i * r + j] = C[i2 * r + j2];
        C[i2 * r + j2] = t;
      }
    }
  }
}

/** The Fréchet distance between N(μ₁, Σ₁) and N(μ₂, Σ₂); see the module comment for the method. */
export function frechetDistance(
  a: FeatureStatistics,
  b: FeatureStatistics,
  opts: FrechetOptions = {},
): FrechetResult {
  checkStats(a, "statistics 1");
  checkStats(b, "statistics 2");
  const n = a.mu.length;
  if (b.mu.length !== n) {
    throw new MetricsInputError(`feature dimensions differ: ${n} vs ${b.mu.length}`);
  }
  const offset = opts.offset ?? 0;
  let s1 = a.sigma;
  let s2 = b.sigma;
  if (offset !== 0) {
    s1 = Float64Array.from(s1);
    s2 = Float64Array.from(s2);
    for (let i = 0; i < n; i++) {
      s1[i * n + i] += offset;
      s2[i * n + i] += offset;
    }
  }
  let meanTerm = 0;
  for (let i = 0; i < n; i++) {
    const d = a.mu[i] - b.mu[i];
    meanTerm += d * d;
  }
  let tr1 = 0;
  let tr2 = 0;
  for (let i = 0; i < n; i++) {
    tr1 += s1[i * n + i];
    tr2 += s2[i * n + i];
  }
  const { traceSqrt, rank1 } = traceSqrtProduct(s1, s2, n, opts.imaginaryTolerance);
  const covarianceTerm = tr1 + tr2 - 2 * traceSqrt;
  const fid = meanTerm + covarianceTerm;
  if (!Number.isFinite(fid)) throw new MetricsInputError(`Fréchet distance is not finite (${fid})`);
  return { fid, meanTerm, covarianceTerm, traceSqrt, rank1, dims: n };
}
