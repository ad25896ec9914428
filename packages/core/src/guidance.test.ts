import { describe, expect, it } from "vitest";
import { channelMask, classifierFreeGuidance } from "./guidance.js";

describe("classifier-free guidance", () => {
  const ec = Float32Array.from([1, 2, 3, 4]);
  const eu = Float32Array.from([0, 1, 1, 5]);
  it("uses eps_c + w(eps_c − eps_u) per sample; w = 0 is unguided", () => {
    expect(Array.from(classifierFreeGuidance(ec, eu, [0, 2]))).toEqual([1, 2, 3 + 2 * 2, 4 + 2 * -1]);
  });
  it("guides only the masked channels", () => {
    const mask = channelMask([2, 1], [0]);
    expect(Array.from(mask)).toEqual([1, 0]);
    expect(Array.from(classifierFreeGuidance(ec, eu, [1, 1], mask))).toEqual([2, 2, 5, 4]);
    expect(() => channelMask([4, 2, 2], [4])).toThrow(/channel 4/);
  });
});
