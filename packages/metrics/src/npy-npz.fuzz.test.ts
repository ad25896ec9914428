/**
 * Property tests of the `.npy` and `.npz` readers: thousands of seeded mutations and truncations of small valid
 * files (random bytes, and the header fields a corrupt or hostile file would lie in: header lengths, dtypes,
 * shapes, zip counts, offsets, sizes, ZIP64 fields, zip bombs). Every input must either parse to well-formed
 * arrays (equal in structure to the original when only payload bytes changed) or throw a MetricsInputError,
 * quickly, without allocating more than the file can hold.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import { MetricsInputError } from "./errors.js";
import { numel, parseNpy, serializeNpy, type NpyArray, type NpyDtype } from "./npy.js";
import { NpzReader, readNpz, serializeNpz } from "./npz.js";
import { concat, toZip64 } from "./test-support.js";

/** The largest output of any whole-member inflate (zlib's inflateRawSync) since the last reset. */
const inflated = vi.hoisted(() => ({ max: 0 }));
vi.mock("node:zlib", async (importOriginal) => {
  const zlib = await importOriginal<typeof import("node:zlib")>();
  return {
    ...zlib,
    inflateRawSync: (...args: Parameters<typeof zlib.inflateRawSync>) => {
      const out = zlib.inflateRawSync(...args);
      inflated.max = Math.max(inflated.max, out.length);
      return out;
    },
  };
});

/** Random mutations per format (exhaustive truncations and the file-level NpzReader cases come on top). */
const NPY_CASES = 12_000;
const NPZ_CASES = 12_000;
const NPZ_FILE_CASES = 400;

