import { Random } from "@adagen/core";
import { describe, expect, it } from "vitest";
import { classConditionalSlicedWasserstein2, slicedWasserstein2 } from "./sliced-wasserstein.js";

describe("slicedWasserstein2", () => {
  const rng = new Random(1);
  const n = 2000;
  const d = 4;
  const a = rng.fillNormal(new Float64Array(n * d));

  it("is zero between a set and a permutation of itself", () => {
    const perm = new Float64Array(n * d);
    const order = Int32Array.from({ length: n }, (_, i) => i);
    rng.shuffle(order);
    order.forEach((src, i) => perm.set(a.subarray(src * d, src * d + d), i * d));
    expect(slicedWasserstein2(a, perm, d)).toBeLessThan(1e-12);
  });

  it("equals |m|/sqrt(d) for a translation by m (E[(u·m)²] = |m|²/d over unit directions)", () => {
    const m = [1, -2, 0.5, 0];
    const b = a.map((v, i) => v + m[i % d]);
    const norm = Math.hypot(...m);
    expect(slicedWasserstein2(a, b, d, { projections: 2000, seed: 3 })).toBeCloseTo(norm / Math.sqrt(d), 1);
  });

  it("is deterministic per seed and rejects unequal sizes", () => {
    const b = rng.fillNormal(new Float64Array(n * d), 0.3, 1.2);
    expect(slicedWasserstein2(a, b, d, { seed: 5 })).toBe(slicedWasserstein2(a, b, d, { seed: 5 }));
    expect(slicedWasserstein2(a, b, d, { seed: 5 })).toBeGreaterThan(0.1);
    expect(() => slicedWasserstein2(a, b.subarray(d), d)).toThrow(/equal size/);
  });
});

describe("classConditionalSlicedWasserstein2", () => {
  it("averages the per-class distances", () => {
    // Class 0 identical, class 1 shifted by (3, 0): per-class SW2 are 0 and 3/sqrt(2).
    const a = Float64Array.from([0, 0, 1, 1, 5, 5, 6, 6]);
    const b = Float64Array.from([1, 1, 0, 0, 8, 5, 9, 6]);
    const labels = Int32Array.from([0, 0, 1, 1]);
    const got = classConditionalSlicedWasserstein2(a, labels, b, labels, 2, { projections: 4000 });
    expect(got).toBeCloseTo(3 / Math.sqrt(2) / 2, 1);
    expect(() => classConditionalSlicedWasserstein2(a, labels, b, Int32Array.from([0, 1, 1, 1]), 2)).toThrow(/class 0/);
  });
});
