import { promises as fs } from "node:fs";
import * as path from "node:path";

/**
 * One-file container for checkpoints and shipped policies: "ADAGEN01", a little-endian uint32 header length,
 * a JSON header (metadata + tensor directory), then float32 data. Written to a temporary file and renamed,
 * so a crash never leaves a half-written file under the final name.
 */
const MAGIC = "ADAGEN01";

export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

export interface TensorFile {
  meta: Record<string, unknown>;
  tensors: Record<string, NamedArray>;
}

export async function writeTensorFile(file: string, content: TensorFile): Promise<void> {
  const directory: { name: string; shape: number[]; offset: number; length: number }[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(content.tensors)) {
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length) throw new RangeError(`tensor "${name}": shape [${t.shape}] needs ${expected} values, got ${t.data.length}`);
    directory.push({ name, shape: t.shape, offset, length: t.data.length });
    offset += t.data.length;
  }
  let header = Buffer.from(JSON.stringify({ meta: content.meta, tensors: directory }), "utf8");
  // Pad the header so the float32 block starts 4-byte aligned.
  const pad = (4 - ((MAGIC.length + 4 + header.length) % 4)) % 4;
  header = Buffer.concat([header, Buffer.alloc(pad, 0x20)]);
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, "ascii");
  prefix.writeUInt32LE(header.length, MAGIC.length);
  const body = new Float32Array(offset);
  for (const d of directory) body.set(content.tensors[d.name].data, d.offset);

  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    await fs.writeFile(tmp, Buffer.concat([prefix, header, Buffer.from(body.buffer, body.byteOffset, body.byteLength)]));
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
  if (bytes.length < MAGIC.length + 4 || bytes.toString("ascii", 0, MAGIC.length) !== MAGIC)
    throw new Error(`${file} is not an AdaGen checkpoint (bad magic)`);
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  if (start + headerLength > bytes.length) throw new Error(`${file} is truncated (header)`);
  let header: { meta: Record<string, unknown>; tensors: { name: string; shape: number[]; offset: number; length: number }[] };
  try {
    header = JSON.parse(bytes.toString("utf8", start, start + headerLength));
  } catch {
    throw new Error(`${file} has a corrupt header`);
  }
  const dataStart = start + headerLength;
  const total = header.tensors.reduce((n, t) => n + t.length, 0);
  if (dataStart + total * 4 > bytes.length) throw new Error(`${file} is truncated (expected ${total} float32 values)`);
  const body = new Float32Array(bytes.buffer.slice(bytes.byteOffset + dataStart, bytes.byteOffset + dataStart + total * 4));
  const tensors: Record<string, NamedArray> = {};
  for (const t of header.tensors) tensors[t.name] = { shape: t.shape, data: body.slice(t.offset, t.offset + t.length) };
  return { meta: header.meta, tensors };
}
