/**
 * `pnpm bench:fid-speed`: time a 2048-dimensional Fréchet distance here and, when Debian's python3 with scipy
 * is installed, pytorch-fid's formula (scipy.linalg.sqrtm) on the same statistics. Prints one JSON line:
 *
 *   {"dims":2048,"seconds":…,"fid":…,"scipySeconds":…,"scipyFid":…,"relDiff":…,"speedupVsScipy":…}
 *
 * (scipy fields are null with "scipy": "<reason>" when it cannot run). The statistics are full-rank covariances
 * Σ = U Uᵀ / k + D built from a seeded hash generator (k = 512).
 *
 * Options: --dims N (default 2048), --python PATH (default /usr/bin/python3).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { frechetDistance, gemmAcc, writeStatistics, type FeatureStatistics } from "@adagen/metrics";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** Uniform in [-0.5, 0.5) from a 32-bit integer hash of (seed, index). */
function hashUniform(seed: number, count: number): Float64Array {
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

function makeStats(n: number, k: number, seed: number): FeatureStatistics {
  const U = hashUniform(seed + 1, n * k);
  const Ut = new Float64Array(k * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) Ut[j * n + i] = U[i * k + j];
  const sigma = new Float64Array(n * n);
  gemmAcc(sigma, n, U, k, Ut, n, n, k, n, { lowerOnly: true });
  const d = hashUniform(seed + 2, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      sigma[i * n + j] /= k;
      sigma[j * n + i] = sigma[i * n + j];
    }
    sigma[i * n + i] = sigma[i * n + i] / k + 0.01 + 0.1 * (d[i] + 0.5);
  }
  return { mu: hashUniform(seed, n), sigma };
}

const SCIPY = `
import json, sys, time
import numpy as np
from scipy import linalg
a = np.load(sys.argv[1]); b = np.load(sys.argv[2])
mu1, sigma1, mu2, sigma2 = a["mu"], a["sigma"], b["mu"], b["sigma"]
t = time.perf_counter()
# pytorch_fid.fid_score.calculate_frechet_distance
diff = mu1 - mu2
covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
if not np.isfinite(covmean).all():
    offset = np.eye(sigma1.shape[0]) * 1e-6
    covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
if np.iscomplexobj(covmean):
    covmean = covmean.real
fid = diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)
print(json.dumps({"seconds": time.perf_counter() - t, "fid": float(fid)}))
`;

const n = Number(arg("--dims", "2048"));
const python = arg("--python", "/usr/bin/python3");
const a = makeStats(n, 512, 101);
const b = makeStats(n, 512, 202);
const t0 = performance.now();
const r = frechetDistance(a, b);
const seconds = (performance.now() - t0) / 1000;

const result: Record<string, unknown> = { dims: n, seconds: +seconds.toFixed(3), fid: r.fid };
const dir = mkdtempSync(join(tmpdir(), "fid-speed-"));
try {
  writeStatistics(join(dir, "a.npz"), a);
  writeStatistics(join(dir, "b.npz"), b);
  const p = spawnSync(python, ["-c", SCIPY, join(dir, "a.npz"), join(dir, "b.npz")], { encoding: "utf8" });
  if (p.status === 0) {
    const s = JSON.parse(p.stdout.trim().split("\n").pop() as string) as { seconds: number; fid: number };
    Object.assign(result, {
      scipySeconds: +s.seconds.toFixed(3),
      scipyFid: s.fid,
      relDiff: Math.abs(r.fid - s.fid) / Math.abs(s.fid),
      speedupVsScipy: +(s.seconds / seconds).toFixed(3),
    });
  } else {
    const why = p.error ? p.error.message : (p.stderr.trim().split("\n").pop() ?? `exit ${p.status}`);
    Object.assign(result, { scipySeconds: null, scipyFid: null, relDiff: null, speedupVsScipy: null, scipy: why });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(result) + "\n");
