import { describe, expect, it } from "vitest";
import { ScaleLayout, bicubicMatrix, resizeTokenGrid } from "./scales.js";

describe("ScaleLayout", () => {
  it("concatenates the scales row-major: var-tiny's offsets", () => {
    const layout = new ScaleLayout([1, 2, 3, 4, 5, 7]);
    expect(layout.offsets).toEqual([0, 1, 5, 14, 30, 55, 104]);
    expect(layout.tokens).toBe(104);
    expect(layout.size(5)).toBe(49);
    expect(() => new ScaleLayout([1, 0])).toThrow(/positive integers, got \[1,0\]/);
  });
});

describe("bicubicMatrix", () => {
  it("keeps constants (rows sum to 1), is the identity at equal sizes, and spreads one token everywhere", () => {
    for (const [from, to] of [[2, 7], [3, 7], [5, 7], [7, 7], [7, 3]]) {
      const m = bicubicMatrix(from, to);
      for (let i = 0; i < to; i++) expect(m.subarray(i * from, (i + 1) * from).reduce((a, b) => a + b)).toBeCloseTo(1, 12);
    }
    const id = bicubicMatrix(7, 7);
    for (let i = 0; i < 7; i++) for (let j = 0; j < 7; j++) expect(id[i * 7 + j]).toBeCloseTo(i === j ? 1 : 0, 12);
    for (const v of bicubicMatrix(1, 7)) expect(v).toBeCloseTo(1, 12);
  });

  it("reproduces a linear ramp where no tap reaches the border (cubic convolution is exact on lines)", () => {
    const from = 4;
    const to = 7;
    const m = bicubicMatrix(from, to);
    for (let i = 0; i < to; i++) {
      const src = ((i + 0.5) * from) / to - 0.5;
      if (Math.floor(src) - 1 < 0 || Math.floor(src) + 2 > from - 1) continue;
      let v = 0;
      for (let j = 0; j < from; j++) v += m[i * from + j] * (3 * j + 1);
      expect(v).toBeCloseTo(3 * src + 1, 12);
    }
  });
});

describe("resizeTokenGrid", () => {
  it("picks the scale's rows out of the prefix and resizes each feature channel separably", () => {
    // Two samples, a prefix of 1 + 4 rows (scales 1 and 2), width 2; scale 1's rows hold x + 10·y (+100 for channel 1).
    const D = 2;
    const prefix = 5;
    const features = new Float32Array(2 * prefix * D).fill(-999);
    for (let b = 0; b < 2; b++)
      for (let y = 0; y < 2; y++)
        for (let x = 0; x < 2; x++)
          for (let d = 0; d < D; d++) features[(b * prefix + 1 + y * 2 + x) * D + d] = x + 10 * y + 100 * d + b;
    const out = resizeTokenGrid(features, 2, D, { side: 2, rowsPerSample: prefix, rowOffset: 1 }, 3);
    const w = bicubicMatrix(2, 3);
    for (let b = 0; b < 2; b++)
      for (let gy = 0; gy < 3; gy++)
        for (let gx = 0; gx < 3; gx++)
          for (let d = 0; d < D; d++) {
            let want = 0;
            for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) want += w[gy * 2 + y] * w[gx * 2 + x] * (x + 10 * y + 100 * d + b);
            expect(out[((b * 3 + gy) * 3 + gx) * D + d]).toBeCloseTo(want, 3);
          }
  });
});
