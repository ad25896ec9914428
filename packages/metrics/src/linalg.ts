/**
 * Dense float64 linear algebra for the Fréchet distance: a pivoted Cholesky factorisation for positive
 * semi-definite matrices, blocked matrix products, and the eigenvalues of a symmetric matrix (Householder
 * tridiagonalisation, then implicit QL). All matrices are row-major Float64Arrays.
 *
 * Written for this package (no code copied); the algorithms are the textbook ones (Golub & Van Loan,
 * "Matrix Computations", 4th ed.: 4.2.8 pivoted Cholesky, 8.3.1 Householder tridiagonalisation, 8.3.3-8.3.5
 * implicit symmetric QR/QL steps with Wilkinson shifts).
 */
import { type Alloc, PACK_BYTES, inWasm, wasmKernels, wasmScratch } from "./wasm.js";

/** Result of {@link pivotedCholesky}: `A[perm][:, perm] ≈ L Lᵀ` with L of shape n × rank, lower trapezoidal. */
export interface PivotedCholesky {
  /** Row-major n × n buffer; the first `rank` columns hold L (row i is pivoted position i), the rest is zero. */
  L: Float64Array;
  perm: Int32Array;
  rank: number;
}

const CHOL_BLOCK = 64;

/**
 * Cholesky factorisation with diagonal pivoting of a symmetric positive semi-definite n × n matrix (LAPACK
 * `dpstrf` semantics). Stops when the largest remaining diagonal of the Schur complement is ≤ `tol`; the default
 * `tol` is n · ε · max(diag A), LAPACK's. Only the lower triangle of A is read.
 *
 * Blocked like `dpstrf`: within a panel of 64 columns, each column is computed left-looking from the panel's
 * earlier columns (the running Schur-complement diagonal picks the pivot); after the panel, the trailing lower
 * triangle gets one rank-64 update through {@link gemmAcc}. `out` (n × n) receives L and is the workspace.
 */
export function pivotedCholesky(A: Float64Array, n: number, tol?: number, out?: Float64Array): PivotedCholesky {
  const W = out ?? new Float64Array(n * n);
  const perm = new Int32Array(n);
  const d = new Float64Array(n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) {
    perm[i] = i;
    const ri = i * n;
    for (let j = 0; j <= i; j++) W[ri + j] = A[ri + j];
    for (let j = i + 1; j < n; j++) W[ri + j] = 0;
    if (W[ri + i] > maxDiag) maxDiag = W[ri + i];
  }
  const stop = tol ?? n * Number.EPSILON * maxDiag;
  let rank = n;
  let panel: Float64Array | undefined;
  outer: for (let j0 = 0; j0 < n; j0 += CHOL_BLOCK) {
    const j1 = Math.min(n, j0 + CHOL_BLOCK);
    for (let i = j0; i < n; i++) d[i] = W[i * n + i];
    for (let j = j0; j < j1; j++) {
      let p = j;
      for (let i = j + 1; i < n; i++) if (d[i] > d[p]) p = i;
      if (!(d[p] > stop)) {
        rank = j;
        break outer;
      }
      if (p !== j) symmetricSwapLower(W, n, j, p, d, perm);
      const rj = j * n;
      const ljj = Math.sqrt(d[j]);
      W[rj + j] = ljj;
      for (let i = j + 1; i < n; i++) {
        const ri = i * n;
        let s = W[ri + j];
        for (let c = j0; c < j; c++) s -= W[ri + c] * W[rj + c];
        s /= ljj;
        W[ri + j] = s;
        d[i] -= s * s;
      }
    }
    // Trailing update: W[j1:, j1:] (lower) -= P Pᵀ with P = W[j1:, j0:j1].
    const m = n - j1;
    if (m > 0) {
      const nb = j1 - j0;
      // −Pᵀ, nb × m, in the same memory as W (so the WebAssembly kernel can read it) when W is there.
      const need = nb * m;
      if (panel === undefined || panel.length < need) {
        panel = inWasm(W) ? wasmScratch(need) : new Float64Array(need);
      }
      const Pt = panel.subarray(0, need);
      for (let i = 0; i < m; i++) {
        const ri = (j1 + i) * n + j0;
        for (let c = 0; c < nb; c++) Pt[c * m + i] = -W[ri + c];
      }
      gemmAcc(W.subarray(j1 * n + j1), n, W.subarray(j1 * n + j0), n, Pt, m, m, nb, m, { lowerOnly: true });
    }
  }
  // Keep L only: columns < rank of the lower triangle.
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const keep = Math.min(i + 1, rank);
    W.fill(0, ri + keep, ri + n);
  }
  return { L: W, perm, rank };
}

