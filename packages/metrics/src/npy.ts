/**
 * numpy `.npy` arrays in memory: parse and serialise format versions 1.0, 2.0 and 3.0
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
 *
 * Arrays are C-ordered on return: a Fortran-ordered file is transposed while reading. Big-endian data is
 * byte-swapped. 64-bit integers come back as BigInt64Array/BigUint64Array, exactly as stored.
 */
import { MetricsInputError } from "./errors.js";

export type NpyDtype =
  | "float64"
  | "float32"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "uint64"
  | "bool";

export type NpyData =
  | Float64Array
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** An n-dimensional array in C (row-major) order. `bool` arrays use a Uint8Array of 0/1. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

interface DtypeInfo {
  dtype: NpyDtype;
  size: number;
  code: string; // numpy kind+size without byte order, e.g. "f8"
  make: (buf: ArrayBuffer, offset: number, length: number) => NpyData;
}

const DTYPES: DtypeInfo[] = [
  { dtype: "float64", size: 8, code: "f8", make: (b, o, n) => new Float64Array(b, o, n) },
  { dtype: "float32", size: 4, code: "f4", make: (b, o, n) => new Float32Array(b, o, n) },
  { dtype: "int8", size: 1, code: "i1", make: (b, o, n) => new Int8Array(b, o, n) },
  { dtype: "uint8", size: 1, code: "u1", make: (b, o, n) => new Uint8Array(b, o, n) },
  { dtype: "int16", size: 2, code: "i2", make: (b, o, n) => new Int16Array(b, o, n) },
  { dtype: "uint16", size: 2, code: "u2", make: (b, o, n) => new Uint16Array(b, o, n) },
  { dtype: "int32", size: 4, code: "i4", make: (b, o, n) => new Int32Array(b, o, n) },
  { dtype: "uint32", size: 4, code: "u4", make: (b, o, n) => new Uint32Array(b, o, n) },
  { dtype: "int64", size: 8, code: "i8", make: (b, o, n) => new BigInt64Array(b, o, n) },
  { dtype: "uint64", size: 8, code: "u8", make: (b, o, n) => new BigUint64Array(b, o, n) },
  { dtype: "bool", size: 1, code: "b1", make: (b, o, n) => new Uint8Array(b, o, n) },
];

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The parsed header of an `.npy` file, and where its data begins. */
export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  fortranOrder: boolean;
  bigEndian: boolean;
  /** Byte offset of the first data byte. */
  dataOffset: number;
  /** Bytes per element. */
  itemSize: number;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Most dimensions an array may have (numpy 2's NPY_MAXDIMS). */
const MAX_DIMS = 64;

type HeaderValue = string | boolean | number[];

/**
 * Parse the Python-literal dict of an npy header, e.g. `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`,
 * with a strict grammar: string keys, values that are quoted strings, `True`/`False` or tuples of integers,
 * optional trailing commas, whitespace. Nothing is evaluated; anything else is an error (a message fragment).
 */
function parseHeaderLiteral(text: string): Map<string, HeaderValue> | string {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r\f\v".includes(text[i])) i++;
  };
  const str = (): string | undefined => {
    const q = text[i];
    if (q !== "'" && q !== '"') return undefined;
    const end = text.indexOf(q, i + 1);
    if (end < 0) return undefined;
    const v = text.slice(i + 1, end);
    if (/[\\\n\r]/.test(v)) return undefined; // escapes never occur in a header numpy writes
    i = end + 1;
    return v;
  };
  const out = new Map<string, HeaderValue>();
  ws();
  if (text[i++] !== "{") return "expected '{'";
  for (;;) {
    ws();
    if (text[i] === "}") break;
    const key = str();
    if (key === undefined) return `expected a quoted key at character ${i}`;
    if (out.has(key)) return `duplicate key '${key}'`;
    ws();
    if (text[i++] !== ":") return `expected ':' after '${key}'`;
    ws();
    let value: HeaderValue;
    if (text[i] === "'" || text[i] === '"') {
      const v = str();
      if (v === undefined) return `unterminated string for '${key}'`;
      value = v;
    } else if (text.startsWith("True", i) || text.startsWith("False", i)) {
      value = text[i] === "T";
      i += value ? 4 : 5;
    } else if (text[i] === "(") {
      i++;
      const items: number[] = [];
      for (;;) {
        ws();
        if (text[i] === ")") break;
        const m = /^-?[0-9]{1,20}[lL]?/.exec(text.slice(i, i + 24));
        if (m === null) return `expected an integer in the tuple for '${key}'`;
        i += m[0].length;
        items.push(Number(m[0].replace(/[lL]$/, "")) + 0); // + 0: "-0" is 0
        if (items.length > MAX_DIMS) return `more than ${MAX_DIMS} entries in the tuple for '${key}'`;
        ws();
        if (text[i] === ",") i++;
        else if (text[i] !== ")") return `expected ',' or ')' in the tuple for '${key}'`;
      }
      i++;
      value = items;
    } else return `unsupported value for '${key}'`;
    out.set(key, value);
    ws();
    if (text[i] === ",") i++;
    else if (text[i] !== "}") return `expected ',' or '}' after '${key}'`;
  }
  i++;
  ws();
  if (i !== text.length) return `unexpected text after the dict at character ${i}`;
  return out;
}

