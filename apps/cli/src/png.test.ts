import { decodePngImage } from "@adagen/metrics";
import { describe, expect, it } from "vitest";
import { encodePng, imageGrid, sideBySide, type Raster } from "./png.js";

function pattern(width: number, height: number, channels: 1 | 3): Raster {
  const data = new Uint8Array(width * height * channels).map((_, i) => (i * 37 + 11) % 256);
  return { width, height, channels, data };
}

/** Independent bitwise CRC-32 (PNG's polynomial), to check the encoder's chunk CRCs. */
function crc32Reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunks(png: Buffer): { type: string; body: Buffer; crc: number; covered: Buffer }[] {
  const out = [];
  for (let o = 8; o < png.length; ) {
    const len = png.readUInt32BE(o);
    out.push({
      type: png.toString("latin1", o + 4, o + 8),
      body: png.subarray(o + 8, o + 8 + len),
      crc: png.readUInt32BE(o + 8 + len),
      covered: png.subarray(o + 4, o + 8 + len),
    });
    o += 12 + len;
  }
  return out;
}

describe("encodePng", () => {
  it("round-trips an odd-sized grayscale raster through decodePngImage", () => {
    const r = pattern(7, 5, 1);
    const img = decodePngImage(encodePng(r));
    expect([img.width, img.height, img.channels]).toEqual([7, 5, 1]);
    expect(Array.from(img.data)).toEqual(Array.from(r.data));
  });

  it("round-trips an odd-sized RGB raster through decodePngImage", () => {
    const r = pattern(3, 9, 3);
    const img = decodePngImage(encodePng(r));
    expect([img.width, img.height, img.channels]).toEqual([3, 9, 3]);
    expect(Array.from(img.data)).toEqual(Array.from(r.data));
  });

  it("writes the signature, IHDR/IDAT/IEND in order, correct CRCs and the colour type", () => {
    const png = encodePng(pattern(5, 3, 3));
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const cs = chunks(png);
    expect(cs.map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"]);
    for (const c of cs) expect(c.crc).toBe(crc32Reference(c.covered));
    const ihdr = cs[0].body;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]]).toEqual([5, 3, 8, 2]);
    expect(chunks(encodePng(pattern(5, 3, 1)))[0].body[9]).toBe(0);
  });

  it("refuses data of the wrong length, naming both sizes", () => {
    expect(() => encodePng({ width: 4, height: 4, channels: 3, data: new Uint8Array(16) })).toThrow(/needs 48 bytes, got 16/);
  });
});

describe("imageGrid", () => {
  // 5 tiles of 3×4, 3 per row, pad 2: 20 wide, 12 tall; tile i holds value 10·i + (y·4 + x).
  const n = 5;
  const [h, w] = [3, 4];
  const tiles = new Uint8Array(n * h * w).map((_, j) => 10 * Math.floor(j / (h * w)) + (j % (h * w)));
  const grid = imageGrid(tiles, n, h, w, 3, 2);

  it("sizes the grid with pad pixels between tiles and around them", () => {
    expect([grid.width, grid.height, grid.channels]).toEqual([3 * w + 4 * 2, 2 * h + 3 * 2, 1]);
  });

  it("places tiles row-major: tile 4's pixel (y 2, x 1) lands at row 1, column 1 of the grid", () => {
    const gy = 2 + 1 * (h + 2) + 2;
    const gx = 2 + 1 * (w + 2) + 1;
    expect(grid.data[gy * grid.width + gx]).toBe(40 + 2 * w + 1);
    // Tile 0's first pixel sits just inside the padding.
    expect(grid.data[2 * grid.width + 2]).toBe(0);
  });

  it("fills padding and the empty last slot with 255", () => {
    expect(grid.data[0]).toBe(255);
    expect(grid.data[1 * grid.width + 5]).toBe(255); // top pad row
    expect(grid.data[3 * grid.width + 2 + w]).toBe(255); // gap column between tiles 0 and 1
    const slot5 = { y: 2 + h + 2, x: 2 + 2 * (w + 2) };
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(grid.data[(slot5.y + y) * grid.width + slot5.x + x]).toBe(255);
  });

  it("encodes to a PNG that decodes to the same grid", () => {
    const img = decodePngImage(encodePng(grid));
    expect(Array.from(img.data)).toEqual(Array.from(grid.data));
  });
});

describe("sideBySide", () => {
  it("keeps grayscale when both are, and pads the shorter one with white", () => {
    const a = pattern(2, 3, 1);
    const b = pattern(3, 1, 1);
    const r = sideBySide(a, b, 4);
    expect([r.width, r.height, r.channels]).toEqual([2 + 4 + 3, 3, 1]);
    expect(r.data[1 * r.width + 1]).toBe(a.data[1 * 2 + 1]);
    expect(r.data[0 * r.width + 6 + 2]).toBe(b.data[2]);
    expect(r.data[2 * r.width + 6]).toBe(255); // under the shorter right image
    expect(r.data[0 * r.width + 3]).toBe(255); // the gap
  });

  it("converts to RGB when either side is RGB, copying gray to all three channels", () => {
    const gray = pattern(2, 2, 1);
    const rgb = pattern(2, 2, 3);
    const r = sideBySide(gray, rgb, 1);
    expect([r.width, r.height, r.channels]).toEqual([5, 2, 3]);
    const g = gray.data[1 * 2 + 0];
    expect(Array.from(r.data.subarray(3 * (1 * 5 + 0), 3 * (1 * 5 + 0) + 3))).toEqual([g, g, g]);
    expect(Array.from(r.data.subarray(3 * (1 * 5 + 4), 3 * (1 * 5 + 4) + 3))).toEqual(Array.from(rgb.data.subarray(9, 12)));
    const img = decodePngImage(encodePng(r));
    expect(img.channels).toBe(3);
    expect(Array.from(img.data)).toEqual(Array.from(r.data));
  });
});