/**
 * Swap positions j < p of a symmetric matrix stored in its lower triangle (rows of the computed L columns,
 * the trailing lower triangle, the running diagonal and the permutation).
 */
function symmetricSwapLower(W: Float64Array, n: number, j: number, p: number, d: Float64Array, perm: Int32Array): void {
  const rj = j * n;
  const rp = p * n;
  for (let c = 0; c < j; c++) {
    const t = W[rj + c];
    W[rj + c] = W[rp + c];
    W[rp + c] = t;
  }
  let t = W[rj + j];
  W[rj + j] = W[rp + p];
  W[rp + p] = t;
  for (let i = j + 1; i < p; i++) {
    t = W[i * n + j];
    W[i * n + j] = W[rp + i];
    W[rp + i] = t;
  }
  for (let i = p + 1; i < n; i++) {
    t = W[i * n + j];
    W[i * n + j] = W[i * n + p];
    W[i * n + p] = t;
  }
  t = d[j];
  d[j] = d[p];
  d[p] = t;
  const q = perm[j];
  perm[j] = perm[p];
  perm[p] = q;
}

const BLOCK_K = 256;
const BLOCK_C = 64;

/** Structure hints for {@link gemmAcc} that skip known zeros or unneeded outputs. */
export interface GemmOptions {
  /** B is lower trapezoidal: B[k][c] = 0 for c > k. */
  bLower?: boolean;
  /** A is upper trapezoidal: A[i][k] = 0 for k < i. */
  aUpper?: boolean;
  /** Only C[i][c] with c ≤ i is needed (entries above the diagonal may be left partial). */
  lowerOnly?: boolean;
}

/**
 * `C[i][c] += Σ_k A[i][k] · B[k][c]` for i < m, k < kk, c < nc, with leading dimensions lda, ldb, ldc.
 * Blocked over k and c; each B block is packed column-wise, and a 4 × 2 tile of C is accumulated in registers.
 */
