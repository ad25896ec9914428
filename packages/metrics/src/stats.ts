/**
 * Feature statistics (mean and unbiased covariance, divide by N − 1, as `np.cov(rowvar=False)`), accumulated
 * in float64 over batches of feature rows.
 */
import { MetricsInputError } from "./errors.js";
import { gemmAcc, transpose } from "./linalg.js";
import { withWasmArena } from "./wasm.js";

/** Gaussian statistics of a feature set: the contents of a pytorch-fid `.npz` statistics file. */
export interface FeatureStatistics {
  /** Mean, length d. */
  mu: Float64Array;
  /** Covariance, d × d row-major. */
  sigma: Float64Array;
  /** Number of feature vectors, when known (pytorch-fid files do not store it). */
  count?: number;
}

export type FeatureRows = Float32Array | Float64Array;

/** A batch of feature vectors: `rows × dims`, row-major. */
export interface FeatureBatch {
  data: FeatureRows;
  rows: number;
  dims: number;
}

/** Throw MetricsInputError naming the first non-finite entry of a feature batch. */
export function checkFinite(batch: FeatureBatch, firstRow = 0): void {
  const { data, dims } = batch;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new MetricsInputError(
        `non-finite feature ${data[i]} at sample ${firstRow + Math.floor(i / dims)}, dimension ${i % dims}`,
      );
    }
  }
}

/**
 * Streaming mean/covariance. The sums are taken around a shift (the first batch's mean) so that large means do
 * not cancel the covariance in float64; the covariance sum is a blocked Xᵀ X product per batch.
 */
export class StatisticsAccumulator {
  readonly dims: number;
  private count = 0;
  private shift: Float64Array | null = null;
  private readonly sum: Float64Array;
  private readonly cross: Float64Array; // lower triangle of Σ (x − shift)(x − shift)ᵀ
  private readonly pending: Float64Array; // shifted rows not yet in `cross`
  private pendingRows = 0;
  private readonly flushRows: number;

  constructor(dims: number) {
    if (!Number.isInteger(dims) || dims < 1) throw new MetricsInputError(`feature dimension must be ≥ 1, got ${dims}`);
    this.dims = dims;
    this.sum = new Float64Array(dims);
    this.cross = new Float64Array(dims * dims);
    this.flushRows = Math.max(4, Math.min(512, Math.floor(2 ** 22 / dims)));
    this.pending = new Float64Array(this.flushRows * dims);
  }

  /** Add the pending rows' Xᵀ X to `cross` (one blocked product, in WebAssembly memory when available). */
  private flush(): void {
    const rows = this.pendingRows;
    if (rows === 0) return;
    const d = this.dims;
    withWasmArena(d * d + 2 * rows * d + 64, (alloc, wasm) => {
      const X = alloc(rows * d);
      X.set(this.pending.subarray(0, rows * d));
      const Xt = transpose(X, rows, d, d, alloc(rows * d));
      const C = wasm ? alloc(d * d) : this.cross;
      if (wasm) C.set(this.cross);
      gemmAcc(C, d, Xt, rows, X, d, d, rows, d, { lowerOnly: true });
      if (wasm) this.cross.set(C);
    });
    this.pendingRows = 0;
  }

  get samples(): number {
    return this.count;
  }

  /** Add `batch.rows` feature vectors. Throws on a dimension mismatch or a non-finite value. */
  add(batch: FeatureBatch): void {
    const { data, rows, dims } = batch;
    if (dims !== this.dims) throw new MetricsInputError(`feature dimension ${dims} differs from ${this.dims}`);
    if (data.length !== rows * dims) {
      throw new MetricsInputError(`feature batch has ${data.length} values, expected ${rows}x${dims}`);
    }
    if (rows === 0) return;
    checkFinite(batch, this.count);
    const d = dims;
    if (this.shift === null) {
      const s = new Float64Array(d);
      for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) s[j] += data[i * d + j];
      for (let j = 0; j < d; j++) s[j] /= rows;
      this.shift = s;
    }
    const shift = this.shift;
    for (let i = 0; i < rows; i++) {
      if (this.pendingRows === this.flushRows) this.flush();
      const o = this.pendingRows * d;
      for (let j = 0; j < d; j++) {
        const x = data[i * d + j] - shift[j];
        this.pending[o + j] = x;
        this.sum[j] += x;
      }
      this.pendingRows++;
    }
    this.count += rows;
  }

  /** Mean and unbiased covariance of everything added so far. Needs at least 2 samples. */
  finalize(): FeatureStatistics {
    const n = this.count;
    if (n < 2) throw new MetricsInputError(`need at least 2 samples for a covariance, got ${n}`);
    this.flush();
    const d = this.dims;
    const shift = this.shift as Float64Array;
    const mu = new Float64Array(d);
    const m = new Float64Array(d); // mean of shifted data
    for (let j = 0; j < d; j++) {
      m[j] = this.sum[j] / n;
      mu[j] = shift[j] + m[j];
    }
    const sigma = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        const c = (this.cross[i * d + j] - n * m[i] * m[j]) / (n - 1);
        sigma[i * d + j] = c;
        sigma[j * d + i] = c;
      }
    }
    return { mu, sigma, count: n };
  }
}

/** Mean and unbiased covariance of `rows × dims` features (float64 arithmetic). */
export function featureStatistics(batch: FeatureBatch): FeatureStatistics {
  const acc = new StatisticsAccumulator(batch.dims);
  acc.add(batch);
  return acc.finalize();
}
