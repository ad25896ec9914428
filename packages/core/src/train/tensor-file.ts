import { promises as fs } from "node:fs";
import * as path from "node:path";

/**
 * One-file container for checkpoints and shipped policies: "ADAGEN01", a little-endian uint32 header length,
 * a JSON header (metadata + tensor directory), then float32 data. Written to a temporary file and renamed,
 * so a crash never leaves a half-written file under the final name.
 *
 * Reading trusts nothing in the file: the header length, the JSON header (parsed with JSON.parse, never
 * evaluated) and every directory entry (name, shape, offset, length) are checked against the bytes actually
 * present before anything is allocated, and a file that does not add up is rejected with one Error naming the
 * file and the field at fault.
 */
const MAGIC = "ADAGEN01";
const PREFIX = MAGIC.length + 4;
/** Most dimensions one tensor may have (numpy's limit); a deeper shape is corruption, not a model. */
const MAX_DIMS = 64;

export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

export interface TensorFile {
  meta: Record<string, unknown>;
  tensors: Record<string, NamedArray>;
}

interface DirectoryEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

/** The bytes {@link writeTensorFile} writes for `content` (the whole file). */
export function serializeTensorFile(content: TensorFile): Buffer {
  const directory: DirectoryEntry[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(content.tensors)) {
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length) throw new RangeError(`tensor "${name}": shape [${t.shape}] needs ${expected} values, got ${t.data.length}`);
    directory.push({ name, shape: t.shape, offset, length: t.data.length });
    offset += t.data.length;
  }
  let header = Buffer.from(JSON.stringify({ meta: content.meta, tensors: directory }), "utf8");
  // Pad the header so the float32 block starts 4-byte aligned.
  const pad = (4 - ((PREFIX + header.length) % 4)) % 4;
  header = Buffer.concat([header, Buffer.alloc(pad, 0x20)]);
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(MAGIC, 0, "ascii");
  prefix.writeUInt32LE(header.length, MAGIC.length);
  const body = new Float32Array(offset);
  for (const d of directory) body.set(content.tensors[d.name].data, d.offset);
  return Buffer.concat([prefix, header, Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
}

export async function writeTensorFile(file: string, content: TensorFile): Promise<void> {
  const bytes = serializeTensorFile(content);
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

export async function readTensorFile(file: string): Promise<TensorFile> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseTensorFile(bytes, file);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function isCount(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

function show(x: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(x) ?? String(x);
  } catch {
    s = String(x);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Parse the bytes of a tensor file (what {@link readTensorFile} does after reading `file`). `file` only labels
 * the errors. Throws an Error naming the file and the offending field when the bytes are not a consistent
 * tensor file; allocates nothing larger than `bytes`.
 */
export function parseTensorFile(bytes: Uint8Array, file = "tensor file"): TensorFile {
  const corrupt = (what: string): Error => new Error(`${file} has a corrupt header (${what})`);
  if (bytes.length < PREFIX || Buffer.from(bytes.buffer, bytes.byteOffset, MAGIC.length).toString("latin1") !== MAGIC)
    throw new Error(`${file} is not an AdaGen checkpoint (bad magic)`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  if (headerLength > bytes.length - PREFIX)
    throw new Error(`${file} is truncated (header length ${headerLength}, only ${bytes.length - PREFIX} bytes follow)`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + headerLength));
  } catch {
    throw corrupt("not UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw new Error(`${file} has a corrupt header`);
  }
  if (!isPlainObject(header)) throw corrupt("not a JSON object");
  const { meta, tensors: directory } = header;
  if (!isPlainObject(meta)) throw corrupt(`meta is ${show(meta)}, not an object`);
  if (!Array.isArray(directory)) throw corrupt(`tensors is ${show(directory)}, not an array`);

  const dataStart = PREFIX + headerLength;
  const available = Math.floor((bytes.length - dataStart) / 4); // whole float32 values present
  const seen = new Set<string>();
  const entries: DirectoryEntry[] = [];
  let total = 0;
  for (let i = 0; i < directory.length; i++) {
    const t: unknown = directory[i];
    if (!isPlainObject(t)) throw corrupt(`tensors[${i}] is ${show(t)}, not an object`);
    const { name, shape, offset, length } = t;
    const label = typeof name === "string" ? `tensor ${JSON.stringify(name).slice(0, 60)}` : `tensors[${i}]`;
    if (typeof name !== "string") throw corrupt(`${label}: name is ${show(name)}, not a string`);
    if (seen.has(name)) throw corrupt(`${label} appears twice`);
    seen.add(name);
    if (!Array.isArray(shape) || shape.length > MAX_DIMS)
      throw corrupt(`${label}: shape is ${show(shape)}, not an array of at most ${MAX_DIMS} sizes`);
    for (const s of shape) {
      if (!isCount(s)) throw corrupt(`${label}: shape ${show(shape)} has ${show(s)}, not a non-negative integer`);
    }
    // The product, exact up to 2^53; an empty axis makes it 0 whatever the other sizes are.
    const count = shape.includes(0) ? 0 : (shape as number[]).reduce((a, b) => Math.min(a * b, Number.MAX_SAFE_INTEGER + 1), 1);
    if (!isCount(length)) throw corrupt(`${label}: length is ${show(length)}, not a non-negative integer`);
    if (!isCount(offset)) throw corrupt(`${label}: offset is ${show(offset)}, not a non-negative integer`);
    if (count !== length)
      throw corrupt(`${label}: shape ${show(shape)} needs ${count > Number.MAX_SAFE_INTEGER ? "over 2^53" : count} values, length says ${length}`);
    if (length > available || offset > available - length)
      throw new Error(
        `${file} is truncated (tensor ${JSON.stringify(name).slice(0, 60)} spans values ${offset}..${offset + length}, ` +
          `the file holds ${available} float32 values)`,
      );
    total += length;
    if (total > available) throw new Error(`${file} is truncated (expected at least ${total} float32 values, found ${available})`);
    entries.push({ name, shape: shape as number[], offset, length });
  }
  // Every tensor lies inside the data block; the writer lays them end to end, so the block holds exactly `total`.
  for (const e of entries) {
    if (e.offset + e.length > total)
      throw corrupt(`tensor ${JSON.stringify(e.name).slice(0, 60)}: offset ${e.offset} + length ${e.length} is past the ${total} values of the data block`);
  }
  const extra = bytes.length - dataStart - total * 4;
  if (extra !== 0) throw new Error(`${file} has ${extra} bytes after its ${total} float32 values (corrupt or not an AdaGen checkpoint)`);

  const body = new Float32Array(bytes.buffer.slice(bytes.byteOffset + dataStart, bytes.byteOffset + dataStart + total * 4));
  const tensors: Record<string, NamedArray> = {};
  for (const e of entries) {
    // defineProperty: a tensor named "__proto__" is stored as a key like any other, never as the prototype.
    Object.defineProperty(tensors, e.name, {
      value: { shape: e.shape, data: body.slice(e.offset, e.offset + e.length) },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { meta, tensors };
}