export function gemmAcc(
  C: Float64Array,
  ldc: number,
  A: Float64Array,
  lda: number,
  B: Float64Array,
  ldb: number,
  m: number,
  kk: number,
  nc: number,
  opts: GemmOptions = {},
): void {
  const { bLower = false, aUpper = false, lowerOnly = false } = opts;
  if (inWasm(C) && inWasm(A) && inWasm(B)) {
    gemmAccWasm(C, ldc, A, lda, B, ldb, m, kk, nc, bLower, aUpper, lowerOnly);
    return;
  }
  const Bp = new Float64Array(BLOCK_K * BLOCK_C);
  for (let c0 = 0; c0 < nc; c0 += BLOCK_C) {
    const c1 = Math.min(nc, c0 + BLOCK_C);
    const kFirst = bLower ? c0 : 0;
    for (let k0 = kFirst; k0 < kk; k0 += BLOCK_K) {
      const k1 = Math.min(kk, k0 + BLOCK_K);
      const kb = k1 - k0;
      for (let c = c0; c < c1; c++) {
        const o = (c - c0) * kb - k0;
        for (let k = k0; k < k1; k++) Bp[o + k] = B[k * ldb + c];
      }
      let i = 0;
      for (; i + 3 < m; i += 4) {
        if (lowerOnly && c0 > i + 3) continue;
        const ce = lowerOnly ? Math.min(c1, i + 4) : c1;
        const ks = aUpper ? Math.max(k0, i) : k0;
        if (ks >= k1) continue;
        const a0 = i * lda;
        const a1 = a0 + lda;
        const a2 = a1 + lda;
        const a3 = a2 + lda;
        const r0 = i * ldc;
        let c = c0;
        for (; c + 1 < ce; c += 2) {
          const b0 = (c - c0) * kb - k0;
          const b1 = b0 + kb;
          let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
          for (let k = ks; k < k1; k++) {
            const x0 = Bp[b0 + k];
            const x1 = Bp[b1 + k];
            const y0 = A[a0 + k];
            const y1 = A[a1 + k];
            const y2 = A[a2 + k];
            const y3 = A[a3 + k];
            s00 += y0 * x0;
            s01 += y0 * x1;
            s10 += y1 * x0;
            s11 += y1 * x1;
            s20 += y2 * x0;
            s21 += y2 * x1;
            s30 += y3 * x0;
            s31 += y3 * x1;
          }
          C[r0 + c] += s00;
          C[r0 + c + 1] += s01;
          C[r0 + ldc + c] += s10;
          C[r0 + ldc + c + 1] += s11;
          C[r0 + 2 * ldc + c] += s20;
          C[r0 + 2 * ldc + c + 1] += s21;
          C[r0 + 3 * ldc + c] += s30;
          C[r0 + 3 * ldc + c + 1] += s31;
        }
        for (; c < ce; c++) {
          const b0 = (c - c0) * kb - k0;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let k = ks; k < k1; k++) {
            const x0 = Bp[b0 + k];
            s0 += A[a0 + k] * x0;
            s1 += A[a1 + k] * x0;
            s2 += A[a2 + k] * x0;
            s3 += A[a3 + k] * x0;
          }
          C[r0 + c] += s0;
          C[r0 + ldc + c] += s1;
          C[r0 + 2 * ldc + c] += s2;
          C[r0 + 3 * ldc + c] += s3;
        }
      }
      for (; i < m; i++) {
        if (lowerOnly && c0 > i) continue;
        const ce = lowerOnly ? Math.min(c1, i + 1) : c1;
        const ks = aUpper ? Math.max(k0, i) : k0;
        const a0 = i * lda;
        for (let c = c0; c < ce; c++) {
          const b0 = (c - c0) * kb - k0;
          let s = 0;
          for (let k = ks; k < k1; k++) s += A[a0 + k] * Bp[b0 + k];
          C[i * ldc + c] += s;
        }
      }
    }
  }
}

