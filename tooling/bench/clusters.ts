/**
 * k-means for bench:cluster-oracle: splits one class's images into clusters of what they look like, so that each
 * cluster can get its own schedule. Lloyd's iterations from a k-means++ start, all draws from the given generator.
 */
import type { Random } from "@adagen/core";

export interface Clusters {
  k: number;
  dims: number;
  /** `k × dims` centroids, row-major. */
  centroids: Float64Array;
}

function squaredDistance(data: Float32Array, row: number, centroids: Float64Array, j: number, dims: number): number {
  let s = 0;
  for (let i = 0; i < dims; i++) {
    const d = data[row * dims + i] - centroids[j * dims + i];
    s += d * d;
  }
  return s;
}

/** The index of the nearest centroid for each of `data`'s rows (the lower index on a tie). */
export function nearestCluster(clusters: Clusters, data: Float32Array): Int32Array {
  const { k, dims, centroids } = clusters;
  if (data.length % dims) throw new RangeError(`${data.length} values are not rows of ${dims}`);
  return Int32Array.from({ length: data.length / dims }, (_, r) => {
    let best = 0;
    let bestDistance = Infinity;
    for (let j = 0; j < k; j++) {
      const d = squaredDistance(data, r, centroids, j, dims);
      if (d < bestDistance) [best, bestDistance] = [j, d];
    }
    return best;
  });
}

/**
 * `k` clusters of `data` (`rows × dims`): k-means++ seeding (each next centroid drawn with probability proportional
 * to its squared distance from the nearest one so far), then Lloyd's updates until no row changes cluster or
 * `iterations` passes. A cluster that empties keeps its centroid.
 */
export function kMeans(data: Float32Array, dims: number, k: number, rng: Random, iterations = 50): Clusters {
  const rows = data.length / dims;
  if (!Number.isInteger(rows) || rows < k) throw new RangeError(`k-means with k = ${k} needs at least ${k} rows of ${dims}, got ${data.length / dims}`);
  const centroids = new Float64Array(k * dims);
  const copyRow = (row: number, j: number) => centroids.set(data.subarray(row * dims, (row + 1) * dims), j * dims);
  copyRow(rng.int(rows), 0);
  const nearest = new Float64Array(rows).fill(Infinity);
  for (let j = 1; j < k; j++) {
    let total = 0;
    for (let r = 0; r < rows; r++) total += nearest[r] = Math.min(nearest[r], squaredDistance(data, r, centroids, j - 1, dims));
    let target = rng.uniform() * total;
    let pick = rows - 1;
    for (let r = 0; r < rows; r++) if ((target -= nearest[r]) < 0) { pick = r; break; }
    copyRow(pick, j);
  }
  const clusters: Clusters = { k, dims, centroids };
  let assignment = nearestCluster(clusters, data);
  for (let pass = 0; pass < iterations; pass++) {
    const sums = new Float64Array(k * dims);
    const counts = new Float64Array(k);
    for (let r = 0; r < rows; r++) {
      counts[assignment[r]]++;
      for (let i = 0; i < dims; i++) sums[assignment[r] * dims + i] += data[r * dims + i];
    }
    for (let j = 0; j < k; j++) if (counts[j]) for (let i = 0; i < dims; i++) centroids[j * dims + i] = sums[j * dims + i] / counts[j];
    const next = nearestCluster(clusters, data);
    if (next.every((v, r) => v === assignment[r])) break;
    assignment = next;
  }
  return clusters;
}
