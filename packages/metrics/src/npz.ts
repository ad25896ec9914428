/**
 * numpy `.npz` archives: zip files of `.npy` members, stored (`np.savez`) or deflated (`np.savez_compressed`).
 *
 * - {@link readNpz} / {@link writeNpz}: whole archives in memory (statistics files, small arrays).
 * - {@link NpzReader}: member headers from the central directory, and row batches streamed from one member
 *   without holding it in memory (ADM sample batches of 50,000 images are larger than a Node buffer).
 *
 * ZIP64 archives are read (numpy writes them for members over 4 GiB). CRC-32 checksums are verified.
 *
 * Nothing in an archive is trusted: the central directory's counts, lengths, offsets and sizes are checked
 * against the file before anything is read or allocated, a member's declared size is bounded by what its
 * compressed bytes can hold (deflate expands at most 1032:1), and inflation stops at the declared size, so a
 * corrupt archive or a zip bomb is a MetricsInputError, never an allocation beyond what the file can hold.
 */
import { kMaxLength } from "node:buffer";
import { closeSync, openSync, readSync, fstatSync, createReadStream, writeFileSync, renameSync, rmSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { crc32, inflateRawSync, deflateRawSync, createInflateRaw } from "node:zlib";
import { MetricsInputError } from "./errors.js";
import { type NpyArray, type NpyHeader, parseNpy, parseNpyHeader, serializeNpy, numel, typedFromBytes, type NpyData } from "./npy.js";

interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOC = 0x07064b50;
const SIG_CEN = 0x02014b50;
const SIG_LOC = 0x04034b50;
/** Size of a central directory file header and of a local file header, before their variable fields. */
const CEN_SIZE = 46;
const LOC_SIZE = 30;
/**
 * Deflate's largest expansion: 258 bytes per 2 bits of a dynamic block, 1032:1, plus a little for headers. A
 * member whose declared size exceeds this bound of its compressed size is corrupt (or a zip bomb).
 */
const MAX_DEFLATE_RATIO = 1032;
const DEFLATE_SLACK = 1024;

/** Anything with random-access reads: a buffer or an open file. */
interface ByteSource {
  size: number;
  read(offset: number, length: number): Uint8Array;
}

function bufferSource(buf: Uint8Array): ByteSource {
  return {
    size: buf.length,
    read: (o, l) => {
      if (o < 0 || o + l > buf.length) throw new MetricsInputError("truncated zip archive");
      return buf.subarray(o, o + l);
    },
  };
}

function fileSource(fd: number): ByteSource {
  const size = fstatSync(fd).size;
  return {
    size,
    read: (o, l) => {
      if (o < 0 || o + l > size) throw new MetricsInputError("truncated zip archive");
      const out = new Uint8Array(l);
      let got = 0;
      while (got < l) {
        const r = readSync(fd, out, got, l - got, o + got);
        if (r === 0) throw new MetricsInputError("truncated zip archive");
        got += r;
      }
      return out;
    },
  };
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function u64(v: DataView, o: number): number {
  const x = v.getBigUint64(o, true);
  if (x > BigInt(Number.MAX_SAFE_INTEGER)) throw new MetricsInputError("zip64 size out of range");
  return Number(x);
}

/** Parse the central directory of a zip archive. */
function readCentralDirectory(src: ByteSource): ZipEntry[] {
  if (src.size < 22) throw new MetricsInputError("not a zip archive (file too short for an .npz)");
  const tailLen = Math.min(src.size, 22 + 65535 + 20);
  const tail = src.read(src.size - tailLen, tailLen);
  const tv = dv(tail);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === SIG_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new MetricsInputError("not a zip archive or truncated (no end-of-central-directory record)");
  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if ((count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && eocd >= 20) {
    if (tv.getUint32(eocd - 20, true) === SIG_EOCD64_LOC) {
      const off64 = u64(tv, eocd - 20 + 8);
      const rec = dv(src.read(off64, 56));
      if (rec.getUint32(0, true) !== SIG_EOCD64) throw new MetricsInputError("corrupt zip64 end-of-central-directory record");
      count = u64(rec, 32);
      cdSize = u64(rec, 40);
      cdOffset = u64(rec, 48);
    }
  }
  if (cdOffset + cdSize > src.size) {
    throw new MetricsInputError(`truncated zip archive: central directory (${cdSize} bytes at ${cdOffset}) extends past the end of the file (${src.size} bytes)`);
  }
  if (count * CEN_SIZE > cdSize) {
    throw new MetricsInputError(`corrupt zip central directory: ${count} entries cannot fit in its ${cdSize} bytes`);
  }
  const cd = src.read(cdOffset, cdSize);
  const v = dv(cd);
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let p = 0;
  for (let e = 0; e < count; e++) {
    if (p + CEN_SIZE > cd.length || v.getUint32(p, true) !== SIG_CEN) throw new MetricsInputError("corrupt zip central directory");
    const method = v.getUint16(p + 10, true);
    const crc = v.getUint32(p + 16, true);
    let compressedSize = v.getUint32(p + 20, true);
    let size = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    let localHeaderOffset = v.getUint32(p + 42, true);
    const entryEnd = p + CEN_SIZE + nameLen + extraLen + commentLen;
    if (entryEnd > cd.length) {
      throw new MetricsInputError(`corrupt zip central directory: entry ${e} (${entryEnd - p} bytes) overruns the directory`);
    }
    const name = new TextDecoder().decode(cd.subarray(p + CEN_SIZE, p + CEN_SIZE + nameLen));
    const where = `zip entry ${JSON.stringify(name.slice(0, 80))}`;
    // ZIP64 extended information extra field (id 1): the 0xffffffff fields, in order.
    let x = p + CEN_SIZE + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = v.getUint16(x, true);
      const len = v.getUint16(x + 2, true);
      const fieldEnd = x + 4 + len;
      if (fieldEnd > xEnd) throw new MetricsInputError(`corrupt ${where}: extra field 0x${id.toString(16)} of ${len} bytes overruns its entry`);
      if (id === 1) {
        let q = x + 4;
        const next = (): number => {
          if (q + 8 > fieldEnd) throw new MetricsInputError(`corrupt ${where}: ZIP64 extra field too short (${len} bytes)`);
          const val = u64(v, q);
          q += 8;
          return val;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      x = fieldEnd;
    }
    if (names.has(name)) throw new MetricsInputError(`corrupt zip central directory: duplicate member ${JSON.stringify(name.slice(0, 80))}`);
    names.add(name);
    if (localHeaderOffset + LOC_SIZE > src.size) {
      throw new MetricsInputError(`corrupt ${where}: local header offset ${localHeaderOffset} is past the end of the file (${src.size} bytes)`);
    }
    if (compressedSize > src.size - localHeaderOffset - LOC_SIZE) {
      throw new MetricsInputError(`truncated zip archive: ${where} declares ${compressedSize} compressed bytes, the file has ${src.size}`);
    }
    if (method === 0 && size !== compressedSize) {
      throw new MetricsInputError(`corrupt ${where}: stored member declares ${size} bytes but ${compressedSize} compressed bytes`);
    }
    if (method === 8 && size > compressedSize * MAX_DEFLATE_RATIO + DEFLATE_SLACK) {
      throw new MetricsInputError(`corrupt ${where}: declares ${size} bytes, more than ${compressedSize} deflated bytes can hold (zip bomb?)`);
    }
    entries.push({ name, method, crc, compressedSize, size, localHeaderOffset });
    p = entryEnd;
  }
  return entries;
}

/** Offset of the member's data (after its local header). */
function dataStart(src: ByteSource, e: ZipEntry): number {
  const h = dv(src.read(e.localHeaderOffset, LOC_SIZE));
  if (h.getUint32(0, true) !== SIG_LOC) throw new MetricsInputError(`corrupt zip local header for ${e.name}`);
  const start = e.localHeaderOffset + LOC_SIZE + h.getUint16(26, true) + h.getUint16(28, true);
  if (start + e.compressedSize > src.size) {
    throw new MetricsInputError(`truncated zip archive: member ${e.name} extends past the end of the file`);
  }
  return start;
}

function arrayName(entryName: string): string {
  return entryName.endsWith(".npy") ? entryName.slice(0, -4) : entryName;
}

function memberBytes(src: ByteSource, e: ZipEntry): Uint8Array {
  if (e.size > kMaxLength || e.compressedSize > kMaxLength) {
    throw new MetricsInputError(`member ${e.name} has ${e.size} bytes, too large to read into memory (stream it with NpzReader.rows)`);
  }
  const raw = src.read(dataStart(src, e), e.compressedSize);
  let out: Uint8Array;
  if (e.method === 0) out = raw;
  else if (e.method === 8) {
    try {
      // Never inflate past the declared size (checked against the compressed size when the directory was read).
      out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
        throw new MetricsInputError(`member ${e.name} inflates past the ${e.size} bytes its directory entry declares (corrupt archive or zip bomb)`);
      }
      throw new MetricsInputError(`corrupt deflate data in member ${e.name} (${(err as Error).message})`);
    }
  } else throw new MetricsInputError(`member ${e.name} uses unsupported zip compression method ${e.method}`);
  if (out.length !== e.size) throw new MetricsInputError(`member ${e.name} has ${out.length} bytes, directory says ${e.size}`);
  if (crc32(out) >>> 0 !== e.crc >>> 0) throw new MetricsInputError(`CRC-32 mismatch in member ${e.name} (corrupt archive)`);
  return out;
}

/** Read every array of an `.npz` archive (a path or its bytes). Keys drop the `.npy` suffix, as numpy does. */
export function readNpz(source: string | Uint8Array): Map<string, NpyArray> {
  const label = typeof source === "string" ? source : undefined;
  let fd: number | undefined;
  try {
    let src: ByteSource;
    if (typeof source === "string") {
      fd = openFile(source);
      src = fileSource(fd);
    } else src = bufferSource(source);
    const out = new Map<string, NpyArray>();
    for (const e of readCentralDirectory(src)) {
      try {
        out.set(arrayName(e.name), parseNpy(memberBytes(src, e)));
      } catch (err) {
        if (err instanceof MetricsInputError) throw new MetricsInputError(`array '${arrayName(e.name)}': ${err.message}`);
        throw err;
      }
    }
    return out;
  } catch (err) {
    if (err instanceof MetricsInputError && label !== undefined && err.source === undefined) {
      throw new MetricsInputError(err.message, label);
    }
    throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function openFile(path: string): number {
  try {
    return openSync(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MetricsInputError(code === "ENOENT" ? "no such file" : `cannot open (${code ?? (err as Error).message})`, path);
  }
}

/** Serialise arrays to `.npz` bytes, readable by `np.load`. `compress` deflates members like `np.savez_compressed`. */
export function serializeNpz(arrays: Record<string, NpyArray>, compress = false): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  const enc = new TextEncoder();
  for (const [key, arr] of Object.entries(arrays)) {
    const name = enc.encode(`${key}.npy`);
    const raw = serializeNpy(arr);
    const data = compress ? deflateRawSync(raw) : raw;
    if (raw.length > 0xfffffffe || offset > 0xfffffffe) throw new MetricsInputError("npz writer does not write ZIP64 (member over 4 GiB)");
    const crc = crc32(raw) >>> 0;
    const method = compress ? 8 : 0;
    const lh = new Uint8Array(30 + name.length);
    const lv = dv(lh);
    lv.setUint32(0, SIG_LOC, true);
    lv.setUint16(4, 20, true); // version needed
    lv.setUint16(6, 0, true); // flags
    lv.setUint16(8, method, true);
    lv.setUint16(10, 0, true); // time
    lv.setUint16(12, 0x21, true); // date 1980-01-01
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, raw.length, true);
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, 0, true);
    lh.set(name, 30);
    const ch = new Uint8Array(46 + name.length);
    const cv = dv(ch);
    cv.setUint32(0, SIG_CEN, true);
    cv.setUint16(4, 20, true); // version made by
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0, true);
    cv.setUint16(10, method, true);
    cv.setUint16(12, 0, true);
    cv.setUint16(14, 0x21, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, raw.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(38, 0o100644 << 16, true); // external attributes: regular file rw-r--r--
    cv.setUint32(42, offset, true);
    ch.set(name, 46);
    locals.push(lh, data);
    centrals.push(ch);
    offset += lh.length + data.length;
  }
  const cdSize = centrals.reduce((s, c) => s + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = dv(eocd);
  ev.setUint32(0, SIG_EOCD, true);
  ev.setUint16(8, centrals.length, true);
  ev.setUint16(10, centrals.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let p = 0;
  for (const part of [...locals, ...centrals, eocd]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/**
 * Write bytes to `path` atomically: a temporary file in the same directory, then a rename, so a failure never
 * leaves a partial file behind, nor does Ctrl-C (see {@link withSignalsDeferred}).
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  withSignalsDeferred(() => {
    try {
      writeFileSync(tmp, bytes);
      renameSync(tmp, path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  });
}

/**
 * Runs a synchronous write with SIGINT and SIGTERM held back. With no listener, a signal's default action kills the
 * process at once, between writing the temporary file and renaming (or removing) it, and the temporary file stays.
 * For a signal the process does not handle itself, a listener is added for the write; it is removed two turns of the
 * event loop later (a signal that arrived during the write is delivered in the next poll phase, not the current one),
 * and a signal it caught is raised again with the default action: the process still ends by it, after the write.
 */
function withSignalsDeferred(write: () => void): void {
  const added: [NodeJS.Signals, () => void][] = [];
  const remove = () => {
    for (const [signal, listener] of added) process.off(signal, listener);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    if (process.listenerCount(signal) > 0) continue;
    const reraise = () => {
      remove();
      process.kill(process.pid, signal);
    };
    process.on(signal, reraise);
    added.push([signal, reraise]);
  }
  try {
    write();
  } finally {
    if (added.length > 0) setImmediate(() => setImmediate(remove));
  }
}

/** Write arrays to an `.npz` file (atomically). */
export function writeNpz(path: string, arrays: Record<string, NpyArray>, opts: { compress?: boolean } = {}): void {
  writeFileAtomic(path, serializeNpz(arrays, opts.compress ?? false));
}

/** Header of one member of an archive opened with {@link NpzReader}. */
export interface NpzMemberInfo extends NpyHeader {
  name: string;
  compressed: boolean;
}

/** A batch of leading-axis rows of one array. */
export interface RowBatch {
  /** Index of the first row in the array. */
  start: number;
  rows: number;
  /** Shape of one row (the array's shape without its first axis). */
  rowShape: number[];
  data: NpyData;
}

/**
 * An `.npz` file opened for streaming: headers are read from the central directory and the first bytes of each
 * member; {@link NpzReader.rows} inflates one member chunk by chunk and yields batches of rows.
 */
export class NpzReader {
  private readonly src: ByteSource;
  private readonly entries: ZipEntry[];
  private constructor(
    readonly path: string,
    private readonly fd: number,
  ) {
    this.src = fileSource(fd);
    this.entries = readCentralDirectory(this.src);
  }

  static open(path: string): NpzReader {
    const fd = openFile(path);
    try {
      return new NpzReader(path, fd);
    } catch (err) {
      closeSync(fd);
      if (err instanceof MetricsInputError && err.source === undefined) throw new MetricsInputError(err.message, path);
      throw err;
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Array names in the archive (without `.npy`). */
  keys(): string[] {
    return this.entries.map((e) => arrayName(e.name));
  }

  private entry(key: string): ZipEntry {
    const e = this.entries.find((x) => arrayName(x.name) === key);
    if (e === undefined) throw new MetricsInputError(`no array '${key}' (has: ${this.keys().join(", ") || "none"})`, this.path);
    return e;
  }

  /** The npy header of a member, reading only its first bytes. */
  info(key: string): NpzMemberInfo {
    const e = this.entry(key);
    try {
      const start = dataStart(this.src, e);
      let head: Uint8Array;
      if (e.method === 0) head = this.src.read(start, Math.min(e.compressedSize, 65536 + 12));
      else if (e.method === 8) {
        // Inflate just enough for the header: inflate a prefix of the compressed stream.
        const prefix = this.src.read(start, Math.min(e.compressedSize, 1 << 16));
        head = inflatePrefix(prefix, 65536 + 12);
      } else throw new MetricsInputError(`member ${e.name} uses unsupported zip compression method ${e.method}`);
      const h = parseNpyHeader(head);
      const need = h.dataOffset + numel(h.shape) * h.itemSize;
      if (need !== e.size) {
        throw new MetricsInputError(`array '${key}' is truncated or corrupt: header needs ${need} bytes, member has ${e.size}`);
      }
      return { ...h, name: key, compressed: e.method === 8 };
    } catch (err) {
      if (err instanceof MetricsInputError && err.source === undefined) throw new MetricsInputError(err.message, this.path);
      throw err;
    }
  }

  /** Read one whole array into memory. */
  read(key: string): NpyArray {
    try {
      return parseNpy(memberBytes(this.src, this.entry(key)));
    } catch (err) {
      if (err instanceof MetricsInputError && err.source === undefined) {
        throw new MetricsInputError(`array '${key}': ${err.message}`, this.path);
      }
      throw err;
    }
  }

  /**
   * Stream batches of `batchRows` leading-axis rows of a C-ordered, little-endian member. The CRC-32 is checked
   * when the member ends; a mismatch throws after the last batch.
   */
  async *rows(key: string, batchRows: number): AsyncGenerator<RowBatch> {
    const info = this.info(key);
    if (info.fortranOrder || info.bigEndian) {
      throw new MetricsInputError(`array '${key}' is Fortran-ordered or big-endian; streaming needs C order`, this.path);
    }
    if (info.shape.length === 0) throw new MetricsInputError(`array '${key}' is a scalar`, this.path);
    const e = this.entry(key);
    const rowShape = info.shape.slice(1);
    const rowBytes = numel(rowShape) * info.itemSize;
    const totalRows = info.shape[0];
    const start = dataStart(this.src, e);
    const stream = createReadStream(this.path, { start, end: start + e.compressedSize - 1 });
    const source: AsyncIterable<Buffer> = e.method === 8 ? stream.pipe(createInflateRaw()) : stream;
    let crc = 0;
    let produced = 0; // member bytes seen, bounded by the declared size
    let skip = info.dataOffset; // header bytes still to drop
    const parts: Uint8Array[] = [];
    let buffered = 0;
    let row = 0;
    const per = Math.max(1, batchRows);
    const rowCount = numel(rowShape);
    const take = (rows: number): RowBatch => {
      const bytes = new Uint8Array(rows * rowBytes);
      let p = 0;
      while (p < bytes.length) {
        const head = parts[0];
        const n = Math.min(head.length, bytes.length - p);
        bytes.set(head.subarray(0, n), p);
        p += n;
        if (n === head.length) parts.shift();
        else parts[0] = head.subarray(n);
      }
      buffered -= bytes.length;
      const batch = { start: row, rows, rowShape, data: typedFromBytes(info.dtype, bytes, rows * rowCount) };
      row += rows;
      return batch;
    };
    try {
      for await (const chunk of source) {
        produced += chunk.length;
        if (produced > e.size) {
          throw new MetricsInputError(`array '${key}' inflates past the ${e.size} bytes its directory entry declares (corrupt archive or zip bomb)`, this.path);
        }
        crc = crc32(chunk, crc);
        let c: Uint8Array = chunk;
        if (skip > 0) {
          const s = Math.min(skip, c.length);
          c = c.subarray(s);
          skip -= s;
        }
        if (c.length === 0) continue;
        parts.push(c);
        buffered += c.length;
        while (rowBytes > 0 && buffered >= per * rowBytes) yield take(per);
      }
    } catch (err) {
      if (err instanceof MetricsInputError) throw err;
      throw new MetricsInputError(`corrupt data in array '${key}' (${(err as Error).message})`, this.path);
    } finally {
      stream.destroy();
    }
    const rest = rowBytes > 0 ? Math.floor(buffered / rowBytes) : 0;
    if (rest > 0) yield take(rest);
    if (row !== totalRows || crc >>> 0 !== e.crc >>> 0) {
      throw new MetricsInputError(
        `array '${key}' is truncated or corrupt (read ${row} of ${totalRows} rows, CRC ${crc >>> 0 === e.crc >>> 0 ? "ok" : "mismatch"})`,
        this.path,
      );
    }
  }
}

/**
 * Inflate the start of a raw deflate stream, at most `maxOut` bytes. `prefix` is a prefix of the stream; when
 * it decodes to more than max(`maxOut`, 4 × its length) bytes, a shorter prefix is tried, so the output is
 * bounded whatever the stream holds.
 */
function inflatePrefix(prefix: Uint8Array, maxOut: number): Uint8Array {
  // inflateRawSync throws on an incomplete stream; finishFlush = Z_SYNC_FLUSH returns what it could decode.
  const maxOutputLength = Math.max(maxOut, prefix.length * 4);
  for (let len = prefix.length; ; len = len >> 1) {
    try {
      return inflateRawSync(prefix.subarray(0, len), { finishFlush: 2 /* Z_SYNC_FLUSH */, maxOutputLength });
    } catch (err) {
      // More than we need was decodable: retry with a shorter prefix.
      if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" && len > 1) continue;
      throw new MetricsInputError(`corrupt deflate data (${(err as Error).message})`);
    }
  }
}