/** {@link gemmAcc} with the WebAssembly SIMD 4 × 4 tile kernel; all three matrices live in its memory. */
function gemmAccWasm(
  C: Float64Array,
  ldc: number,
  A: Float64Array,
  lda: number,
  B: Float64Array,
  ldb: number,
  m: number,
  kk: number,
  nc: number,
  bLower: boolean,
  aUpper: boolean,
  lowerOnly: boolean,
): void {
  const k = wasmKernels() as NonNullable<ReturnType<typeof wasmKernels>>;
  const mem = new Float64Array(k.memory.buffer, 0, PACK_BYTES / 8); // packed B: groups of 4 columns, k-major
  const aBase = A.byteOffset;
  const cBase = C.byteOffset;
  for (let c0 = 0; c0 < nc; c0 += BLOCK_C) {
    const c1 = Math.min(nc, c0 + BLOCK_C);
    const groups = (c1 - c0) >> 2;
    const cTail = c0 + groups * 4; // columns cTail..c1-1 are done in JavaScript
    const kFirst = bLower ? c0 : 0;
    for (let k0 = kFirst; k0 < kk; k0 += BLOCK_K) {
      const k1 = Math.min(kk, k0 + BLOCK_K);
      const kb = k1 - k0;
      for (let g = 0; g < groups; g++) {
        const c = c0 + 4 * g;
        for (let kx = k0; kx < k1; kx++) {
          const o = (g * kb + (kx - k0)) * 4;
          const bo = kx * ldb + c;
          mem[o] = B[bo];
          mem[o + 1] = B[bo + 1];
          mem[o + 2] = B[bo + 2];
          mem[o + 3] = B[bo + 3];
        }
      }
      let i = 0;
      for (; i + 3 < m; i += 4) {
        if (lowerOnly && c0 > i + 3) continue;
        const ks = aUpper ? Math.max(k0, i) : k0;
        if (ks >= k1) continue;
        for (let g = 0; g < groups; g++) {
          const c = c0 + 4 * g;
          if (lowerOnly && c > i + 3) break;
          k.tile4x4(aBase + (i * lda + ks) * 8, lda * 8, (g * kb + (ks - k0)) * 32, k1 - ks, cBase + (i * ldc + c) * 8, ldc * 8);
        }
        const ce = lowerOnly ? Math.min(c1, i + 4) : c1;
        for (let c = cTail; c < ce; c++) {
          for (let r = i; r < i + 4; r++) {
            let s = 0;
            for (let kx = ks; kx < k1; kx++) s += A[r * lda + kx] * B[kx * ldb + c];
            C[r * ldc + c] += s;
          }
        }
      }
      for (; i < m; i++) {
        if (lowerOnly && c0 > i) continue;
        const ce = lowerOnly ? Math.min(c1, i + 1) : c1;
        const ks = aUpper ? Math.max(k0, i) : k0;
        for (let c = c0; c < ce; c++) {
          let s = 0;
          for (let kx = ks; kx < k1; kx++) s += A[i * lda + kx] * B[kx * ldb + c];
          C[i * ldc + c] += s;
        }
      }
    }
  }
}

/** Row-major transpose of an m × n matrix (with leading dimension ld) into a fresh n × m matrix. */
export function transpose(A: Float64Array, m: number, n: number, ld = n, out?: Float64Array): Float64Array {
  const T = out ?? new Float64Array(n * m);
  const B = 32;
  for (let i0 = 0; i0 < m; i0 += B) {
    for (let j0 = 0; j0 < n; j0 += B) {
      const i1 = Math.min(m, i0 + B);
      const j1 = Math.min(n, j0 + B);
      for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) T[j * m + i] = A[i * ld + j];
    }
  }
  return T;
}

/**
 * Eigenvalues (ascending) of a symmetric n × n matrix. Only the lower triangle of A is read; A is overwritten.
 *
 * Householder tridiagonalisation with each step's symmetric rank-2 update fused with the next step's
 * symmetric matrix-vector product (one pass over the trailing triangle per step), then the implicit QL
 * algorithm with Wilkinson shifts on the tridiagonal matrix.
 */
export function symmetricEigenvalues(A: Float64Array, n: number, alloc?: Alloc): Float64Array {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tridiagonalize(A, n, d, e, alloc);
  tridiagonalQL(d, e, n);
  d.sort();
  return d;
}

/**
 * Reduce symmetric A (lower triangle, row-major) to tridiagonal T = Qᵀ A Q: diagonal in d, sub-diagonal in
 * e[0..n-2]. A is overwritten.
 */
