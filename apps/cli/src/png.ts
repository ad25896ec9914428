/**
 * Minimal PNG writer and image layout for reports: 8-bit grayscale or RGB rasters, row-major H × W × C.
 * Encoding is the plainest valid PNG (filter 0 on every row, one zlib IDAT chunk); report images are small.
 */
import { crc32, deflateSync } from "node:zlib";

/** An 8-bit image, row-major `height × width × channels`, values 0..255. */
export interface Raster {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function checkRaster(r: Raster, name = "raster"): void {
  if (!(Number.isInteger(r.width) && r.width >= 1 && Number.isInteger(r.height) && r.height >= 1))
    throw new RangeError(`${name} needs a positive integer width and height, got ${r.width}×${r.height}`);
  if (r.channels !== 1 && r.channels !== 3) throw new RangeError(`${name} needs 1 or 3 channels, got ${String(r.channels)}`);
  const expected = r.width * r.height * r.channels;
  if (r.data.length !== expected)
    throw new RangeError(`${name} ${r.height}×${r.width}×${r.channels} needs ${expected} bytes, got ${r.data.length}`);
}

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, "latin1");
  out.set(body, 8);
  // The CRC covers the chunk type and its data, not the length.
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

/** PNG bytes of an 8-bit grayscale (colour type 0) or RGB (colour type 2) raster. */
export function encodePng(raster: Raster): Buffer {
  checkRaster(raster);
  const { width, height, channels, data } = raster;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : 2;
  // ihdr[10..12] = 0: deflate compression, adaptive filtering (method 0), no interlace.
  const stride = width * channels;
  const filtered = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) filtered.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return Buffer.concat([SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(filtered)), chunk("IEND", new Uint8Array(0))]);
}

/**
 * Grayscale grid of `n` tiles from `images` (uint8 N × H × W × 1), `cols` per row, placed row-major, with `pad`
 * white (255) pixels between tiles and around the border.
 */
export function imageGrid(images: Uint8Array, n: number, height: number, width: number, cols: number, pad = 2): Raster {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`imageGrid needs n ≥ 1 tiles, got ${n}`);
  if (!(Number.isInteger(cols) && cols >= 1)) throw new RangeError(`imageGrid needs cols ≥ 1, got ${cols}`);
  if (!(Number.isInteger(pad) && pad >= 0)) throw new RangeError(`imageGrid needs pad ≥ 0, got ${pad}`);
  if (images.length < n * height * width)
    throw new RangeError(`imageGrid: ${n} tiles of ${height}×${width}×1 need ${n * height * width} bytes, got ${images.length}`);
  const c = Math.min(cols, n);
  const rows = Math.ceil(n / c);
  const W = c * width + (c + 1) * pad;
  const H = rows * height + (rows + 1) * pad;
  const data = new Uint8Array(W * H).fill(255);
  for (let i = 0; i < n; i++) {
    const x0 = pad + (i % c) * (width + pad);
    const y0 = pad + Math.floor(i / c) * (height + pad);
    for (let y = 0; y < height; y++) {
      const src = (i * height + y) * width;
      data.set(images.subarray(src, src + width), (y0 + y) * W + x0);
    }
  }
  return { width: W, height: H, channels: 1, data };
}

/** The same raster with 3 channels (gray copied to R, G and B). */
export function toRgb(r: Raster): Raster {
  if (r.channels === 3) return r;
  const data = new Uint8Array(r.width * r.height * 3);
  for (let p = 0; p < r.width * r.height; p++) data[3 * p] = data[3 * p + 1] = data[3 * p + 2] = r.data[p];
  return { width: r.width, height: r.height, channels: 3, data };
}

/**
 * `left` and `right` next to each other with a white `gap`, both top-aligned; the shorter one is padded with white
 * below. The result is RGB if either input is, grayscale otherwise.
 */
export function sideBySide(left: Raster, right: Raster, gap = 8): Raster {
  checkRaster(left, "left");
  checkRaster(right, "right");
  if (!(Number.isInteger(gap) && gap >= 0)) throw new RangeError(`sideBySide needs gap ≥ 0, got ${gap}`);
  const channels: 1 | 3 = left.channels === 3 || right.channels === 3 ? 3 : 1;
  const a = channels === 3 ? toRgb(left) : left;
  const b = channels === 3 ? toRgb(right) : right;
  const width = a.width + gap + b.width;
  const height = Math.max(a.height, b.height);
  const data = new Uint8Array(width * height * channels).fill(255);
  blit(data, width, channels, a, 0, 0);
  blit(data, width, channels, b, a.width + gap, 0);
  return { width, height, channels, data };
}

/** Copies `src` (same channel count as the target) into a target `width` pixels wide at (x0, y0). */
export function blit(target: Uint8Array, width: number, channels: number, src: Raster, x0: number, y0: number): void {
  const stride = src.width * channels;
  for (let y = 0; y < src.height; y++)
    target.set(src.data.subarray(y * stride, (y + 1) * stride), ((y0 + y) * width + x0) * channels);
}
