import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeIdx, imagesToFloat, loadFashionMnist } from "./idx.js";

function idxBytes(shape: number[], data: number[]): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  header.set([0, 0, 0x08, shape.length]);
  const view = new DataView(header.buffer);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

describe("decodeIdx", () => {
  it("reads shape and data of a raw and a gzipped file", () => {
    const raw = idxBytes([2, 3], [1, 2, 3, 4, 5, 6]);
    for (const bytes of [raw, new Uint8Array(gzipSync(raw))]) {
      const arr = decodeIdx(bytes);
      expect(arr.shape).toEqual([2, 3]);
      expect(Array.from(arr.data)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it("rejects a wrong magic, a wrong type and a truncated body", () => {
    const bad = idxBytes([2], [1, 2]);
    bad[0] = 1;
    expect(() => decodeIdx(bad)).toThrow(/magic 00 00/);
    const float = idxBytes([2], [1, 2]);
    float[2] = 0x0d;
    expect(() => decodeIdx(float)).toThrow(/unsigned byte/);
    expect(() => decodeIdx(idxBytes([3], [1, 2]))).toThrow(/needs 3 data bytes, got 2/);
  });
});

describe("loadFashionMnist", () => {
  it("loads the shipped test split: 10,000 images, 1,000 per class", () => {
    const test = loadFashionMnist("test");
    expect(test.count).toBe(10000);
    expect(test.images.length).toBe(10000 * 28 * 28);
    const perClass = new Array(10).fill(0);
    for (const l of test.labels) perClass[l]++;
    expect(perClass).toEqual(new Array(10).fill(1000));
    expect(Array.from(test.labels.subarray(0, 5))).toEqual([9, 2, 1, 1, 6]);
    // Pixel sum of the first test image, as read by numpy from the same file.
    expect(test.images.subarray(0, 784).reduce((a, b) => a + b, 0)).toBe(TEST0_SUM);
  });

  it("loads the shipped training split: 60,000 images", () => {
    const train = loadFashionMnist("train");
    expect(train.count).toBe(60000);
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([9, 0, 0, 3, 0]);
  });

  it("converts to [0,1] and [-1,1]", () => {
    const img = new Uint8Array(2 * 784);
    img[784] = 255;
    expect(imagesToFloat(img, { start: 1, count: 1 })[0]).toBe(1);
    expect(imagesToFloat(img, { start: 1, count: 1, range: "pm1" })[1]).toBe(-1);
    expect(imagesToFloat(img).length).toBe(2 * 784);
    expect(() => imagesToFloat(img, { start: 1, count: 2 })).toThrow(/only 2 available/);
  });
});

const TEST0_SUM = 33456;