export function tridiagonalize(A: Float64Array, n: number, d: Float64Array, e: Float64Array, alloc?: Alloc): void {
  if (n === 0) return;
  const make = alloc ?? ((len: number) => new Float64Array(len));
  const v = make(n); // Householder vector of the current step (entries k+1..n-1)
  const vNext = make(n);
  const y = make(n); // symv result for the current step
  const w = make(n);
  const kernels = inWasm(A) && inWasm(v) && inWasm(vNext) && inWasm(y) && inWasm(w) ? wasmKernels() : null;

  // Householder vector for column k (entries below the diagonal); returns tau, writes v (v[k+1] = 1).
  const house = (k: number, out: Float64Array): number => {
    let sigma = 0;
    for (let i = k + 2; i < n; i++) {
      const x = A[i * n + k];
      sigma += x * x;
    }
    const alpha = A[(k + 1) * n + k];
    out[k + 1] = 1;
    if (sigma === 0) {
      e[k] = alpha;
      for (let i = k + 2; i < n; i++) out[i] = 0;
      return 0;
    }
    const mu = Math.sqrt(alpha * alpha + sigma);
    // H x = mu e1 with v1 = alpha - mu, computed without cancellation when alpha > 0.
    const v1 = alpha <= 0 ? alpha - mu : -sigma / (alpha + mu);
    for (let i = k + 2; i < n; i++) out[i] = A[i * n + k] / v1;
    e[k] = mu;
    // tau = 2 v1² / (sigma + v1²)
    return (2 * v1 * v1) / (sigma + v1 * v1);
  };

  // Plain symv for the first step: y = A22 v over rows/cols k+1..n-1, lower triangle.
  const symv = (k: number, vec: Float64Array, out: Float64Array): void => {
    for (let i = k + 1; i < n; i++) out[i] = 0;
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const vi = vec[i];
      let s = 0;
      for (let j = k + 1; j < i; j++) {
        const a = A[ri + j];
        s += a * vec[j];
        out[j] += a * vi;
      }
      out[i] += s + A[ri + i] * vi;
    }
  };

  let tau = n > 2 ? house(0, v) : 0;
  if (n > 2) symv(0, v, y);
  for (let k = 0; k < n - 2; k++) {
    d[k] = A[k * n + k];
    // w = tau*y - (tau² /2)(yᵀv) v  ⇒  A22 ← A22 - v wᵀ - w vᵀ
    let yv = 0;
    for (let i = k + 1; i < n; i++) yv += y[i] * v[i];
    const K = 0.5 * tau * tau * yv;
    for (let i = k + 1; i < n; i++) w[i] = tau * y[i] - K * v[i];
    if (tau === 0) for (let i = k + 1; i < n; i++) w[i] = 0;

    // Update column k+1 (rows k+1..n-1) first: the next Householder vector needs it.
    const j1 = k + 1;
    const vj1 = v[j1];
    const wj1 = w[j1];
    for (let i = j1; i < n; i++) A[i * n + j1] -= v[i] * wj1 + w[i] * vj1;
    if (k === n - 3) {
      // Last step: update the remaining 1×1 trailing block and stop.
      const i = n - 1;
      A[i * n + i] -= 2 * v[i] * w[i];
      break;
    }
    const tauNext = house(k + 1, vNext);
    // Fused pass over rows/cols k+2..n-1: rank-2 update with (v, w), symv with vNext into y.
    const s0 = k + 2;
    for (let i = s0; i < n; i++) y[i] = 0;
    if (kernels) kernels.fusedPass(A.byteOffset, n, s0, v.byteOffset, w.byteOffset, vNext.byteOffset, y.byteOffset);
    else fusedPass(A, n, s0, v, w, vNext, y);
    tau = tauNext;
    v.set(vNext);
  }
  if (n === 1) {
    d[0] = A[0];
  } else {
    d[n - 2] = A[(n - 2) * n + (n - 2)];
    d[n - 1] = A[(n - 1) * n + (n - 1)];
    e[n - 2] = A[(n - 1) * n + (n - 2)];
  }
  e[n - 1] = 0;
}

/**
 * One step of the tridiagonalisation over rows/columns s0..n-1 of the lower triangle of A:
 * A ← A − v wᵀ − w vᵀ, and y += A_new u (symmetric product). Rows are taken four at a time so each load of
 * v, w, u and y serves four matrix entries.
 */