/** mulberry32: a tiny seeded PRNG. */
class Rng {
  constructor(private s: number) {}
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  u32(): number {
    return (this.next() * 4294967296) >>> 0;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// npy

/** An `.npy` file with the given header dict text (ASCII), padded as numpy pads it, version 1, 2 or 3. */
function npyBytes(dict: string, body: Uint8Array, version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const header = dict + " ".repeat(Math.max(0, total - prefix - dict.length - 1)) + "\n";
  const out = new Uint8Array(prefix + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, header.length, true);
  else v.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i) & 0xff;
  out.set(body, prefix + header.length);
  return out;
}

const TYPED: Record<NpyDtype, new (n: number) => ArrayLike<unknown>> = {
  float64: Float64Array,
  float32: Float32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

interface NpyBase {
  what: string;
  bytes: Uint8Array;
  dataOffset: number;
  dtype: NpyDtype;
  shape: number[];
}

function npyBase(what: string, bytes: Uint8Array): NpyBase {
  const a = parseNpy(bytes); // valid by construction
  return { what, bytes, dataOffset: bytes.length - numel(a.shape) * a.data.BYTES_PER_ELEMENT, dtype: a.dtype, shape: a.shape };
}

const seq = (n: number) => Array.from({ length: n }, (_, i) => i);
const ARRAYS: Record<string, NpyArray> = {
  f8: { dtype: "float64", shape: [3, 4], data: Float64Array.from(seq(12), (i) => i / 7) },
  f4: { dtype: "float32", shape: [2, 3], data: Float32Array.from(seq(6), (i) => i - 2.5) },
  u1: { dtype: "uint8", shape: [2, 2, 3], data: Uint8Array.from(seq(12), (i) => i * 20) },
  i8: { dtype: "int64", shape: [4], data: BigInt64Array.from([-3n, 0n, 5n, 2n ** 40n]) },
  u8: { dtype: "uint64", shape: [2], data: BigUint64Array.from([1n, 2n ** 63n]) },
  b1: { dtype: "bool", shape: [3], data: Uint8Array.from([1, 0, 1]) },
  i2: { dtype: "int16", shape: [], data: Int16Array.from([-7]) },
  empty: { dtype: "int32", shape: [0, 5], data: new Int32Array(0) },
};

const npyBases: NpyBase[] = [
  ...Object.entries(ARRAYS).map(([k, a]) => npyBase(k, serializeNpy(a))),
  npyBase("big-endian f8", npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(24).map((_, i) => (i * 37) & 0xff))),
  npyBase("fortran i4", npyBytes("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", new Uint8Array(new Int32Array(seq(6)).buffer))),
  npyBase("v2 f4", npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", new Uint8Array(16).fill(0x3f), 2)),
  npyBase("v3 u2", npyBytes("{'descr': '<u2', 'fortran_order': False, 'shape': (3L,), }", new Uint8Array(6).fill(7), 3)),
];

const DESCRS = [
  // supported
  "'<f8'", "'<f4'", "'|u1'", "'|i1'", "'<i2'", "'<u2'", "'<i4'", "'<u4'", "'<i8'", "'<u8'", "'|b1'", "'>f8'", "'>i4'", "'=f4'", '"<f8"',
  // not
  "'<f2'", "'<c8'", "'<c16'", "'|O'", "'<U5'", "'|V8'", "'<M8[ns]'", "''", "'<'", "'f8'", "'<<f8'", "'<f8 '", "' <f8'", "'<f16'",
  "'|S3'", "'<f8", "<f8", "None", "1", "True", "[('a', '<f8')]", "'<f8' + ''", "__import__('os').system('touch /tmp/adagen-npy-pwned') or '<f8'",
];
const FORTRANS = ["False", "True", "False", "0", "1", "None", "'False'", "false", "TRUE", "Fals", "True + 1"];
const SHAPES = [
  "()", "(0,)", "(1,)", "(3,)", "(3, 4)", "(4, 3)", "(2, 2, 3)", "(12,)", "(3L, 4L)", "(3)", "(4,)", "(2,)", "(0, 5)", "(5, 0)",
  "(-1,)", "(-0,)", "(4294967296, 4294967296)", "(9007199254740991,)", "(9007199254740993,)", "(99999999999999999999999,)",
  "(1e3,)", "(3.0,)", "('3',)", "(3, 4", "3", "[3, 4]", `(${"1, ".repeat(70)})`, `(${"1, ".repeat(64)})`,
  "(0, 9007199254740991, 9007199254740991)", "(2147483648, 2147483648, 0)", "(1125899906842624, 8)", "(0x10,)", "(2**62,)",
  "(,)", "(3,,)", "(None,)", "(True,)", "(3, (4,))",
];

/** A header dict with each part drawn from hostile lists, in a random key layout. */
function hostileHeader(rng: Rng): string {
  const entries = [`'descr': ${rng.pick(DESCRS)}`, `'fortran_order': ${rng.pick(FORTRANS)}`, `'shape': ${rng.pick(SHAPES)}`];
  const r = rng.int(12);
  if (r === 0) entries.splice(rng.int(3), 1); // missing key
  else if (r === 1) entries.push(`'extra': True`);
  else if (r === 2) entries.push(entries[rng.int(3)]); // duplicate key
  else if (r === 3) entries.reverse(); // key order is free
  else if (r === 4) entries[rng.int(3)] = entries[rng.int(3)].replace(/'(\w+)':/, '"$1":');
  let text = `{${entries.join(", ")}, }`;
  const t = rng.int(14);
  if (t === 0) text = text.slice(1); // no brace
  else if (t === 1) text += " junk";
  else if (t === 2) text = text.replace(", }", "}");
  else if (t === 3) text = text.replace("{", "{'descr': '<f8', ").replace(/, }$/, "}");
  else if (t === 4) text = `(globalThis.__pwned = 1, ${text})`;
  else if (t === 5) text = text.replace(/ /g, "\t");
  return text;
}

/** `maxInflate`: the most bytes the reader may inflate from this input (a zip bomb's declared size). */
type Mutation = { bytes: Uint8Array; payloadOnly: boolean; kind: string; maxInflate?: number };

function byteMutation(src: Uint8Array, payloadStart: number, rng: Rng): Mutation {
  const n = src.length;
  switch (rng.int(8)) {
    case 0:
    case 1: {
      const b = src.slice();
      const lo = rng.int(2) === 1 && n > payloadStart ? payloadStart : 0;
      for (let k = 1 + rng.int(4); k > 0; k--) b[lo + rng.int(n - lo)] ^= 1 + rng.int(255);
      return { bytes: b, payloadOnly: lo > 0, kind: "flip" };
    }
    case 2: {
      const b = src.slice();
      const at = rng.int(n);
      b[at] ^= 1 << rng.int(8);
      return { bytes: b, payloadOnly: at >= payloadStart, kind: "bitflip" };
    }
    case 3: {
      const at = rng.int(n + 1);
      return { bytes: concat(src.subarray(0, at), rng.bytes(1 + rng.int(8)), src.subarray(at)), payloadOnly: false, kind: "insert" };
    }
    case 4: {
      const at = rng.int(n);
      return { bytes: concat(src.subarray(0, at), src.subarray(at + 1 + rng.int(8))), payloadOnly: false, kind: "delete" };
    }
    case 5:
      return { bytes: src.slice(0, rng.int(n)), payloadOnly: false, kind: "truncate" };
    case 6:
      return { bytes: concat(src, rng.bytes(1 + rng.int(16))), payloadOnly: false, kind: "append" };
    default: {
      const b = src.slice();
      const len = 1 + rng.int(Math.min(32, n));
      const from = rng.int(n - len + 1);
      const to = rng.int(n - len + 1);
      b.copyWithin(to, from, from + len);
      return { bytes: b, payloadOnly: from >= payloadStart && to >= payloadStart, kind: "splice" };
    }
  }
}

function npyMutation(base: NpyBase, rng: Rng): Mutation {
  const r = rng.int(16);
  if (r < 8) return byteMutation(base.bytes, base.dataOffset, rng);
  const b = base.bytes.slice();
  const v = new DataView(b.buffer);
  if (r === 8 || r === 9) {
    // header length field
    const version = b[6];
    const max = version === 1 ? 0xffff : 0xffffffff;
    const val = rng.pick([0, 1, max, max - 1, 0x8000, b.length, b.length - 10, b.length - 9, rng.u32() % (max + 1)]);
    if (version === 1) v.setUint16(8, val & 0xffff, true);
    else v.setUint32(8, val >>> 0, true);
    return { bytes: b, payloadOnly: false, kind: "header-length" };
  }
  if (r === 10) {
    b[6 + rng.int(2)] = rng.pick([0, 1, 2, 3, 4, 255]);
    return { bytes: b, payloadOnly: false, kind: "version" };
  }
  // A hostile header dict; the body is the original, empty, random, or exactly what the declared shape needs.
  const dict = hostileHeader(rng);
  const body = (() => {
    switch (rng.int(4)) {
      case 0:
        return base.bytes.subarray(base.dataOffset);
      case 1:
        return new Uint8Array(0);
      case 2:
        return rng.bytes(rng.int(97));
      default: {
        const dims = /\(([\d, ]*)\)/.exec(dict)?.[1].split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number) ?? [];
        const need = numel(dims) * 8;
        return Number.isSafeInteger(need) && need <= 4096 ? rng.bytes(need) : rng.bytes(8);
      }
    }
  })();
  return { bytes: npyBytes(dict, body, rng.pick([1, 1, 2, 3])), payloadOnly: false, kind: "header-dict" };
}

