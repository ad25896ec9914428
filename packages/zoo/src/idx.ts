import { readIdx } from "@adagen/metrics";
import { zooPath } from "./paths.js";

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