function fusedPass(
  A: Float64Array,
  n: number,
  s0: number,
  v: Float64Array,
  w: Float64Array,
  u: Float64Array,
  y: Float64Array,
): void {
  let i = s0;
  for (; i + 3 < n; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const v0 = v[i], v1 = v[i + 1], v2 = v[i + 2], v3 = v[i + 3];
    const w0 = w[i], w1 = w[i + 1], w2 = w[i + 2], w3 = w[i + 3];
    const u0 = u[i], u1 = u[i + 1], u2 = u[i + 2], u3 = u[i + 3];
    let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (let j = s0; j < i; j++) {
      const vj = v[j];
      const wj = w[j];
      const uj = u[j];
      const a0 = A[r0 + j] - v0 * wj - w0 * vj;
      const a1 = A[r1 + j] - v1 * wj - w1 * vj;
      const a2 = A[r2 + j] - v2 * wj - w2 * vj;
      const a3 = A[r3 + j] - v3 * wj - w3 * vj;
      A[r0 + j] = a0;
      A[r1 + j] = a1;
      A[r2 + j] = a2;
      A[r3 + j] = a3;
      t0 += a0 * uj;
      t1 += a1 * uj;
      t2 += a2 * uj;
      t3 += a3 * uj;
      y[j] += a0 * u0 + a1 * u1 + a2 * u2 + a3 * u3;
    }
    y[i] += t0;
    y[i + 1] += t1;
    y[i + 2] += t2;
    y[i + 3] += t3;
    // The 4 × 4 corner: columns i..i+3 of rows i..i+3 (lower triangle).
    for (let p = 0; p < 4; p++) {
      const ip = i + p;
      const rp = ip * n;
      const vp = v[ip];
      const wp = w[ip];
      const up = u[ip];
      let s = 0;
      for (let j = i; j < ip; j++) {
        const a = A[rp + j] - vp * w[j] - wp * v[j];
        A[rp + j] = a;
        s += a * u[j];
        y[j] += a * up;
      }
      const aii = A[rp + ip] - 2 * vp * wp;
      A[rp + ip] = aii;
      y[ip] += s + aii * up;
    }
  }
  for (; i < n; i++) {
    const ri = i * n;
    const vi = v[i];
    const wi = w[i];
    const ui = u[i];
    let s = 0;
    for (let j = s0; j < i; j++) {
      const a = A[ri + j] - vi * w[j] - wi * v[j];
      A[ri + j] = a;
      s += a * u[j];
      y[j] += a * ui;
    }
    const aii = A[ri + i] - 2 * vi * wi;
    A[ri + i] = aii;
    y[i] += s + aii * ui;
  }
}

/**
 * Eigenvalues of the symmetric tridiagonal matrix (d, e) by the implicit QL algorithm with Wilkinson shifts;
 * d is overwritten with the (unsorted) eigenvalues, e is destroyed. Throws if an eigenvalue fails to converge.
 */
export function tridiagonalQL(d: Float64Array, e: Float64Array, n: number): void {
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (++iter > 60) throw new Error(`tridiagonal QL did not converge for eigenvalue ${l}`);
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        let f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        f = 0;
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

/** Eigen-decomposition of a symmetric matrix: `A = V diag(values) Vᵀ`, V's columns orthonormal. */
export interface SymmetricEigen {
  /** Ascending. */
  values: Float64Array;
  /** Row-major n × n; column j is the eigenvector of values[j]. */
  vectors: Float64Array;
}

/**
 * Eigenvalues and eigenvectors of a symmetric n × n matrix by cyclic Jacobi rotations (Golub & Van Loan 8.5.2),
 * for the small matrices where eigenvectors are needed (matrix square roots of 64-d feature covariances); the
 * Fréchet distance itself needs only {@link symmetricEigenvalues}. Reads the whole of A (which must be symmetric);
 * A is not modified. Sweeps until the off-diagonal mass is below 1e-15 of the total (at most 100 sweeps).
 */
export function symmetricEigen(A: Float64Array, n: number): SymmetricEigen {
  if (A.length !== n * n) throw new RangeError(`symmetricEigen: ${A.length} entries for a ${n} × ${n} matrix`);
  const a = Float64Array.from(A);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i] * a[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * a[p * n + q] * a[p * n + q];
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        // The rotation that zeroes a[p][q]: t = tan θ, the smaller root of t² + 2τt − 1 = 0.
        const tau = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // Columns p and q of A ← A J.
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          // Rows p and q of A ← Jᵀ A.
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i] - a[j * n + j]);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (const [j, i] of order.entries()) vectors[r * n + j] = v[r * n + i];
  return { values, vectors };
}
