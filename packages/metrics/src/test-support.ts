/**
 * Test helpers shared by the metrics and bench tests (not exported from the package): fixture paths and the
 * hash generator that tooling/metrics/make_fixtures.py uses, reproduced bit-exactly.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseNpy, toFloat64 } from "./npy.js";
import type { FeatureBatch, FeatureStatistics } from "./stats.js";
import { gemmAcc, transpose } from "./linalg.js";

export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

export function fixture(name: string): string {
  return `${FIXTURES}${name}`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const reference: any = JSON.parse(readFileSync(fixture("reference.json"), "utf8"));

/** A 2-D float64 `.npy` fixture as a feature batch. */
export function loadFeatures(name: string): FeatureBatch {
  const arr = parseNpy(readFileSync(fixture(name)));
  return { data: toFloat64(arr), rows: arr.shape[0], dims: arr.shape[1] };
}

/** lowbias32(i · 0x9E3779B9 + seed · 0x85EBCA6B) / 2³² − 0.5, as make_fixtures.py's hash_uniform. */
export function hashUniform(seed: number, count: number): Float64Array {
  const out = new Float64Array(count);
  const base = Math.imul(seed >>> 0, 0x85ebca6b) >>> 0;
  for (let i = 0; i < count; i++) {
    let x = (Math.imul(i, 0x9e3779b9) + base) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d) >>> 0;
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b) >>> 0;
    x ^= x >>> 16;
    out[i] = (x >>> 0) / 2 ** 32 - 0.5;
  }
  return out;
}

/** make_fixtures.py's hash_stats: mu, sigma = U Uᵀ / k (+ diagonal). */
export function hashStats(n: number, k: number, seed: number, diag: boolean): FeatureStatistics {
  const mu = hashUniform(seed, n);
  const U = hashUniform(seed + 1, n * k);
  const Ut = transpose(U, n, k);
  const sigma = new Float64Array(n * n);
  gemmAcc(sigma, n, U, k, Ut, n, n, k, n, { lowerOnly: true });
  const dv = diag ? hashUniform(seed + 2, n) : undefined;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = sigma[i * n + j] / k;
      sigma[i * n + j] = v;
      sigma[j * n + i] = v;
    }
    if (dv) sigma[i * n + i] += 0.01 + 0.1 * (dv[i] + 0.5);
  }
  return { mu, sigma };
}

export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}