/**
 * Parse the header of an `.npy` byte string. Needs only the first bytes (10 + header length); throws
 * MetricsInputError naming the problem when the bytes are not an npy header this reader supports. The header
 * dict is parsed by a strict literal parser (never evaluated), and the shape is checked to be non-negative
 * integers whose byte count is a safe integer; whether the data is present is the caller's check.
 */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 10) throw new MetricsInputError(`truncated .npy header (${bytes.length} bytes)`);
  for (let i = 0; i < 6; i++) {
    if (bytes[i] !== MAGIC[i]) throw new MetricsInputError("not a .npy array (bad magic string)");
  }
  const major = bytes[6];
  let headerLen: number;
  let start: number;
  if (bytes[7] !== 0 || (major !== 1 && major !== 2 && major !== 3)) {
    throw new MetricsInputError(`unsupported .npy format version ${major}.${bytes[7]}`);
  }
  if (major === 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    start = 10;
  } else {
    if (bytes.length < 12) throw new MetricsInputError("truncated .npy header");
    headerLen = (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16)) + bytes[11] * 2 ** 24;
    start = 12;
  }
  if (bytes.length < start + headerLen) {
    throw new MetricsInputError(`truncated .npy header (need ${start + headerLen} bytes, have ${bytes.length})`);
  }
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? "utf-8" : "latin1", { fatal: true }).decode(bytes.subarray(start, start + headerLen));
  } catch {
    throw new MetricsInputError("malformed .npy header (not UTF-8)");
  }
  const shown = () => JSON.stringify(text.trim().slice(0, 200));
  const dict = parseHeaderLiteral(text);
  if (typeof dict === "string") throw new MetricsInputError(`malformed .npy header ${shown()}: ${dict}`);
  const keys = [...dict.keys()].sort().join(", ");
  if (keys !== "descr, fortran_order, shape") {
    throw new MetricsInputError(`malformed .npy header ${shown()}: keys are (${keys}), need descr, fortran_order, shape`);
  }
  const descr = dict.get("descr");
  const fortran = dict.get("fortran_order");
  const shape = dict.get("shape");
  if (typeof descr !== "string" || typeof fortran !== "boolean" || !Array.isArray(shape)) {
    throw new MetricsInputError(`malformed .npy header ${shown()}`);
  }
  for (const v of shape) {
    if (!Number.isSafeInteger(v) || v < 0) throw new MetricsInputError(`malformed .npy shape (${shape.join(", ")})`);
  }
  const order = descr[0];
  const code = descr.slice(1);
  const info = DTYPES.find((d) => d.code === code);
  if (info === undefined || order === undefined || !"<>|=".includes(order)) {
    throw new MetricsInputError(
      `unsupported .npy dtype '${descr.slice(0, 40)}' (supported: ${DTYPES.map((d) => d.dtype).join(", ")})`,
    );
  }
  // Byte count of the data, exact: it must be a safe integer (no file holds more).
  let bytesNeeded = shape.includes(0) ? 0 : info.size;
  for (const v of shape) bytesNeeded = Math.min(bytesNeeded * v, Number.MAX_SAFE_INTEGER + 1);
  if (bytesNeeded > Number.MAX_SAFE_INTEGER) {
    throw new MetricsInputError(`.npy shape (${shape.join(", ")}) of ${info.dtype} is too large (over 2^53 bytes)`);
  }
  return {
    dtype: info.dtype,
    shape,
    fortranOrder: fortran,
    bigEndian: order === ">" && info.size > 1,
    dataOffset: start + headerLen,
    itemSize: info.size,
  };
}

