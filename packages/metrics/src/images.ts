/**
 * Image batches in the ADM/guided-diffusion layout: uint8, N × H × W × C (NHWC), values 0..255. Sources:
 * an `.npz` sample batch (`arr_0`, optional `arr_1` labels) or a folder of PNG files (sorted by name).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { convertIndexedToRgb, decode } from "fast-png";
import { MetricsInputError } from "./errors.js";
import { NpzReader } from "./npz.js";
import type { NpyArray } from "./npy.js";

/**
 * Images, N × H × W × C row-major: uint8 values 0..255, or float32 values in [0, 1] (unquantised generator
 * output, as docs/method.md §13.1 evaluates).
 */
export interface ImageBatch {
  data: Uint8Array | Float32Array;
  count: number;
  height: number;
  width: number;
  channels: number;
}

/** Decode one PNG to uint8 H × W × C with C ∈ {1, 3} (alpha dropped, palettes expanded, 16-bit scaled). */
export function decodePngImage(bytes: Uint8Array, label = "png"): { height: number; width: number; channels: number; data: Uint8Array } {
  let png;
  try {
    png = decode(bytes);
  } catch (err) {
    throw new MetricsInputError(`not a readable PNG (${(err as Error).message})`, label);
  }
  const { width, height } = png;
  let src: ArrayLike<number> = png.data;
  let inCh = png.channels;
  let depth: number = png.depth;
  if (png.palette !== undefined) {
    src = convertIndexedToRgb(png);
    inCh = src.length / (width * height);
    depth = 8;
  }
  if (depth !== 8 && depth !== 16) throw new MetricsInputError(`unsupported PNG bit depth ${depth} (use 8 or 16)`, label);
  const outCh = inCh <= 2 ? 1 : 3;
  const out = new Uint8Array(width * height * outCh);
  const shift = depth === 16 ? 257 : 1;
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < outCh; c++) {
      const v = src[p * inCh + c];
      out[p * outCh + c] = shift === 1 ? v : Math.round(v / shift);
    }
  }
  return { height, width, channels: outCh, data: out };
}

/** PNG files of a folder, sorted by name. */
export function listPngFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MetricsInputError(code === "ENOENT" ? "no such file or folder" : `cannot read folder (${code})`, dir);
  }
  const files = names.filter((n) => n.toLowerCase().endsWith(".png")).sort();
  if (files.length === 0) throw new MetricsInputError("folder has no .png files", dir);
  return files.map((n) => join(dir, n));
}

/**
 * Stream a PNG folder as image batches. Every image must have the size and channel count of the first one
 * (grayscale and RGB are not mixed silently).
 */
export async function* pngFolderBatches(dir: string, batchSize: number): AsyncGenerator<ImageBatch> {
  const files = listPngFiles(dir);
  let shape: { height: number; width: number; channels: number } | undefined;
  for (let i0 = 0; i0 < files.length; i0 += batchSize) {
    const chunk = files.slice(i0, i0 + batchSize);
    let data: Uint8Array | undefined;
    chunk.forEach((file, r) => {
      const img = decodePngImage(readFileSync(file), file);
      if (shape === undefined) shape = { height: img.height, width: img.width, channels: img.channels };
      if (img.height !== shape.height || img.width !== shape.width || img.channels !== shape.channels) {
        throw new MetricsInputError(
          `image is ${img.height}x${img.width}x${img.channels}, the folder's first image is ${shape.height}x${shape.width}x${shape.channels}`,
          file,
        );
      }
      data ??= new Uint8Array(chunk.length * img.data.length);
      data.set(img.data, r * img.data.length);
    });
    const s = shape as { height: number; width: number; channels: number };
    yield { data: data as Uint8Array, count: chunk.length, ...s };
  }
}

/** Number of PNG files in a folder. */
export function countPngFiles(dir: string): number {
  return listPngFiles(dir).length;
}

/**
 * Check the `arr_0` header of a sample batch: uint8 (ADM layout) or float32/float64 in [0, 1]; N × H × W × C
 * with C = 1 or 3. Returns N, H, W, C.
 */
export function sampleBatchShape(reader: NpzReader, key = "arr_0"): { count: number; height: number; width: number; channels: number } {
  const info = reader.info(key);
  if (info.dtype !== "uint8" && info.dtype !== "float32" && info.dtype !== "float64") {
    throw new MetricsInputError(`array '${key}' has dtype ${info.dtype}, expected uint8 images (or float32/float64 in [0, 1])`, reader.path);
  }
  if (info.shape.length !== 4 || (info.shape[3] !== 1 && info.shape[3] !== 3)) {
    throw new MetricsInputError(`array '${key}' has shape (${info.shape.join(", ")}), expected (N, H, W, 1 or 3)`, reader.path);
  }
  const [count, height, width, channels] = info.shape;
  return { count, height, width, channels };
}

/**
 * Stream a sample batch (`arr_0`, N × H × W × C, uint8 or float in [0, 1]) as image batches. Float values
 * outside [0, 1] are refused (naming the first one), not clamped silently.
 */
export async function* npzImageBatches(reader: NpzReader, batchSize: number, key = "arr_0"): AsyncGenerator<ImageBatch> {
  const { height, width, channels } = sampleBatchShape(reader, key);
  for await (const b of reader.rows(key, batchSize)) {
    let data: Uint8Array | Float32Array;
    if (b.data instanceof Uint8Array) data = b.data;
    else {
      data = b.data instanceof Float32Array ? b.data : Float32Array.from(b.data as Float64Array);
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (!(v >= 0 && v <= 1)) {
          const per = height * width * channels;
          throw new MetricsInputError(
            `float images must lie in [0, 1]; sample ${b.start + Math.floor(i / per)} has value ${v}`,
            reader.path,
          );
        }
      }
    }
    yield { data, count: b.rows, height, width, channels };
  }
}

/** An ADM sample-batch array from uint8 NHWC images. */
export function imagesToNpy(images: ImageBatch): NpyArray {
  return { dtype: "uint8", shape: [images.count, images.height, images.width, images.channels], data: images.data };
}

/** Whether `path` is a directory. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
