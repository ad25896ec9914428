import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { zooPath } from "./paths.js";

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

export type FashionMnistSplit = "train" | "test";

/** Fashion-MNIST class names, by class id. */
export const FASHION_MNIST_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

export interface FashionMnist {
  /** Number of images. */
  count: number;
  /** Pixels, uint8, [count, 28, 28] row-major (0 = background). */
  images: Uint8Array;
  /** Class ids 0..9, [count]. */
  labels: Uint8Array;
}

/** Loads a Fashion-MNIST split from the gz files shipped in this package (train: 60,000, test: 10,000). */
export function loadFashionMnist(split: FashionMnistSplit): FashionMnist {
  const prefix = split === "train" ? "train" : "t10k";
  const images = readIdx(zooPath(`data/${prefix}-images-idx3-ubyte.gz`));
  const labels = readIdx(zooPath(`data/${prefix}-labels-idx1-ubyte.gz`));
  if (images.shape.length !== 3 || images.shape[1] !== 28 || images.shape[2] !== 28) {
    throw new Error(`expected images of shape [N,28,28], got [${images.shape.join(",")}]`);
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) {
    throw new Error(`expected ${images.shape[0]} labels, got shape [${labels.shape.join(",")}]`);
  }
  return { count: images.shape[0], images: images.data, labels: labels.data };
}

/**
 * Converts uint8 images to float32 in [0,1] (the fmnist-features input) or, with `range: "pm1"`, in [-1,1] (the
 * generators' pixel space). `start`/`count` select images; the result is [count,1,28,28] row-major.
 */
export function imagesToFloat(
  images: Uint8Array,
  options: { start?: number; count?: number; range?: "unit" | "pm1" } = {},
): Float32Array {
  const px = 28 * 28;
  const start = options.start ?? 0;
  const count = options.count ?? images.length / px - start;
  const src = images.subarray(start * px, (start + count) * px);
  if (src.length !== count * px) throw new Error(`expected ${count} images from ${start}, only ${images.length / px} available`);
  const out = new Float32Array(src.length);
  if (options.range === "pm1") for (let i = 0; i < src.length; i++) out[i] = (src[i] / 255) * 2 - 1;
  else for (let i = 0; i < src.length; i++) out[i] = src[i] / 255;
  return out;
}

function hex(b: number | undefined): string {
  return (b ?? 0).toString(16).padStart(2, "0");
}
