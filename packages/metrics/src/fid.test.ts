import { describe, expect, it } from "vitest";
import { frechetDistance } from "./fid.js";
import { StatisticsAccumulator, featureStatistics } from "./stats.js";
import { readStatistics } from "./stats-file.js";
import { MetricsInputError } from "./errors.js";
import { fixture, hashStats, loadFeatures, reference, relErr } from "./test-support.js";

describe("feature statistics", () => {
  it("matches np.mean / np.cov", () => {
    const s = featureStatistics(loadFeatures("feats_a.npy"));
    const r = reference.stats64.feats_a;
    expect(relErr(s.mu[0], r.mu0)).toBeLessThan(1e-12);
    expect(relErr(s.sigma[1], r.sigma01)).toBeLessThan(1e-10);
    let tr = 0;
    for (let i = 0; i < 64; i++) tr += s.sigma[i * 64 + i];
    expect(relErr(tr, r.sigma_trace)).toBeLessThan(1e-12);
  });

  it("equals the statistics file written by numpy", () => {
    const s = featureStatistics(loadFeatures("feats_b.npy"));
    const f = readStatistics(fixture("stats_b.npz"));
    let maxErr = 0;
    for (let i = 0; i < f.sigma.length; i++) maxErr = Math.max(maxErr, Math.abs(s.sigma[i] - f.sigma[i]));
    expect(maxErr).toBeLessThan(1e-12);
  });

  it("streams: batches across internal flushes equal the two-pass formula", () => {
    const rows = 1100;
    const dims = 8;
    const data = Float64Array.from({ length: rows * dims }, (_, i) => Math.sin(i * 0.37) * 3 + (i % dims) * 100);
    const acc = new StatisticsAccumulator(dims);
    for (let r = 0; r < rows; r += 97) {
      const end = Math.min(rows, r + 97);
      acc.add({ data: data.subarray(r * dims, end * dims), rows: end - r, dims });
    }
    const s = acc.finalize();
    expect(s.count).toBe(rows);
    const mu = new Float64Array(dims);
    for (let i = 0; i < rows; i++) for (let j = 0; j < dims; j++) mu[j] += data[i * dims + j] / rows;
    for (let a = 0; a < dims; a++) {
      expect(Math.abs(s.mu[a] - mu[a])).toBeLessThan(1e-10);
      for (let b = 0; b < dims; b++) {
        let c = 0;
        for (let i = 0; i < rows; i++) c += (data[i * dims + a] - mu[a]) * (data[i * dims + b] - mu[b]);
        expect(Math.abs(s.sigma[a * dims + b] - c / (rows - 1))).toBeLessThan(1e-10);
      }
    }
  });

  it("refuses fewer than 2 samples and non-finite features", () => {
    expect(() => featureStatistics({ data: new Float64Array(4), rows: 1, dims: 4 })).toThrow(/at least 2 samples/);
    const bad = new Float64Array(8);
    bad[5] = Number.NaN;
    expect(() => featureStatistics({ data: bad, rows: 2, dims: 4 })).toThrow(/non-finite feature NaN at sample 1, dimension 1/);
  });
});

