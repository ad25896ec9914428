import { describe, expect, it } from "vitest";
import { gemmAcc, pivotedCholesky, symmetricEigen, symmetricEigenvalues } from "./linalg.js";
import { frechetDistance } from "./fid.js";
import { setWasmEnabled, wasmKernels, withWasmArena } from "./wasm.js";

describe("symmetric eigenvalues", () => {
  it("finds the spectrum of Q diag(λ) Qᵀ", () => {
    for (const n of [1, 2, 3, 5, 17, 64]) {
      // Q from Householder reflectors of a deterministic vector.
      const lambda = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : i * 0.7 - 3));
      const A = new Float64Array(n * n);
      for (let i = 0; i < n; i++) A[i * n + i] = lambda[i];
      const v = Array.from({ length: n }, (_, i) => Math.sin(i + 1));
      const vv = v.reduce((s, x) => s + x * x, 0);
      // A ← H A H with H = I − 2 v vᵀ / vᵀv
      const H = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) H[i * n + j] = (i === j ? 1 : 0) - (2 * v[i] * v[j]) / vv;
      const T = new Float64Array(n * n);
      gemmAcc(T, n, H, n, A, n, n, n, n);
      const B = new Float64Array(n * n);
      gemmAcc(B, n, T, n, H, n, n, n, n);
      const ev = symmetricEigenvalues(B, n);
      const want = [...lambda].sort((a, b) => a - b);
      for (let i = 0; i < n; i++) expect(ev[i]).toBeCloseTo(want[i], 10);
    }
  });

  it("handles a tridiagonal matrix with zero off-diagonals", () => {
    const A = Float64Array.from([2, 0, 0, 0, 1, 0, 0, 0, 3]);
    expect(Array.from(symmetricEigenvalues(A, 3))).toEqual([1, 2, 3]);
  });
});

describe("symmetric eigen-decomposition (Jacobi)", () => {
  it("returns orthonormal vectors that rebuild the matrix, with the Householder path's eigenvalues", () => {
    for (const n of [1, 2, 7, 64]) {
      // A random-looking symmetric matrix with a repeated eigenvalue's worth of structure: B + Bᵀ plus a shift.
      const A = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = Math.sin(3 * i + 7 * j + 1) + (i === j ? 2 : 0);
      const { values, vectors: V } = symmetricEigen(A, n);
      for (let j = 1; j < n; j++) expect(values[j]).toBeGreaterThanOrEqual(values[j - 1]);
      const reference = symmetricEigenvalues(Float64Array.from(A), n);
      for (let j = 0; j < n; j++) expect(values[j]).toBeCloseTo(reference[j], 10);
      for (let p = 0; p < n; p++)
        for (let q = 0; q < n; q++) {
          let dot = 0;
          let rebuilt = 0;
          for (let k = 0; k < n; k++) {
            dot += V[k * n + p] * V[k * n + q];
            rebuilt += V[p * n + k] * values[k] * V[q * n + k];
          }
          expect(dot).toBeCloseTo(p === q ? 1 : 0, 12);
          expect(rebuilt).toBeCloseTo(A[p * n + q], 10);
        }
    }
  });

  it("leaves a diagonal matrix's axes in place and rejects a wrong size", () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([3, 0, 0, -1]), 2);
    expect(Array.from(values)).toEqual([-1, 3]);
    expect(Array.from(vectors)).toEqual([0, 1, 1, 0]);
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(/5 entries for a 2 × 2/);
  });
});

describe("pivoted Cholesky", () => {
  it("factors a rank-2 PSD matrix with rank 2", () => {
    const u = [1, 2, 3, 4];
    const w = [0, 1, 0, -1];
    const A = new Float64Array(16);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) A[i * 4 + j] = u[i] * u[j] + w[i] * w[j];
    const { L, perm, rank } = pivotedCholesky(A, 4);
    expect(rank).toBe(2);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let c = 0; c < rank; c++) s += L[i * 4 + c] * L[j * 4 + c];
        expect(s).toBeCloseTo(A[perm[i] * 4 + perm[j]], 12);
      }
  });
});

describe("WebAssembly kernels agree with the JavaScript ones", () => {
  const rand = (seed: number, n: number): Float64Array => {
    let s = seed >>> 0;
    return Float64Array.from({ length: n }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32 - 0.5;
    });
  };

  it("the kernels load (WebAssembly SIMD available)", () => {
    expect(wasmKernels()).not.toBeNull();
  });

  it("gemmAcc on odd shapes with every structure option", () => {
    for (const [m, kk, nc] of [
      [7, 5, 9],
      [37, 130, 69],
      [64, 257, 131],
    ]) {
      for (const opts of [{}, { lowerOnly: true }, { aUpper: true }, { bLower: true }]) {
        const A0 = rand(m + kk, m * kk);
        const B0 = rand(kk + nc, kk * nc);
        if ((opts as { aUpper?: boolean }).aUpper) for (let i = 0; i < m; i++) for (let k = 0; k < Math.min(i, kk); k++) A0[i * kk + k] = 0;
        if ((opts as { bLower?: boolean }).bLower) for (let k = 0; k < kk; k++) for (let c = k + 1; c < nc; c++) B0[k * nc + c] = 0;
        const Cjs = new Float64Array(m * nc);
        const prev = setWasmEnabled(false);
        gemmAcc(Cjs, nc, A0, kk, B0, nc, m, kk, nc, opts);
        setWasmEnabled(prev);
        const Cw = withWasmArena(m * kk + kk * nc + m * nc, (alloc, wasm) => {
          expect(wasm).toBe(true);
          const A = alloc(m * kk);
          A.set(A0);
          const B = alloc(kk * nc);
          B.set(B0);
          const C = alloc(m * nc);
          gemmAcc(C, nc, A, kk, B, nc, m, kk, nc, opts);
          return Float64Array.from(C);
        });
        for (let i = 0; i < m; i++)
          for (let c = 0; c < nc; c++) {
            if ((opts as { lowerOnly?: boolean }).lowerOnly && c > i) continue;
            expect(Math.abs(Cw[i * nc + c] - Cjs[i * nc + c])).toBeLessThan(1e-12);
          }
      }
    }
  });

  it("Fréchet distance at 203 dims, full rank and rank 150, both paths", () => {
    const stats = (seed: number, n: number, k: number) => {
      const U = rand(seed, n * k);
      const sigma = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += U[i * k + t] * U[j * k + t];
        sigma[i * n + j] = s / k;
      }
      return { mu: rand(seed + 7, n), sigma };
    };
    for (const k of [300, 150]) {
      const a = stats(1, 203, k);
      const b = stats(2, 203, k);
      const w = frechetDistance(a, b);
      const prev = setWasmEnabled(false);
      const j = frechetDistance(a, b);
      setWasmEnabled(prev);
      expect(Math.abs(w.fid - j.fid) / j.fid).toBeLessThan(1e-10);
      expect(w.rank1).toBe(Math.min(k, 203));
      expect(j.rank1).toBe(Math.min(k, 203));
    }
  });
});
