import { describe, expect, it } from "vitest";
import { Random } from "@adagen/core";
import { kMeans, nearestCluster } from "../tooling/bench/clusters.js";

describe("k-means for the cluster oracle (bench:cluster-oracle)", () => {
  // Three tight blobs in 2-d, far apart, rows interleaved so that no order gives them away.
  const centres = [
    [0, 0],
    [10, 0],
    [0, 10],
  ];
  const rng = new Random(3);
  const truth = Int32Array.from({ length: 60 }, (_, r) => r % 3);
  const data = Float32Array.from(Array.from(truth).flatMap((c) => centres[c].map((v) => v + (rng.uniform() - 0.5))));

  it("recovers well-separated blobs: every row shares its cluster with exactly its own blob", () => {
    const clusters = kMeans(data, 2, 3, new Random(7));
    const found = nearestCluster(clusters, data);
    for (let a = 0; a < truth.length; a++) for (let b = 0; b < truth.length; b++) expect(found[a] === found[b]).toBe(truth[a] === truth[b]);
    // Each centroid is its blob's mean (within the ±0.5 jitter).
    for (let j = 0; j < 3; j++) {
      const centroid = Array.from(clusters.centroids.subarray(j * 2, j * 2 + 2));
      expect(centres.some((c) => Math.abs(c[0] - centroid[0]) < 0.5 && Math.abs(c[1] - centroid[1]) < 0.5)).toBe(true);
    }
  });

  it("assigns new rows to the nearest centroid, and the same seed gives the same clusters", () => {
    const clusters = kMeans(data, 2, 3, new Random(7));
    const again = kMeans(data, 2, 3, new Random(7));
    expect(Array.from(again.centroids)).toEqual(Array.from(clusters.centroids));
    const near = nearestCluster(clusters, Float32Array.from([9, 1, 1, 9, 0.5, -0.5]));
    const own = nearestCluster(clusters, Float32Array.from([10, 0, 0, 10, 0, 0]));
    expect(Array.from(near)).toEqual(Array.from(own));
  });

  it("refuses fewer rows than clusters, naming both", () => {
    expect(() => kMeans(new Float32Array(4), 2, 3, new Random(1))).toThrow(/k = 3 needs at least 3 rows of 2, got 2/);
    expect(() => nearestCluster({ k: 1, dims: 2, centroids: new Float64Array(2) }, new Float32Array(3))).toThrow(/3 values are not rows of 2/);
  });
});
