/**
 * The class oracle's arithmetic (bench:class-oracle): feature statistics of any union of per-class parts from their
 * sums, and the coordinate descent that gives each class its own candidate.
 */
import type { FeatureStatistics } from "@adagen/metrics";

/** Feature sums of one class's rows: enough for the mean and covariance of any union of classes. */
export interface ClassSums {
  count: number;
  sum: Float64Array;
  cross: Float64Array;
}

/** Per-class sums of `rows × dims` features whose row r has class `labels[r]` (0 ≤ label < classes). */
export function classSums(features: { data: Float32Array; dims: number }, labels: Int32Array, classes: number): ClassSums[] {
  const d = features.dims;
  if (features.data.length !== labels.length * d) throw new RangeError(`${features.data.length / d} feature rows for ${labels.length} labels`);
  const out = Array.from({ length: classes }, () => ({ count: 0, sum: new Float64Array(d), cross: new Float64Array(d * d) }));
  for (let r = 0; r < labels.length; r++) {
    const s = out[labels[r]];
    if (!s) throw new RangeError(`label ${labels[r]} at row ${r} is outside 0..${classes - 1}`);
    const row = features.data.subarray(r * d, (r + 1) * d);
    s.count++;
    for (let i = 0; i < d; i++) {
      const ri = row[i];
      s.sum[i] += ri;
      for (let j = 0; j < d; j++) s.cross[i * d + j] += ri * row[j];
    }
  }
  return out;
}

/** Mean and unbiased covariance (divide by N − 1, as the metrics package) of the union of `parts`. */
export function unionStatistics(parts: readonly ClassSums[]): FeatureStatistics {
  const d = parts[0].sum.length;
  let n = 0;
  const mu = new Float64Array(d);
  const sigma = new Float64Array(d * d);
  for (const p of parts) {
    n += p.count;
    for (let i = 0; i < d; i++) mu[i] += p.sum[i];
    for (let i = 0; i < d * d; i++) sigma[i] += p.cross[i];
  }
  if (n < 2) throw new RangeError(`a covariance needs at least 2 rows, got ${n}`);
  for (let i = 0; i < d; i++) mu[i] /= n;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) sigma[i * d + j] = (sigma[i * d + j] - n * mu[i] * mu[j]) / (n - 1);
  return { mu, sigma, count: n };
}

/**
 * Class → candidate by coordinate descent on `cost` (lower is better): every class starts at candidate 0; one class
 * at a time tries every candidate and keeps a strict improvement; at most `sweeps` passes, fewer when a pass
 * changes nothing. Returns the assignment and its cost.
 */
export function descendAssignment(classes: number, candidates: number, cost: (assignment: readonly number[]) => number, sweeps: number): { assignment: number[]; cost: number } {
  const assignment: number[] = Array(classes).fill(0);
  let current = cost(assignment);
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let changed = false;
    for (let c = 0; c < classes; c++)
      for (let k = 0; k < candidates; k++) {
        if (k === assignment[c]) continue;
        const trial = assignment.slice();
        trial[c] = k;
        const value = cost(trial);
        if (value < current) [current, assignment[c], changed] = [value, k, true];
      }
    if (!changed) break;
  }
  return { assignment, cost: current };
}

/**
 * Class → candidate for a separable cost (each class scored on its own, `cost(c, k)`, lower is better): every class
 * takes its lowest, the lower index on a tie (so candidate 0, the best, stands unless beaten).
 */
export function ownBest(classes: number, candidates: number, cost: (c: number, k: number) => number): number[] {
  return Array.from({ length: classes }, (_, c) => {
    let best = 0;
    for (let k = 1; k < candidates; k++) if (cost(c, k) < cost(c, best)) best = k;
    return best;
  });
}
