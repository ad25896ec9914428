import { describe, expect, it } from "vitest";
import type { Batch } from "../env.js";
import { Random } from "../random.js";
import { discriminatorNegatives, noisedOrSharpenedReals, noisedReals, sharpenedReals, withNegatives } from "./negatives.js";

/** B images [H,W,1] all at 0.5, so clamping never bites and the noise is read off directly. */
function grey(B: number, H: number, W: number, value = 0.5): Batch {
  return { data: new Float32Array(B * H * W).fill(value), shape: [B, H, W, 1] };
}

/** Per-image std of (out − input). */
function noiseStds(input: Batch, out: Batch): number[] {
  const B = input.shape[0];
  const size = input.data.length / B;
  return Array.from({ length: B }, (_, b) => {
    let [s, s2] = [0, 0];
    for (let i = b * size; i < (b + 1) * size; i++) {
      const d = out.data[i] - input.data[i];
      s += d;
      s2 += d * d;
    }
    return Math.sqrt(s2 / size - (s / size) ** 2);
  });
}

describe("noisedReals", () => {
  it("adds zero-mean noise whose per-image std is its own draw in (0, sigmaMax], spread over that range", () => {
    const input = grey(64, 32, 32);
    const out = noisedReals(input, new Random(1), { sigmaMax: 0.08 });
    expect(out.shape).toEqual(input.shape);
    const stds = noiseStds(input, out);
    // 1024 pixels per image: the sample std is within a few percent of σ; σ itself spreads over (0, 0.08].
    for (const s of stds) expect(s).toBeLessThan(0.08 * 1.1);
    expect(Math.min(...stds)).toBeLessThan(0.02);
    expect(Math.max(...stds)).toBeGreaterThan(0.06);
    const mean = out.data.reduce((a, v) => a + v, 0) / out.data.length;
    expect(mean).toBeCloseTo(0.5, 2);
  });

  it("clamps to [0, 1] as generated images are, and leaves its input alone", () => {
    const input = grey(4, 8, 8, 0);
    const out = noisedReals(input, new Random(2), { sigmaMax: 1 });
    expect(Math.min(...out.data)).toBe(0);
    expect(Math.max(...out.data)).toBeLessThanOrEqual(1);
    expect(out.data.some((v) => v > 0)).toBe(true);
    expect(input.data.every((v) => v === 0)).toBe(true);
  });

  it("draws everything from the generator it is given", () => {
    const input = grey(3, 4, 4);
    expect(noisedReals(input, new Random(9)).data).toEqual(noisedReals(input, new Random(9)).data);
    expect(noisedReals(input, new Random(9)).data).not.toEqual(noisedReals(input, new Random(10)).data);
  });

  it("names the offending value", () => {
    expect(() => noisedReals(grey(1, 2, 2), new Random(0), { sigmaMax: 0 })).toThrow(/sigmaMax must be in \(0, 1\], got 0/);
    expect(() => noisedReals({ data: new Float32Array(4), shape: [1, 4] }, new Random(0))).toThrow(/\[B,H,W,C\], got \[1,4\]/);
  });
});

/** A vertical step edge 0.3 | 0.7 in every image, so a 3×3 unsharp mask has a known effect. */
function edge(B: number, H: number, W: number): Batch {
  const data = new Float32Array(B * H * W);
  for (let b = 0; b < B; b++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[(b * H + y) * W + x] = x < W / 2 ? 0.3 : 0.7;
  return { data, shape: [B, H, W, 1] };
}

describe("sharpenedReals", () => {
  it("leaves flat regions alone and overshoots at edges by amount × (x − box mean), amount in (0, amountMax]", () => {
    const [B, H, W] = [32, 6, 8];
    const input = edge(B, H, W);
    const out = sharpenedReals(input, new Random(3), { amountMax: 1.5 });
    const amounts: number[] = [];
    for (let b = 0; b < B; b++) {
      const at = (x: number) => out.data[(b * H + 2) * W + x];
      expect(at(0)).toBeCloseTo(0.3, 6); // flat: x equals its box mean
      expect(at(W - 1)).toBeCloseTo(0.7, 6);
      // Left of the edge: box mean (6·0.3 + 3·0.7)/9, so x − mean = −0.4/3; the pixel goes down by amount·0.4/3.
      const amount = (0.3 - at(W / 2 - 1)) / (0.4 / 3);
      expect(at(W / 2)).toBeCloseTo(0.7 + (amount * 0.4) / 3, 5); // and the right side up by the same
      amounts.push(amount);
    }
    expect(Math.min(...amounts)).toBeGreaterThan(0);
    expect(Math.max(...amounts)).toBeLessThanOrEqual(1.5 + 1e-5);
    expect(Math.max(...amounts) - Math.min(...amounts)).toBeGreaterThan(0.75); // its own draw per image
  });

  it("clamps to [0, 1], leaves its input alone, draws from its generator and names a bad amount", () => {
    const input = edge(2, 4, 4);
    const copy = Float32Array.from(input.data);
    const out = sharpenedReals(input, new Random(1), { amountMax: 10 });
    expect(Math.min(...out.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out.data)).toBeLessThanOrEqual(1);
    expect(input.data).toEqual(copy);
    expect(sharpenedReals(input, new Random(4)).data).toEqual(sharpenedReals(input, new Random(4)).data);
    expect(() => sharpenedReals(input, new Random(0), { amountMax: -1 })).toThrow(/amountMax must be in \(0, 10\], got -1/);
  });
});

describe("noisedOrSharpenedReals and the named negatives", () => {
  it("corrupts some images with noise (flat regions change) and the others by sharpening (flat regions kept)", () => {
    const [B, H, W] = [40, 6, 8];
    const out = noisedOrSharpenedReals(edge(B, H, W), new Random(8));
    let sharpened = 0;
    for (let b = 0; b < B; b++) if (Math.abs(out.data[(b * H + 2) * W] - 0.3) < 1e-6 && Math.abs(out.data[(b * H + 3) * W] - 0.3) < 1e-6) sharpened++;
    expect(sharpened).toBeGreaterThan(8);
    expect(sharpened).toBeLessThan(32);
  });

  it("names each kind's corruption, none for none", () => {
    expect(discriminatorNegatives("none")).toBeUndefined();
    for (const kind of ["noise", "sharpen", "noise-sharpen"] as const) expect(discriminatorNegatives(kind)?.fraction).toBe(0.5);
    const input = edge(2, 4, 4);
    expect(discriminatorNegatives("sharpen")!.corrupt(input, new Random(2)).data).toEqual(sharpenedReals(input, new Random(2)).data);
  });
});

describe("withNegatives", () => {
  it("appends the negatives after the fakes, images and labels in the same order", () => {
    const fakes = { samples: grey(2, 2, 2, 0.25), labels: Int32Array.from([3, 4]) };
    const negatives = { samples: grey(1, 2, 2, 0.75), labels: Int32Array.from([7]) };
    const both = withNegatives(fakes, negatives);
    expect(both.samples.shape).toEqual([3, 2, 2, 1]);
    expect(Array.from(both.labels)).toEqual([3, 4, 7]);
    expect(Array.from(both.samples.data.subarray(0, 8)).every((v) => v === 0.25)).toBe(true);
    expect(Array.from(both.samples.data.subarray(8)).every((v) => v === 0.75)).toBe(true);
  });

  it("refuses negatives of another image shape", () => {
    const fakes = { samples: grey(1, 2, 2), labels: Int32Array.from([0]) };
    expect(() => withNegatives(fakes, { samples: grey(1, 3, 3), labels: Int32Array.from([0]) })).toThrow(/do not match/);
  });
});
