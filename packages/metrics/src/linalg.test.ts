import { describe, expect, it } from "vitest";
import { gemmAcc, pivotedCholesky, symmetricEigenvalues } from "./linalg.js";

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