// ---------------------------------------------------------------------------------------------------------------
// npz


/** A zip of raw members (any bytes, not only valid npy), with correct CRCs and sizes unless told otherwise. */
function zipOf(members: { name: string; data: Uint8Array; deflated?: Uint8Array; declaredSize?: number; crc?: number }[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = new TextEncoder().encode(m.name);
    const stored = m.deflated ?? m.data;
    const crc = m.crc ?? crc32(m.data) >>> 0;
    const size = m.declaredSize ?? m.data.length;
    const method = m.deflated === undefined ? 0 : 8;
    const lh = new Uint8Array(30 + name.length);
    const lv = new DataView(lh.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, stored.length, true);
    lv.setUint32(22, size, true);
    lv.setUint16(26, name.length, true);
    lh.set(name, 30);
    const ch = new Uint8Array(46 + name.length);
    const cv = new DataView(ch.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, stored.length, true);
    cv.setUint32(24, size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    ch.set(name, 46);
    locals.push(lh, stored);
    centrals.push(ch);
    offset += lh.length + stored.length;
  }
  const cdSize = centrals.reduce((s, c) => s + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, centrals.length, true);
  ev.setUint16(10, centrals.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  return concat(...locals, ...centrals, eocd);
}

interface ZipLayout {
  eocd: number;
  eocd64?: number;
  locator?: number;
  /** Central directory entries: where each starts, its extra field, and its member's local header. */
  entries: { cen: number; extra: number; extraLen: number; loc: number }[];
}

function layout(zip: Uint8Array): ZipLayout {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  let count = v.getUint16(eocd + 10, true);
  let cdOffset = v.getUint32(eocd + 16, true);
  let eocd64: number | undefined;
  let locator: number | undefined;
  if (count === 0xffff) {
    locator = eocd - 20;
    eocd64 = Number(v.getBigUint64(locator + 8, true));
    count = Number(v.getBigUint64(eocd64 + 32, true));
    cdOffset = Number(v.getBigUint64(eocd64 + 48, true));
  }
  const entries: ZipLayout["entries"] = [];
  let p = cdOffset;
  for (let e = 0; e < count; e++) {
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const lho = v.getUint32(p + 42, true);
    const loc = lho === 0xffffffff ? Number(v.getBigUint64(p + 46 + nameLen + 20, true)) : lho;
    entries.push({ cen: p, extra: p + 46 + nameLen, extraLen, loc });
    p += 46 + nameLen + extraLen + v.getUint16(p + 32, true);
  }
  return { eocd, eocd64, locator, entries };
}

interface NpzBase {
  what: string;
  bytes: Uint8Array;
  layout: ZipLayout;
}

const NPZ_ARRAYS = { f8: ARRAYS.f8, u1: ARRAYS.u1, i8: ARRAYS.i8, b1: ARRAYS.b1, scalar: ARRAYS.i2, empty: ARRAYS.empty };
const npzBases: NpzBase[] = [
  ["stored", serializeNpz(NPZ_ARRAYS)],
  ["deflated", serializeNpz(NPZ_ARRAYS, true)],
  ["zip64", toZip64(serializeNpz({ f8: ARRAYS.f8, u1: ARRAYS.u1, b1: ARRAYS.b1 }))],
  ["deflated zeros", serializeNpz({ zeros: { dtype: "uint8", shape: [64, 64], data: new Uint8Array(4096) } }, true)],
].map(([what, bytes]) => ({ what: what as string, bytes: bytes as Uint8Array, layout: layout(bytes as Uint8Array) }));

/** Zip bombs: an npy header then `zeros` zero bytes, deflated (prepared once: deflating megabytes per case is slow). */
const BOMB_ZEROS = [1 << 20, 4 << 20];
const bombs = BOMB_ZEROS.map((zeros) => {
  const data = concat(npyBytes(`{'descr': '|u1', 'fortran_order': False, 'shape': (${zeros},), }`, new Uint8Array(0)), new Uint8Array(zeros));
  return { zeros, data, deflated: deflateRawSync(data, { level: 9 }), crc: crc32(data) >>> 0 };
});

function setField(b: Uint8Array, at: number, width: 2 | 4 | 8, rng: Rng): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (width === 8) {
    const cur = v.getBigUint64(at, true);
    v.setBigUint64(at, rng.pick([0n, 1n, cur + 1n, cur - 1n < 0n ? 0n : cur - 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n, BigInt(b.length), BigInt(rng.u32()) * 65536n]), true);
    return;
  }
  const cur = width === 2 ? v.getUint16(at, true) : v.getUint32(at, true);
  const max = width === 2 ? 0xffff : 0xffffffff;
  const val = rng.pick([0, 1, max, max - 1, width === 2 ? 0x8000 : 0x7fffffff, cur + 1, cur - 1, cur * 2000, b.length, b.length + 1, rng.u32()]);
  if (width === 2) v.setUint16(at, Math.max(0, val) & 0xffff, true);
  else v.setUint32(at, Math.max(0, val) >>> 0, true);
}

function npzMutation(base: NpzBase, rng: Rng): Mutation {
  const r = rng.int(20);
  if (r < 6) return byteMutation(base.bytes, base.bytes.length, rng);
  const b = base.bytes.slice();
  const L = base.layout;
  if (r === 6 || r === 7) {
    // end-of-central-directory record: counts, directory size and offset, comment length, signature
    const [off, w] = rng.pick([[8, 2], [10, 2], [12, 4], [16, 4], [20, 2], [0, 4]] as const);
    setField(b, L.eocd + off, w, rng);
    return { bytes: b, payloadOnly: false, kind: "eocd" };
  }
  if (r >= 8 && r <= 10) {
    // a central directory entry: method, CRC, sizes, name/extra/comment lengths, local header offset, signature
    const e = rng.pick(L.entries);
    const [off, w] = rng.pick([[10, 2], [16, 4], [20, 4], [24, 4], [28, 2], [30, 2], [32, 2], [42, 4], [0, 4]] as const);
    setField(b, e.cen + off, w, rng);
    return { bytes: b, payloadOnly: false, kind: "central" };
  }
  if (r === 11) {
    // a local header: signature, method, sizes, name and extra lengths
    const e = rng.pick(L.entries);
    const [off, w] = rng.pick([[0, 4], [8, 2], [18, 4], [22, 4], [26, 2], [28, 2]] as const);
    setField(b, e.loc + off, w, rng);
    return { bytes: b, payloadOnly: false, kind: "local" };
  }
  if (r === 12 && L.eocd64 !== undefined && L.locator !== undefined) {
    // ZIP64: end record counts/size/offset, locator offset, or an entry's extra field (id, length, values)
    const e = rng.pick(L.entries);
    const [at, w] = rng.pick([
      [L.eocd64 + 32, 8], [L.eocd64 + 40, 8], [L.eocd64 + 48, 8], [L.eocd64, 4], [L.locator + 8, 8],
      [e.extra, 2], [e.extra + 2, 2], [e.extra + 4, 8], [e.extra + 12, 8], [e.extra + 20, 8], [e.cen + 30, 2],
    ] as const);
    setField(b, at, w, rng);
    return { bytes: b, payloadOnly: false, kind: "zip64" };
  }
  if (r <= 16) {
    // a mutated npy member in an otherwise valid archive (correct CRC and sizes), stored or deflated
    const nb = rng.pick(npyBases);
    const m = npyMutation(nb, rng);
    const members: Parameters<typeof zipOf>[0] = [{ name: "x.npy", data: m.bytes, deflated: rng.int(2) === 1 ? deflateRawSync(m.bytes) : undefined }];
    if (rng.int(2) === 1) members.unshift({ name: "ok.npy", data: serializeNpy(ARRAYS.f4) });
    return { bytes: zipOf(members), payloadOnly: false, kind: `npy-in-zip` };
  }
  if (r === 17) {
    // zip bomb: a small deflate stream of many zeros, its declared size honest, small, or beyond what it can hold
    const bomb = rng.pick(bombs);
    const declaredSize = rng.pick([bomb.data.length, 128, 0, bomb.deflated.length * 1032 + 4096, 0xffffffff, bomb.data.length - 1]);
    return {
      bytes: zipOf([{ name: "bomb.npy", data: bomb.data, deflated: bomb.deflated, declaredSize, crc: bomb.crc }]),
      payloadOnly: false,
      kind: "zip-bomb",
      maxInflate: Math.max(1, declaredSize),
    };
  }
  return byteMutation(base.bytes, base.bytes.length, rng);
}

// ---------------------------------------------------------------------------------------------------------------
// oracles

/** The error must be the reader's own MetricsInputError, not one from an allocation, a DataView or zlib. */
function expectCleanError(err: unknown, what: string, prefix?: string): void {
  if (!(err instanceof MetricsInputError) || (prefix !== undefined && !err.message.startsWith(prefix))) {
    throw new Error(`${what}: not a clean reader error: ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`, { cause: err });
  }
}

function expectWellFormed(a: NpyArray, what: string): void {
  const ok =
    a.shape.every((s) => Number.isSafeInteger(s) && s >= 0) &&
    a.data instanceof TYPED[a.dtype] &&
    a.data.length === numel(a.shape);
  if (!ok) throw new Error(`${what}: malformed result ${a.dtype} (${a.shape}) with ${a.data.constructor.name}[${a.data.length}]`);
}

interface Tally {
  ok: number;
  rejected: number;
  maxMs: number;
  kinds: Map<string, number>;
}
const tally = (): Tally => ({ ok: 0, rejected: 0, maxMs: 0, kinds: new Map() });
const summary = (t: Tally) => `${t.ok} parsed well-formed, ${t.rejected} rejected; slowest ${t.maxMs.toFixed(2)} ms`;

function timed<T>(t: Tally, f: () => T): T {
  const t0 = performance.now();
  try {
    return f();
  } finally {
    t.maxMs = Math.max(t.maxMs, performance.now() - t0);
  }
}

function npyCase(bytes: Uint8Array, payloadOnly: boolean, base: NpyBase, what: string, t: Tally): void {
  let a: NpyArray;
  try {
    a = timed(t, () => parseNpy(bytes));
  } catch (err) {
    expectCleanError(err, what);
    t.rejected++;
    return;
  }
  t.ok++;
  expectWellFormed(a, what);
  if (a.data.byteLength > bytes.length) throw new Error(`${what}: ${a.data.byteLength} bytes of data from a ${bytes.length}-byte file`);
  if (payloadOnly && (a.dtype !== base.dtype || a.shape.join() !== base.shape.join())) throw new Error(`${what}: payload change altered the structure`);
}

function npzCase(bytes: Uint8Array, what: string, t: Tally, maxInflate = Infinity): void {
  let m: Map<string, NpyArray>;
  inflated.max = 0;
  try {
    m = timed(t, () => readNpz(bytes));
  } catch (err) {
    expectCleanError(err, what);
    t.rejected++;
    return;
  } finally {
    // A bomb may be rejected, but only before inflating past its declared size.
    if (inflated.max > maxInflate) throw new Error(`${what}: inflated ${inflated.max} bytes, the member declares ${maxInflate}`);
  }
  t.ok++;
  let total = 0;
  for (const [k, a] of m) {
    expectWellFormed(a, `${what} '${k}'`);
    total += a.data.byteLength;
  }
  // Deflate expands at most 1032:1: nothing read from an archive can be larger than that.
  if (total > bytes.length * 1032) throw new Error(`${what}: ${total} bytes of data from a ${bytes.length}-byte archive`);
}

function arrayBuffersMiB(): number {
  return process.memoryUsage().arrayBuffers / 2 ** 20;
}

// ---------------------------------------------------------------------------------------------------------------

describe(".npy: safe loading under mutation (property)", () => {
  it("every truncation of every valid file is rejected with a clean error", () => {
    const t = tally();
    let cases = 0;
    for (const base of npyBases) {
      expect(parseNpy(base.bytes).shape).toEqual(base.shape);
      for (let len = 0; len < base.bytes.length; len++, cases++) npyCase(base.bytes.subarray(0, len), false, base, `${base.what} truncated to ${len}`, t);
    }
    expect(t.rejected).toBe(cases);
    console.log(`npy truncations: ${cases} cases, all rejected, slowest ${t.maxMs.toFixed(2)} ms`);
  });

  it(`${NPY_CASES} seeded random mutations: a well-formed array or a MetricsInputError, fast, never evaluated`, () => {
    const rng = new Rng(0x6e7079);
    const t = tally();
    const before = arrayBuffersMiB();
    let peak = 0;
    for (let i = 0; i < NPY_CASES; i++) {
      const base = rng.pick(npyBases);
      const m = npyMutation(base, rng);
      t.kinds.set(m.kind, (t.kinds.get(m.kind) ?? 0) + 1);
      npyCase(m.bytes, m.payloadOnly, base, `case ${i} (${base.what}, ${m.kind})`, t);
      if (i % 500 === 0) peak = Math.max(peak, arrayBuffersMiB() - before);
    }
    expect(t.ok + t.rejected).toBe(NPY_CASES);
    expect(t.ok).toBeGreaterThan(0);
    expect(t.rejected).toBeGreaterThan(NPY_CASES / 2);
    expect(t.maxMs).toBeLessThan(1000);
    expect(peak).toBeLessThan(64);
    expect((globalThis as Record<string, unknown>).__pwned).toBeUndefined();
    expect(existsSync("/tmp/adagen-npy-pwned")).toBe(false);
    console.log(`npy mutations: ${NPY_CASES} cases (${[...t.kinds].map(([k, v]) => `${k} ${v}`).join(", ")}): ${summary(t)}`);
  });

  it("names the field for hostile headers", () => {
    const f8 = (dict: string, body = new Uint8Array(0), version = 1) => () => parseNpy(npyBytes(dict, body, version));
    const d = (descr: string, shape: string, fortran = "False") => `{'descr': ${descr}, 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
    expect(f8(d("'<f8'", "(4294967296, 4294967296)"))).toThrow(/shape \(4294967296, 4294967296\) of float64 is too large/);
    expect(f8(d("'<f8'", "(4294967296, 2)"))).toThrow(/truncated .npy data: shape \(4294967296, 2\) needs 68719476736 bytes, found 0/);
    expect(f8(d("'<f8'", "(9007199254740991, 9007199254740991)"))).toThrow(/shape \(9007199254740991, 9007199254740991\) of float64 is too large \(over 2\^53 bytes\)/);
    expect(f8(d("'<f8'", "(1125899906842624, 8)"))).toThrow(/is too large/);
    expect(f8(d("'<f8'", "(-1,)"))).toThrow(/malformed .npy shape \(-1\)/);
    expect(f8(d("'<f8'", "(1e3,)"))).toThrow(/malformed .npy header .*expected ',' or '\)' in the tuple for 'shape'/);
    expect(f8(d("'|O'", "(3,)"))).toThrow(/unsupported .npy dtype '\|O'/);
    expect(f8(d("'<f8'", "(3,)", "1"))).toThrow(/malformed .npy header .*unsupported value for 'fortran_order'/);
    expect(f8(d("__import__('os').system('touch /tmp/adagen-npy-pwned') or '<f8'", "(3,)"))).toThrow(/malformed .npy header/);
    expect(f8(`{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'shape': (4,), }`)).toThrow(/duplicate key 'shape'/);
    expect(f8(`{'descr': '<f8', 'fortran_order': False, 'shape': (3,), 'x': True, }`)).toThrow(/keys are \(descr, fortran_order, shape, x\)/);
    expect(f8(`{'descr': '<f8', 'fortran_order': False, }`)).toThrow(/keys are \(descr, fortran_order\)/);
    expect(f8(`{'descr': '<f8', 'fortran_order': False, 'shape': (3,), } junk`)).toThrow(/unexpected text after the dict/);
    expect(f8(`{'descr': '<f8', 'fortran_order': False, 'shape': (${"1, ".repeat(65)}), }`)).toThrow(/more than 64 entries/);
    expect(existsSync("/tmp/adagen-npy-pwned")).toBe(false);
    const big = npyBytes(d("'<f8'", "(3,)"), new Uint8Array(24));
    new DataView(big.buffer).setUint16(8, 0xffff, true);
    expect(() => parseNpy(big)).toThrow(/truncated .npy header \(need 65545 bytes, have 152\)/);
    expect(() => parseNpy(npyBytes(d("'<f8'", "(3,)"), new Uint8Array(24), 4))).toThrow(/unsupported .npy format version 4.0/);
    // numpy's own spellings still parse: Python 2 longs, a 1-tuple without its comma, double quotes, any key order.
    expect(parseNpy(npyBytes(d("'<f8'", "(1L, 3L)"), new Uint8Array(24))).shape).toEqual([1, 3]);
    expect(parseNpy(npyBytes(d('"<u1"', "(3)"), new Uint8Array(3))).shape).toEqual([3]);
    expect(parseNpy(npyBytes(`{"shape": (2,), "fortran_order": False, "descr": "<i2"}`, new Uint8Array(4))).dtype).toBe("int16");
  });
});

describe(".npz: safe loading under mutation (property)", () => {
  it("every truncation of every valid archive is rejected with a clean error", () => {
    const t = tally();
    let cases = 0;
    for (const base of npzBases) {
      expect(readNpz(base.bytes).size).toBe(base.layout.entries.length);
      for (let len = 0; len < base.bytes.length; len++, cases++) npzCase(base.bytes.subarray(0, len), `${base.what} truncated to ${len}`, t);
    }
    expect(t.rejected).toBe(cases);
    console.log(`npz truncations: ${cases} cases, all rejected, slowest ${t.maxMs.toFixed(2)} ms`);
  });

  it(`${NPZ_CASES} seeded random mutations: well-formed arrays or a MetricsInputError, fast, bounded inflation`, () => {
    const rng = new Rng(0x6e707a);
    const t = tally();
    const before = arrayBuffersMiB();
    let peak = 0;
    for (let i = 0; i < NPZ_CASES; i++) {
      const base = rng.pick(npzBases);
      const m = npzMutation(base, rng);
      t.kinds.set(m.kind, (t.kinds.get(m.kind) ?? 0) + 1);
      npzCase(m.bytes, `case ${i} (${base.what}, ${m.kind})`, t, m.maxInflate);
      if (i % 500 === 0) peak = Math.max(peak, arrayBuffersMiB() - before);
    }
    expect(t.ok + t.rejected).toBe(NPZ_CASES);
    expect(t.ok).toBeGreaterThan(0);
    expect(t.rejected).toBeGreaterThan(NPZ_CASES / 2);
    expect(t.maxMs).toBeLessThan(1000);
    expect(peak).toBeLessThan(128);
    console.log(`npz mutations: ${NPZ_CASES} cases (${[...t.kinds].map(([k, v]) => `${k} ${v}`).join(", ")}): ${summary(t)}`);
  });

  it(`${NPZ_FILE_CASES} mutated archives on disk through NpzReader (open, keys, info, read, rows): clean errors naming the file`, async () => {
    const rng = new Rng(0x7265);
    const dir = mkdtempSync(join(tmpdir(), "npz-fuzz-"));
    const t = tally();
    let slowest = "";
    for (let i = 0; i < NPZ_FILE_CASES; i++) {
      const base = rng.pick(npzBases);
      const m = npzMutation(base, rng);
      const path = join(dir, `case.npz`);
      writeFileSync(path, m.bytes);
      const what = `file case ${i} (${base.what}, ${m.kind})`;
      const t0 = performance.now();
      let reader: NpzReader | undefined;
      try {
        reader = NpzReader.open(path);
        for (const key of reader.keys()) {
          const info = reader.info(key);
          const a = reader.read(key);
          expectWellFormed(a, `${what} '${key}'`);
          expect(a.shape).toEqual(info.shape);
          if (info.shape.length > 0 && !info.fortranOrder && !info.bigEndian) {
            let rows = 0;
            // A few batches per array: small batches of a 4 MiB bomb member would only measure the per-batch cost.
            for await (const batch of reader.rows(key, Math.max(2, Math.ceil(info.shape[0] / 4)))) {
              expect(batch.data.length).toBe(batch.rows * numel(batch.rowShape));
              rows += batch.rows;
            }
            expect(rows).toBe(info.shape[0]);
          }
        }
        t.ok++;
      } catch (err) {
        expectCleanError(err, what, path);
        t.rejected++;
      } finally {
        reader?.close();
      }
      const ms = performance.now() - t0;
      if (ms > t.maxMs) slowest = what;
      t.maxMs = Math.max(t.maxMs, ms);
    }
    expect(t.ok + t.rejected).toBe(NPZ_FILE_CASES);
    expect(t.maxMs).toBeLessThan(2000);
    console.log(`npz file mutations through NpzReader: ${NPZ_FILE_CASES} cases: ${summary(t)} (${slowest})`);
  });

  it("bounds declared sizes, offsets and inflation (zip bombs), naming the member", async () => {
    const bomb = bombs[1];
    const zip = (declaredSize: number) => zipOf([{ name: "bomb.npy", data: bomb.data, deflated: bomb.deflated, declaredSize, crc: bomb.crc }]);
    // honest: a 4 MiB member from a ~4 KiB stream is legitimate (within deflate's 1032:1)
    inflated.max = 0;
    expect(readNpz(zip(bomb.data.length)).get("bomb")!.shape).toEqual([bomb.zeros]);
    expect(inflated.max).toBe(bomb.data.length); // the inflate spy sees the reader's calls
    inflated.max = 0;
    expect(() => readNpz(zip(128))).toThrow(/member bomb.npy inflates past the 128 bytes its directory entry declares/);
    expect(inflated.max).toBe(0); // stopped by maxOutputLength, nothing returned
    expect(() => readNpz(zip(0xffffffff))).toThrow(/declares 4294967295 bytes, more than \d+ deflated bytes can hold/);
    const stored = serializeNpz({ f8: ARRAYS.f8 });
    const L = layout(stored);
    const set32 = (at: number, val: number) => {
      const b = stored.slice();
      new DataView(b.buffer).setUint32(at, val, true);
      return b;
    };
    expect(() => readNpz(set32(L.entries[0].cen + 24, 5))).toThrow(/stored member declares 5 bytes but \d+ compressed bytes/);
    expect(() => readNpz(set32(L.entries[0].cen + 42, 0x7fffffff))).toThrow(/local header offset 2147483647 is past the end of the file/);
    expect(() => readNpz(set32(L.eocd + 12, 0xffffffff))).toThrow(/central directory \(4294967295 bytes at \d+\) extends past the end/);
    const many = stored.slice();
    new DataView(many.buffer).setUint16(L.eocd + 10, 5000, true);
    expect(() => readNpz(many)).toThrow(/5000 entries cannot fit/);
    const dup = zipOf([{ name: "a.npy", data: serializeNpy(ARRAYS.f4) }, { name: "a.npy", data: serializeNpy(ARRAYS.f4) }]);
    expect(() => readNpz(dup)).toThrow(/duplicate member "a.npy"/);
    // the streamed path stops too: a stream that inflates past its declared size is an error, not endless rows
    const dir = mkdtempSync(join(tmpdir(), "npz-bomb-"));
    const path = join(dir, "bomb.npz");
    const header = npyBytes(`{'descr': '|u1', 'fortran_order': False, 'shape': (64,), }`, new Uint8Array(0));
    const liar = concat(header, new Uint8Array(1 << 20));
    writeFileSync(path, zipOf([{ name: "arr_0.npy", data: liar, deflated: deflateRawSync(liar), declaredSize: header.length + 64 }]));
    const r = NpzReader.open(path);
    await expect(async () => {
      for await (const _ of r.rows("arr_0", 16)) void _;
    }).rejects.toThrow(/arr_0' inflates past the 192 bytes its directory entry declares/);
    r.close();
  });
});