describe("Fréchet distance vs scipy (pytorch-fid formula)", () => {
  const stats64 = Object.fromEntries(
    ["feats_a", "feats_b", "feats_c", "feats_d"].map((n) => [n, featureStatistics(loadFeatures(`${n}.npy`))]),
  );
  for (const pair of ["feats_a:feats_b", "feats_c:feats_d", "feats_a:feats_c"]) {
    it(`64 dims, ${pair}`, () => {
      const [a, b] = pair.split(":");
      const r = frechetDistance(stats64[a], stats64[b]);
      const want = reference.fid64[pair];
      expect(want.offset).toBe(false);
      expect(relErr(r.fid, want.scipy)).toBeLessThan(1e-6);
      expect(relErr(r.fid, want.eigh)).toBeLessThan(1e-6);
    });
  }

  it("ill-conditioned statistics files (cond ~1e8): within 1e-10 of the exact value (mpmath), closer than scipy", () => {
    const a = readStatistics(fixture("stats_a.npz"));
    const b = readStatistics(fixture("stats_b.npz"));
    const exact = reference.fid64_exact["feats_a:feats_b"];
    const err = relErr(frechetDistance(a, b).fid, exact);
    console.log(`FID 64 ill-conditioned: rel error ${err.toExponential(2)} (scipy sqrtm: ${relErr(reference.fid64["feats_a:feats_b"].scipy, exact).toExponential(2)})`);
    expect(err).toBeLessThan(1e-10);
    // Rank-deficient Σ (rank 39 of 64): the float64 inputs fix the FID only to ~1e-8 (the square roots of
    // rounding-level eigenvalues); every float64 method lands there.
    const c = readStatistics(fixture("stats_c.npz"));
    expect(relErr(frechetDistance(a, c).fid, reference.fid64_exact["feats_a:feats_c"])).toBeLessThan(1e-6);
  });

  it("64 dims, rank-deficient (40 and 30 samples): the rank is found", () => {
    expect(frechetDistance(stats64.feats_c, stats64.feats_d).rank1).toBe(39);
  });

  for (const label of ["full", "rank_deficient"]) {
    it(`2048 dims, ${label}`, () => {
      const want = reference.fid2048[label];
      const a = hashStats(2048, want.k, want.seeds[0], want.diag);
      const b = hashStats(2048, want.k, want.seeds[1], want.diag);
      const r = frechetDistance(a, b);
      const err = relErr(r.fid, want.scipy);
      console.log(`FID 2048 ${label}: ${r.fid} vs scipy ${want.scipy} (rel ${err.toExponential(2)}), rank ${r.rank1}`);
      expect(err).toBeLessThan(1e-6);
      if (label === "rank_deficient") {
        expect(r.rank1).toBe(want.k);
        // The truncated pivoted Cholesky recovers the exact rank-k answer; scipy's sqrtm is ~1e-8 off it.
        const exactErr = relErr(r.fid, want.exact_low_rank);
        console.log(`FID 2048 rank_deficient vs exact low-rank value: rel ${exactErr.toExponential(2)} (scipy ${relErr(want.scipy, want.exact_low_rank).toExponential(2)})`);
        expect(exactErr).toBeLessThan(1e-10);
      }
    });
  }

  it("is zero for identical statistics", () => {
    const r = frechetDistance(stats64.feats_a, stats64.feats_a);
    // Rounding only: the square roots of ~1e-16-relative eigenvalue errors.
    expect(Math.abs(r.fid) / r.traceSqrt).toBeLessThan(1e-8);
  });

  it("rejects mismatched dimensions, non-finite, asymmetric and indefinite input", () => {
    const s = stats64.feats_a;
    const small = { mu: s.mu.subarray(0, 8), sigma: new Float64Array(64) };
    expect(() => frechetDistance(s, small)).toThrow(MetricsInputError);
    expect(() => frechetDistance(s, small)).toThrow(/dimensions differ: 64 vs 8/);
    const nan = { mu: Float64Array.from(s.mu), sigma: s.sigma };
    nan.mu[3] = Number.POSITIVE_INFINITY;
    expect(() => frechetDistance(s, nan)).toThrow(/statistics 2: mu\[3\] is Infinity/);
    const asym = { mu: s.mu, sigma: Float64Array.from(s.sigma) };
    asym.sigma[1] += 1;
    expect(() => frechetDistance(asym, s)).toThrow(/not symmetric/);
    const indef = { mu: s.mu, sigma: Float64Array.from(s.sigma) };
    for (let i = 0; i < 64; i++) indef.sigma[i * 64 + i] -= 2; // far below zero in some directions
    expect(() => frechetDistance(s, indef)).toThrow(/negative eigenvalues|not a covariance/);
  });
});
