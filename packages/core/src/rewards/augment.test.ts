import { describe, expect, it } from "vitest";
import type { Batch } from "../env.js";
import { Random } from "../random.js";
import { translateCutout } from "./augment.js";

/** B images [H,W,1] with pixel (y, x) of image b = (b·1000 + y·W + x + 1) / 1e5: every pixel distinct and > 0. */
function ramp(B: number, H: number, W: number): Batch {
  const data = new Float32Array(B * H * W);
  for (let i = 0; i < data.length; i++) data[i] = (Math.floor(i / (H * W)) * 1000 + (i % (H * W)) + 1) / 1e5;
  return { data, shape: [B, H, W, 1] };
}

describe("translateCutout", () => {
  it("shifts each image by an integer offset within ±translate·side, filling the border with 0", () => {
    const [B, H, W] = [16, 8, 8];
    const input = ramp(B, H, W);
    const out = translateCutout({ translate: 0.25, cutout: 0 })(input, new Random(3));
    expect(out.shape).toEqual(input.shape);
    const shifts = new Set<string>();
    for (let b = 0; b < B; b++) {
      const img = out.data.subarray(b * H * W, (b + 1) * H * W);
      // Recover the shift from any surviving pixel and check every pixel against it.
      const k = img.findIndex((v) => v > 0);
      const src = Math.round(img[k] * 1e5) - 1 - b * 1000;
      const [dy, dx] = [Math.floor(k / W) - Math.floor(src / W), (k % W) - (src % W)];
      expect(Math.abs(dy)).toBeLessThanOrEqual(2);
      expect(Math.abs(dx)).toBeLessThanOrEqual(2);
      shifts.add(`${dy},${dx}`);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const [sy, sx] = [y - dy, x - dx];
          const want = sy < 0 || sy >= H || sx < 0 || sx >= W ? 0 : input.data[b * H * W + sy * W + sx];
          expect(img[y * W + x]).toBe(want);
        }
    }
    expect(shifts.size).toBeGreaterThan(3);
  });

  it("zeroes one cutout·side square per image and keeps every other pixel", () => {
    const [B, H, W] = [6, 10, 10];
    const input = ramp(B, H, W);
    const out = translateCutout({ translate: 0, cutout: 0.3 })(input, new Random(5));
    for (let b = 0; b < B; b++) {
      const zeros: [number, number][] = [];
      for (let i = 0; i < H * W; i++) {
        const v = out.data[b * H * W + i];
        if (v === 0) zeros.push([Math.floor(i / W), i % W]);
        else expect(v).toBe(input.data[b * H * W + i]);
      }
      expect(zeros).toHaveLength(9);
      const ys = zeros.map(([y]) => y);
      const xs = zeros.map(([, x]) => x);
      expect(Math.max(...ys) - Math.min(...ys)).toBe(2);
      expect(Math.max(...xs) - Math.min(...xs)).toBe(2);
    }
  });

  it("is one function of (image, generator state): reals and fakes get the same transform for the same draws", () => {
    const augment = translateCutout();
    const images = ramp(4, 28, 28);
    const asReal = augment(images, new Random(11));
    const asFake = augment({ data: Float32Array.from(images.data), shape: [4, 28, 28, 1] }, new Random(11));
    expect(Array.from(asFake.data)).toEqual(Array.from(asReal.data));
    expect(Array.from(augment(images, new Random(12)).data)).not.toEqual(Array.from(asReal.data));
    // The input is left alone.
    expect(Array.from(images.data)).toEqual(Array.from(ramp(4, 28, 28).data));
  });

  it("names bad options and shapes", () => {
    expect(() => translateCutout({ translate: 1 })).toThrow(/translate must be in \[0, 1\), got 1/);
    expect(() => translateCutout({ cutout: -0.1 })).toThrow(/cutout must be in \[0, 1\), got -0.1/);
    expect(() => translateCutout()({ data: new Float32Array(4), shape: [2, 2] }, new Random(0))).toThrow(/\[B,H,W,C\], got \[2,2\]/);
  });
});