function infoOf(dtype: NpyDtype): DtypeInfo {
  const info = DTYPES.find((d) => d.dtype === dtype);
  if (info === undefined) throw new MetricsInputError(`unknown dtype ${dtype}`);
  return info;
}

/** Build a typed array of `dtype` over a fresh copy of `bytes` (little-endian element bytes). */
export function typedFromBytes(dtype: NpyDtype, bytes: Uint8Array, count: number): NpyData {
  const info = infoOf(dtype);
  const copy = new Uint8Array(count * info.size);
  copy.set(bytes.subarray(0, count * info.size));
  return info.make(copy.buffer, 0, count);
}

function byteSwap(bytes: Uint8Array, size: number): void {
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Transpose a Fortran-ordered element buffer to C order (elements of `size` bytes). */
function fortranToC(bytes: Uint8Array<ArrayBuffer>, shape: number[], size: number): Uint8Array<ArrayBuffer> {
  const nd = shape.length;
  if (nd < 2) return bytes;
  const n = numel(shape);
  const out = new Uint8Array(bytes.length);
  const fStrides = new Array<number>(nd);
  let s = 1;
  for (let d = 0; d < nd; d++) {
    fStrides[d] = s;
    s *= shape[d];
  }
  const idx = new Array<number>(nd).fill(0);
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let d = 0; d < nd; d++) f += idx[d] * fStrides[d];
    out.set(bytes.subarray(f * size, f * size + size), c * size);
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Parse a whole `.npy` byte string. */
export function parseNpy(bytes: Uint8Array): NpyArray {
  const h = parseNpyHeader(bytes);
  const count = numel(h.shape);
  const need = count * h.itemSize;
  const have = bytes.length - h.dataOffset;
  if (have < need) {
    throw new MetricsInputError(`truncated .npy data: shape (${h.shape.join(", ")}) needs ${need} bytes, found ${have}`);
  }
  let body: Uint8Array<ArrayBuffer> = new Uint8Array(need);
  body.set(bytes.subarray(h.dataOffset, h.dataOffset + need));
  if (h.bigEndian) byteSwap(body, h.itemSize);
  if (h.fortranOrder) body = fortranToC(body, h.shape, h.itemSize);
  return { dtype: h.dtype, shape: h.shape, data: infoOf(h.dtype).make(body.buffer, body.byteOffset, count) };
}

/** Serialise to `.npy` version 1.0 (2.0 when the header needs it), little-endian, C order, as numpy writes. */
export function serializeNpy(arr: NpyArray): Uint8Array {
  const info = infoOf(arr.dtype);
  const count = numel(arr.shape);
  if (arr.data.length !== count) {
    throw new MetricsInputError(`array data has ${arr.data.length} elements, shape (${arr.shape.join(", ")}) needs ${count}`);
  }
  const order = info.size === 1 ? "|" : "<";
  const shapeText = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(", ")})`;
  let header = `{'descr': '${order}${info.code}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let version = 1;
  let prefix = 10;
  if (header.length + 1 + prefix > 65535) {
    version = 2;
    prefix = 12;
  }
  const total = Math.ceil((prefix + header.length + 1) / 64) * 64;
  header = header + " ".repeat(total - prefix - header.length - 1) + "\n";
  const out = new Uint8Array(total + count * info.size);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const hl = header.length;
  if (version === 1) {
    out[8] = hl & 0xff;
    out[9] = hl >> 8;
  } else {
    new DataView(out.buffer).setUint32(8, hl, true);
  }
  for (let i = 0; i < hl; i++) out[prefix + i] = header.charCodeAt(i);
  out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, count * info.size), total);
  return out;
}

/** Element values as float64 (64-bit integers through Number). */
export function toFloat64(arr: NpyArray): Float64Array {
  const d = arr.data;
  if (d instanceof Float64Array) return d;
  const out = new Float64Array(d.length);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  } else {
    out.set(d);
  }
  return out;
}
