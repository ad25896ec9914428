/**
 * pytorch-fid statistics files: an `.npz` with `mu` (d,) and `sigma` (d, d), float64 (float32 accepted).
 */
import { MetricsInputError } from "./errors.js";
import { readNpz, writeNpz } from "./npz.js";
import { type NpyArray, toFloat64 } from "./npy.js";
import type { FeatureStatistics } from "./stats.js";

/** Statistics from parsed npz arrays; `label` names the file in errors. */
export function statisticsFromArrays(arrays: Map<string, NpyArray>, label?: string): FeatureStatistics {
  const mu = arrays.get("mu");
  const sigma = arrays.get("sigma");
  if (mu === undefined || sigma === undefined) {
    throw new MetricsInputError(`not a statistics file: needs arrays 'mu' and 'sigma', has ${[...arrays.keys()].join(", ") || "none"}`, label);
  }
  for (const [a, name] of [
    [mu, "mu"],
    [sigma, "sigma"],
  ] as const) {
    if (a.dtype !== "float64" && a.dtype !== "float32") {
      throw new MetricsInputError(`'${name}' has dtype ${a.dtype}, expected float64 or float32`, label);
    }
  }
  if (mu.shape.length !== 1) throw new MetricsInputError(`'mu' has shape (${mu.shape.join(", ")}), expected (d,)`, label);
  const d = mu.shape[0];
  if (sigma.shape.length !== 2 || sigma.shape[0] !== d || sigma.shape[1] !== d) {
    throw new MetricsInputError(`'sigma' has shape (${sigma.shape.join(", ")}), expected (${d}, ${d}) to match 'mu'`, label);
  }
  const out: FeatureStatistics = { mu: toFloat64(mu), sigma: toFloat64(sigma) };
  const count = arrays.get("count");
  if (count !== undefined && count.data.length === 1) out.count = Number(count.data[0]);
  return out;
}

/** Read a pytorch-fid statistics file. */
export function readStatistics(path: string): FeatureStatistics {
  return statisticsFromArrays(readNpz(path), path);
}

/**
 * Write statistics as a pytorch-fid `.npz` (`mu`, `sigma` float64; plus `count` int64 when known, which
 * pytorch-fid ignores). Written atomically.
 */
export function writeStatistics(path: string, stats: FeatureStatistics, opts: { compress?: boolean } = {}): void {
  const d = stats.mu.length;
  const arrays: Record<string, NpyArray> = {
    mu: { dtype: "float64", shape: [d], data: stats.mu },
    sigma: { dtype: "float64", shape: [d, d], data: stats.sigma },
  };
  if (stats.count !== undefined) arrays.count = { dtype: "int64", shape: [], data: BigInt64Array.of(BigInt(stats.count)) };
  writeNpz(path, arrays, opts);
}
