/**
 * IDX files (the MNIST / Fashion-MNIST format): a header of dimensions, then unsigned bytes. Read here so any
 * package can load real images given as IDX files (a model card's `data.train`).
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

/** A decoded IDX array of unsigned bytes (the only IDX type Fashion-MNIST uses). */
export interface IdxArray {
  /** Dimensions, outermost first, e.g. [60000, 28, 28] for training images. */
  shape: number[];
  /** Row-major data. */
  data: Uint8Array;
}

const IDX_UBYTE = 0x08;

/**
 * Decodes an IDX file: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, then each
 * dimension as a big-endian uint32, then the data. Gzipped input (magic 1f 8b) is gunzipped first.
 */
export function decodeIdx(bytes: Uint8Array): IdxArray {
  let buf = bytes;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = new Uint8Array(gunzipSync(buf));
  if (buf.length < 4) throw new Error(`IDX: expected at least 4 header bytes, got ${buf.length}`);
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new Error(`IDX: expected magic 00 00, got ${hex(buf[0])} ${hex(buf[1])}`);
  }
  if (buf[2] !== IDX_UBYTE) throw new Error(`IDX: expected type 0x08 (unsigned byte), got 0x${hex(buf[2])}`);
  const ndim = buf[3];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const header = 4 + 4 * ndim;
  if (buf.length < header) throw new Error(`IDX: header of ${ndim} dimensions needs ${header} bytes, got ${buf.length}`);
  const shape: number[] = [];
  for (let i = 0; i < ndim; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const size = shape.reduce((a, b) => a * b, 1);
  if (buf.length - header !== size) {
    throw new Error(`IDX: shape [${shape.join(",")}] needs ${size} data bytes, got ${buf.length - header}`);
  }
  return { shape, data: buf.subarray(header, header + size) };
}

/** Reads and decodes an IDX file (gzipped or not). */
export function readIdx(path: string): IdxArray {
  return decodeIdx(readFileSync(path));
}

function hex(b: number | undefined): string {
  return (b ?? 0).toString(16).padStart(2, "0");
}
