import { describe, expect, it } from "vitest";
import { statesToImages } from "./states-to-images.js";

describe("statesToImages", () => {
  it("maps [-1,1] to [0,1] with clamping and moves channels last", () => {
    // [B=1, C=2, H=1, W=3]: channel 0 then channel 1.
    const states = { data: Float32Array.of(-1, 0, 1, -3, 0.5, 2), shape: [1, 2, 1, 3] };
    const images = statesToImages(states);
    expect(images.shape).toEqual([1, 1, 3, 2]);
    // Pixel p holds (channel 0, channel 1).
    expect(Array.from(images.data)).toEqual([0, 0, 0.5, 0.75, 1, 1]);
  });

  it("keeps batch order for single-channel images", () => {
    const states = { data: Float32Array.of(-1, -1, -1, -1, 1, 1, 1, 1), shape: [2, 1, 2, 2] };
    const images = statesToImages(states);
    expect(images.shape).toEqual([2, 2, 2, 1]);
    expect(Array.from(images.data)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
  });

  it("rejects states that are not [B,C,H,W]", () => {
    expect(() => statesToImages({ data: new Float32Array(4), shape: [2, 2] })).toThrow(/expected states of shape \[B,C,H,W\], got \[2,2\]/);
    expect(() => statesToImages({ data: new Float32Array(3), shape: [1, 1, 2, 2] })).toThrow(/need 4 values, got 3/);
  });
});
