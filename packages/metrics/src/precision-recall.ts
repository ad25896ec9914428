/**
 * Improved precision and recall (Kynkäänniemi et al. 2019), as torch-fidelity's `prc` computes them: each set
 * of features spans a manifold, the union of balls around its points with radius the distance to the point's
 * k-th nearest neighbour in its own set (k = 3; the point itself is not its own neighbour). Precision is the
 * fraction of generated samples inside the reference manifold; recall is the fraction of reference samples
 * inside the generated manifold. Euclidean distances in float64.
 */
import { MetricsInputError } from "./errors.js";
import { gemmAcc } from "./linalg.js";
import { withWasmArena } from "./wasm.js";
import { type FeatureBatch, checkFinite } from "./stats.js";

export interface PrecisionRecallOptions {
  /** Neighbourhood size (default 3, Kynkäänniemi et al. 2019). */
  k?: number;
  /** Rows per distance block (memory is blockRows × max(N) doubles). */
  blockRows?: number;
}

export interface PrecisionRecallResult {
  precision: number;
  recall: number;
  k: number;
}

function toF64(f: FeatureBatch): Float64Array {
  return f.data instanceof Float64Array ? f.data : Float64Array.from(f.data);
}

function norms(X: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += X[i * d + j] ** 2;
    out[i] = s;
  }
  return out;
}

function transposeRows(X: Float64Array, m: number, d: number): Float64Array {
  const T = new Float64Array(d * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) T[j * m + i] = X[i * d + j];
  return T;
}

/**
 * Visit squared Euclidean distances from every row of X to every row of Y, a block of X rows at a time:
 * `visit(i, dist, offset)` sees row i's distances at dist[offset .. offset + ny).
 */
function forEachDistanceRow(
  X: Float64Array,
  nx: number,
  Y: Float64Array,
  ny: number,
  d: number,
  blockRows: number,
  visit: (i: number, dist: Float64Array, offset: number) => void,
): void {
  const nX = norms(X, nx, d);
  const nY = norms(Y, ny, d);
  withWasmArena(nx * d + d * ny + blockRows * ny + 64, (alloc) => {
    const Xw = alloc(nx * d);
    Xw.set(X);
    const Yt = alloc(d * ny);
    Yt.set(transposeRows(Y, ny, d));
    const G = alloc(blockRows * ny);
    for (let i0 = 0; i0 < nx; i0 += blockRows) {
      const rows = Math.min(blockRows, nx - i0);
      G.fill(0, 0, rows * ny);
      gemmAcc(G, ny, Xw.subarray(i0 * d), d, Yt, ny, rows, d, ny);
      for (let r = 0; r < rows; r++) {
        const i = i0 + r;
        const o = r * ny;
        for (let j = 0; j < ny; j++) G[o + j] = Math.max(0, nX[i] + nY[j] - 2 * G[o + j]);
        visit(i, G, o);
      }
    }
  });
}

/** Squared radius of each point's k-th nearest neighbour within its own set (self excluded). */
function kthNeighbourRadii(X: Float64Array, n: number, d: number, k: number, blockRows: number): Float64Array {
  const radii = new Float64Array(n);
  const best = new Float64Array(k + 1);
  forEachDistanceRow(X, n, X, n, d, blockRows, (i, dist, o) => {
    // k+1 smallest including the point itself (distance 0), as torch-fidelity's kthvalue(k + 1).
    best.fill(Infinity);
    for (let j = 0; j < n; j++) {
      const v = j === i ? 0 : dist[o + j];
      if (v < best[k]) {
        let p = k;
        while (p > 0 && best[p - 1] > v) {
          best[p] = best[p - 1];
          p--;
        }
        best[p] = v;
      }
    }
    radii[i] = best[k];
  });
  return radii;
}

/** Fraction of rows of Q inside the manifold of P (some p with ‖q − p‖² ≤ radius²(p)). */
function coverage(Q: Float64Array, nq: number, P: Float64Array, np: number, radiiP: Float64Array, d: number, blockRows: number): number {
  let inside = 0;
  forEachDistanceRow(Q, nq, P, np, d, blockRows, (_i, dist, o) => {
    for (let j = 0; j < np; j++) {
      if (dist[o + j] <= radiiP[j]) {
        inside++;
        return;
      }
    }
  });
  return inside / nq;
}

/** Precision and recall of generated features against reference features. */
export function precisionRecall(
  generated: FeatureBatch,
  reference: FeatureBatch,
  opts: PrecisionRecallOptions = {},
): PrecisionRecallResult {
  const k = opts.k ?? 3;
  const blockRows = opts.blockRows ?? 256;
  if (generated.dims !== reference.dims) {
    throw new MetricsInputError(`feature dimensions differ: ${generated.dims} vs ${reference.dims}`);
  }
  for (const [f, name] of [
    [generated, "features 1"],
    [reference, "features 2"],
  ] as const) {
    if (f.rows < k + 1) throw new MetricsInputError(`need more than k = ${k} samples for precision/recall, got ${f.rows}`, name);
    checkFinite(f);
  }
  const d = generated.dims;
  const G = toF64(generated);
  const R = toF64(reference);
  const radiiR = kthNeighbourRadii(R, reference.rows, d, k, blockRows);
  const radiiG = kthNeighbourRadii(G, generated.rows, d, k, blockRows);
  const precision = coverage(G, generated.rows, R, reference.rows, radiiR, d, blockRows);
  const recall = coverage(R, reference.rows, G, generated.rows, radiiG, d, blockRows);
  return { precision, recall, k };
}
