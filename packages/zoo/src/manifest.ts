import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { zooPath } from "./paths.js";

export type Paradigm = "diffusion" | "flow" | "maskgit" | "var" | "extractor";
export type ZooModelName = "fmnist-features" | "dit-tiny" | "sit-tiny" | "maskgit-tiny" | "var-tiny";

/** A file of the package with its checksum; `path` is relative to the package root. */
export interface FileEntry {
  path: string;
  sha256: string;
  bytes: number;
}

/** One input or output of an ONNX graph. Symbolic dimensions are strings ("B", "L"). */
export interface TensorSpec {
  name: string;
  dtype: "float32" | "int64";
  shape: (number | string)[];
  range?: string;
}

export interface GraphContract {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export interface ZooModelEntry {
  paradigm: Paradigm;
  /** The ONNX files. */
  files: FileEntry[];
  /** Parity fixtures: fixed inputs and the PyTorch outputs, one per ONNX file. */
  fixtures: FileEntry[];
  /** IO contract of each ONNX file, keyed by its path. */
  io: Record<string, GraphContract>;
  params: number;
  /** FLOPs (2 per multiply-add) of one forward per image, in millions. */
  mflops: number;
  training: { command: string; seconds: number; steps: number; hardware: string; notes?: string; [k: string]: unknown };
  /** Generators: class accuracy of 10,000 samples at the generous setting; extractor: test-set accuracy. */
  class_acc: number;
  /** FID in fmnist-features against the test set, per sampler setting (extractor: the real-data floor). */
  fid: Record<string, number>;
  quality: Record<string, unknown>;
  sampling?: Record<string, unknown>;
  stats?: FileEntry;
  [k: string]: unknown;
}

export interface ZooManifest {
  schema: number;
  dataset: { name: string; licence: string; files: FileEntry[] };
  models: Record<ZooModelName, ZooModelEntry>;
  model_bytes_total: number;
  [k: string]: unknown;
}

let cached: ZooManifest | undefined;

/** Reads the package's manifest.json (cached). */
export function loadManifest(): ZooManifest {
  cached ??= JSON.parse(readFileSync(zooPath("manifest.json"), "utf8")) as ZooManifest;
  return cached;
}

/** Absolute path of a model's ONNX file; `suffix` picks among several ("decoder", "next"; none = the main graph). */
export function modelPath(model: ZooModelName, suffix?: string): string {
  const entry = loadManifest().models[model];
  if (!entry) throw new Error(`unknown zoo model "${model}"`);
  const want = suffix ? `models/${model}.${suffix}.onnx` : `models/${model}.onnx`;
  const file = entry.files.find((f) => f.path === want);
  if (!file) throw new Error(`model "${model}" has no file ${want}; it has ${entry.files.map((f) => f.path).join(", ")}`);
  return zooPath(file.path);
}

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Whether a manifest file's sha256 matches the file on disk. */
export function verifyFile(entry: FileEntry): boolean {
  return sha256File(zooPath(entry.path)) === entry.sha256;
}

export type FixtureTensor = { dtype: "float32"; shape: number[]; data: Float32Array } | { dtype: "int64"; shape: number[]; data: BigInt64Array };

export interface Fixture {
  /** The ONNX file name (in models/). */
  file: string;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
}

interface RawTensor {
  dtype: "float32" | "int64";
  shape: number[];
  data: string;
}

function decodeTensor(raw: RawTensor): FixtureTensor {
  const bytes = Buffer.from(raw.data, "base64");
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  if (raw.dtype === "float32") return { dtype: "float32", shape: raw.shape, data: new Float32Array(copy.buffer) };
  if (raw.dtype === "int64") return { dtype: "int64", shape: raw.shape, data: new BigInt64Array(copy.buffer) };
  throw new Error(`fixture tensor dtype must be float32 or int64, got ${String((raw as RawTensor).dtype)}`);
}

/** Reads a parity fixture (little-endian tensors stored as base64). */
export function readFixture(path: string): Fixture {
  const raw = JSON.parse(readFileSync(path, "utf8")) as { file: string; inputs: Record<string, RawTensor>; outputs: Record<string, RawTensor> };
  const map = (o: Record<string, RawTensor>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, decodeTensor(v)]));
  return { file: raw.file, inputs: map(raw.inputs), outputs: map(raw.outputs) };
}

/** Mean and covariance of the Fashion-MNIST test set in fmnist-features' `features` (float64). */
export interface ReferenceStats {
  dim: number;
  count: number;
  mean: Float64Array;
  /** Row-major [dim, dim]. */
  cov: Float64Array;
}

export function loadReferenceStats(): ReferenceStats {
  const raw = JSON.parse(readFileSync(zooPath("stats/fmnist-features.test-stats.json"), "utf8")) as {
    dim: number;
    count: number;
    mean: string;
    cov: string;
  };
  const f64 = (b64: string) => {
    const bytes = Buffer.from(b64, "base64");
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    return new Float64Array(copy.buffer);
  };
  const stats = { dim: raw.dim, count: raw.count, mean: f64(raw.mean), cov: f64(raw.cov) };
  if (stats.mean.length !== stats.dim || stats.cov.length !== stats.dim * stats.dim) {
    throw new Error(`reference stats: expected mean [${stats.dim}] and cov [${stats.dim}x${stats.dim}], got ${stats.mean.length} and ${stats.cov.length}`);
  }
  return stats;
}
