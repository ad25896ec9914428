import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeIdx } from "./idx.js";

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

