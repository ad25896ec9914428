import { describe, expect, it } from "vitest";
import { imagesToFloat, loadFashionMnist } from "./idx.js";

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
