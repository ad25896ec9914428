import { Random } from "../random.js";
import { describe, expect, it } from "vitest";
import { ImageRealData } from "./image-real-data.js";

// Three 2×2 grayscale "images": image i has every pixel 100·i and label 5+i.
const images = Uint8Array.from({ length: 12 }, (_, p) => 100 * Math.floor(p / 4));
const labels = Uint8Array.of(5, 6, 7);

describe("ImageRealData", () => {
  it("samples [count,H,W,C] images in [0,1] with their own labels", () => {
    const source = new ImageRealData({ images, labels }, [2, 2, 1]);
    expect(source.count).toBe(3);
    const { samples, labels: got } = source.sample(16, new Random(3));
    expect(samples.shape).toEqual([16, 2, 2, 1]);
    for (let b = 0; b < 16; b++) {
      const i = got[b] - 5;
      expect(i).toBeGreaterThanOrEqual(0);
      expect(Array.from(samples.data.subarray(b * 4, b * 4 + 4))).toEqual(new Array(4).fill(Math.fround((100 * i) / 255)));
    }
    expect(new Set(got).size).toBe(3);
  });

  it("is reproducible from the seed", () => {
    const source = new ImageRealData({ images, labels }, [2, 2, 1]);
    const a = source.sample(8, new Random(9));
    const b = source.sample(8, new Random(9));
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(Array.from(a.samples.data)).toEqual(Array.from(b.samples.data));
  });

  it("rejects inconsistent data and counts", () => {
    expect(() => new ImageRealData({ images: new Uint8Array(10), labels }, [2, 2, 1])).toThrow(/10 pixels are not a whole number of \[2,2,1\] images/);
    expect(() => new ImageRealData({ images, labels: Uint8Array.of(1) }, [2, 2, 1])).toThrow(/expected 3 labels \(one per image\), got 1/);
    expect(() => new ImageRealData({ images, labels }, [2, 2, 1]).sample(0, new Random(1))).toThrow(/count must be a positive integer, got 0/);
  });
});
