import { describe, expect, it } from "vitest";
import { featureStatistics } from "@adagen/metrics";
import { classSums, descendAssignment, ownBest, unionStatistics } from "../tooling/bench/class-union.js";

describe("the class oracle's arithmetic (bench:class-oracle)", () => {
  it("the union of per-class sums has the statistics of the rows themselves", () => {
    const dims = 3;
    const labels = Int32Array.from([2, 0, 1, 2, 2, 0, 1, 1, 0, 2]);
    // A fixed, uneven feature table (offset so that the mean is far from 0, as extractor features are).
    const data = Float32Array.from({ length: labels.length * dims }, (_, i) => 5 + Math.sin(1.7 * i) * (1 + (i % 4)));
    const parts = classSums({ data, dims }, labels, 3);
    expect(parts.map((p) => p.count)).toEqual([3, 3, 4]);
    const union = unionStatistics(parts);
    const direct = featureStatistics({ data, rows: labels.length, dims });
    for (let i = 0; i < dims; i++) expect(union.mu[i]).toBeCloseTo(direct.mu[i], 10);
    for (let i = 0; i < dims * dims; i++) expect(union.sigma[i]).toBeCloseTo(direct.sigma[i], 9);
    // Classes 0 and 2 only: the rows with those labels.
    const rows = [...labels.keys()].filter((r) => labels[r] !== 1);
    const subset = Float32Array.from(rows.flatMap((r) => Array.from(data.subarray(r * dims, (r + 1) * dims))));
    const both = featureStatistics({ data: subset, rows: rows.length, dims });
    const fromSums = unionStatistics([parts[0], parts[2]]);
    for (let i = 0; i < dims * dims; i++) expect(fromSums.sigma[i]).toBeCloseTo(both.sigma[i], 9);
  });

  it("refuses labels outside the classes and a union of one row", () => {
    expect(() => classSums({ data: new Float32Array(4), dims: 2 }, Int32Array.from([0, 3]), 2)).toThrow(/label 3 at row 1/);
    expect(() => unionStatistics(classSums({ data: new Float32Array(2), dims: 2 }, Int32Array.from([0]), 1))).toThrow(/at least 2 rows/);
  });

  it("coordinate descent finds each class's own best under a separable cost and keeps 0 where nothing beats it", () => {
    // cost = Σ_c table[c][k_c]: class 0 prefers candidate 2, class 1 candidate 0 (the start), class 2 candidate 1.
    const table = [
      [3, 2, 1],
      [0, 1, 2],
      [5, 4, 6],
    ];
    const cost = (a: readonly number[]) => a.reduce((s, k, c) => s + table[c][k], 0);
    expect(descendAssignment(3, 3, cost, 2)).toEqual({ assignment: [2, 0, 1], cost: 1 + 0 + 4 });
    // A cost no move improves: the all-zero start stands.
    expect(descendAssignment(3, 3, (a) => a.filter((k) => k !== 0).length, 3)).toEqual({ assignment: [0, 0, 0], cost: 0 });
  });

  it("a second sweep takes a move that the first made worthwhile (an interaction between classes)", () => {
    // Class 0 moving to 1 pays only once class 1 has moved to 1; class 0 is visited first.
    const cost = (a: readonly number[]) => (a[0] === 1 && a[1] === 1 ? 0 : a[1] === 1 ? 1 : a[0] === 1 ? 3 : 2);
    expect(descendAssignment(2, 2, cost, 1)).toEqual({ assignment: [0, 1], cost: 1 });
    expect(descendAssignment(2, 2, cost, 2)).toEqual({ assignment: [1, 1], cost: 0 });
  });

  it("a separable cost gives each class its own lowest, candidate 0 on a tie", () => {
    const table = [
      [2, 1, 1],
      [0, 0, 3],
      [4, 5, 3],
    ];
    expect(ownBest(3, 3, (c, k) => table[c][k])).toEqual([1, 0, 2]);
    // The descent over the summed cost agrees with it where the cost separates.
    expect(descendAssignment(3, 3, (a) => a.reduce((s, k, c) => s + table[c][k], 0), 2).assignment).toEqual([1, 0, 2]);
  });
});
