/**
 * Property test of the `.adagen` reader: thousands of seeded mutations and truncations of small valid files.
 * Every input must either parse to a well-formed result (equal to the original when only payload bytes
 * changed) or throw a plain Error naming the file, quickly, and never allocate more than the file holds.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { parseTensorFile, readTensorFile, serializeTensorFile, writeTensorFile, type TensorFile } from "./tensor-file.js";

const LABEL = "fuzz.adagen";
/** Mutated inputs per run (random mutations; exhaustive truncations come on top). */
const CASES = 12_000;

const f32 = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

const BASES: TensorFile[] = [
  {
    meta: { kind: "policy", step: 3, lr: 1e-3, tags: ["a", "b"], nested: { ok: true, none: null } },
    tensors: {
      "actor/w": { shape: [3, 4], data: f32(12, (i) => i / 7 - 0.5) },
      "actor/b": { shape: [4], data: f32(4, (i) => -i) },
      scalar: { shape: [], data: f32(1, () => 2.5) },
      empty: { shape: [0, 5], data: new Float32Array(0) },
    },
  },
  { meta: {}, tensors: {} },
  {
    meta: { note: "odd names" },
    // Own keys named like Object.prototype members (an object literal's `__proto__:` would set the prototype).
    tensors: Object.fromEntries([
      ["__proto__", { shape: [2], data: f32(2, (i) => i + 1) }],
      ["constructor", { shape: [1, 1, 2], data: f32(2, (i) => Math.cos(i)) }],
    ]),
  },
];

interface Base {
  content: TensorFile;
  bytes: Buffer;
  dataStart: number;
  header: { meta: Record<string, unknown>; tensors: { name: string; shape: number[]; offset: number; length: number }[] };
}

const bases: Base[] = BASES.map((content) => {
  const bytes = serializeTensorFile(content);
  const headerLength = bytes.readUInt32LE(8);
  return { content, bytes, dataStart: 12 + headerLength, header: JSON.parse(bytes.toString("utf8", 12, 12 + headerLength)) };
});

/** Same layout as the writer: prefix, header padded to 4 bytes, body. */
function assemble(header: unknown, body: Uint8Array, rawHeader?: string): Buffer {
  let h = Buffer.from(rawHeader ?? JSON.stringify(header), "utf8");
  h = Buffer.concat([h, Buffer.alloc((4 - ((12 + h.length) % 4)) % 4, 0x20)]);
  const prefix = Buffer.alloc(12);
  prefix.write("ADAGEN01", 0, "ascii");
  prefix.writeUInt32LE(h.length, 8);
  return Buffer.concat([prefix, h, body]);
}

const NASTY_SHAPES: unknown[] = [
  [2 ** 31, 2 ** 31],
  [1e300],
  [-1],
  [1.5],
  ["3"],
  null,
  {},
  "3,4",
  [Number.MAX_SAFE_INTEGER],
  [2 ** 53],
  [2 ** 53 - 1, 2 ** 53 - 1, 2 ** 53 - 1, 0],
  [2 ** 32, 0],
  [0, 2 ** 40],
  Array(100).fill(1),
  Array(64).fill(2),
  [null],
  [[3]],
  [],
  [1],
  [12],
  [4, 3],
  [3, 4, 1],
];
const NASTY_COUNTS: unknown[] = [-1, 2 ** 32, 2 ** 53, 1e300, 0.5, "0", null, true, [], 0, 1, 3, 4, 12, 16, 17, -0];
const NASTY_NAMES: unknown[] = [0, null, ["w"], "", "__proto__", "constructor", "x".repeat(5000), "actor/w", "actor/b", "scalar"];
const NASTY_OBJECTS: unknown[] = [null, [], 5, "x", true, {}, { a: 1 }];

type Mutation = { bytes: Buffer; payloadOnly: boolean; kind: string };

function pick<T>(rng: Random, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

function mutate(base: Base, rng: Random): Mutation {
  const src = base.bytes;
  const n = src.length;
  const kind = rng.int(12);
  switch (kind) {
    case 0:
    case 1: {
      // 1-4 random byte changes (kind 1: only in the payload, when there is one)
      const b = Buffer.from(src);
      const lo = kind === 1 && n > base.dataStart ? base.dataStart : 0;
      const k = 1 + rng.int(4);
      for (let i = 0; i < k; i++) b[lo + rng.int(n - lo)] ^= 1 + rng.int(255);
      return { bytes: b, payloadOnly: lo > 0, kind: "flip" };
    }
    case 2: {
      const b = Buffer.from(src);
      const at = rng.int(n);
      b[at] ^= 1 << rng.int(8);
      return { bytes: b, payloadOnly: at >= base.dataStart, kind: "bitflip" };
    }
    case 3: {
      const at = rng.int(n + 1);
      const ins = Buffer.from(Array.from({ length: 1 + rng.int(8) }, () => rng.int(256)));
      return { bytes: Buffer.concat([src.subarray(0, at), ins, src.subarray(at)]), payloadOnly: false, kind: "insert" };
    }
    case 4: {
      const at = rng.int(n);
      const len = 1 + rng.int(8);
      return { bytes: Buffer.concat([src.subarray(0, at), src.subarray(at + len)]), payloadOnly: false, kind: "delete" };
    }
    case 5:
      return { bytes: Buffer.from(src.subarray(0, rng.int(n))), payloadOnly: false, kind: "truncate" };
    case 6: {
      const b = Buffer.from(src);
      const hl = src.readUInt32LE(8);
      const v = pick(rng, [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, n, n - 11, n - 12, n - 13, hl - 1, hl + 1, hl + 4, rng.nextUint32()]);
      b.writeUInt32LE(v >>> 0, 8);
      return { bytes: b, payloadOnly: false, kind: "header-length" };
    }
    case 7:
    case 8: {
      // A field of the JSON directory set to a hostile value; header length kept consistent.
      const h = structuredClone(base.header) as Record<string, unknown> & { tensors: Record<string, unknown>[] };
      const body = src.subarray(base.dataStart);
      if (h.tensors.length > 0 && rng.uniform() < 0.85) {
        const t = h.tensors[rng.int(h.tensors.length)];
        const field = pick(rng, ["shape", "shape", "offset", "length", "name", "drop", "extra"]);
        if (field === "shape") t.shape = pick(rng, NASTY_SHAPES);
        else if (field === "offset" || field === "length") t[field] = pick(rng, NASTY_COUNTS);
        else if (field === "name") t.name = pick(rng, NASTY_NAMES);
        else if (field === "drop") delete t[pick(rng, ["shape", "offset", "length", "name"])];
        else h.tensors.push(structuredClone(t));
      } else {
        const field = pick(rng, ["meta", "tensors", "tensors-entry", "root"]);
        if (field === "meta") h.meta = pick(rng, NASTY_OBJECTS);
        else if (field === "tensors") h.tensors = pick(rng, NASTY_OBJECTS) as never;
        else if (field === "tensors-entry") h.tensors.push(pick(rng, NASTY_OBJECTS) as never);
        else return { bytes: assemble(null, body, pick(rng, ["null", "[]", '"x"', "1", "{}", "{\"meta\":{}}", ""])), payloadOnly: false, kind: "json-root" };
      }
      return { bytes: assemble(h, body), payloadOnly: false, kind: "json-field" };
    }
    case 9: {
      const extra = Buffer.from(Array.from({ length: 1 + rng.int(16) }, () => rng.int(256)));
      return { bytes: Buffer.concat([src, extra]), payloadOnly: false, kind: "append" };
    }
    case 10: {
      const b = Buffer.from(src);
      b[rng.int(8)] = rng.int(256);
      return { bytes: b, payloadOnly: false, kind: "magic" };
    }
    default: {
      // Copy a chunk of the file over another place (duplicated structure).
      const b = Buffer.from(src);
      const len = 1 + rng.int(Math.min(32, n));
      const from = rng.int(n - len + 1);
      const to = rng.int(n - len + 1);
      src.copy(b, to, from, from + len);
      return { bytes: b, payloadOnly: to >= base.dataStart && from >= base.dataStart, kind: "splice" };
    }
  }
}

function isCount(x: unknown): boolean {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/** A parse result that a caller can use: every tensor's data matches its shape, and nothing exceeds the file. */
function expectWellFormed(r: TensorFile, input: Uint8Array): void {
  expect(typeof r.meta === "object" && r.meta !== null && !Array.isArray(r.meta)).toBe(true);
  let bytes = 0;
  for (const [name, t] of Object.entries(r.tensors)) {
    expect(typeof name).toBe("string");
    expect(Array.isArray(t.shape) && t.shape.every(isCount)).toBe(true);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
    bytes += t.data.byteLength;
  }
  expect(bytes).toBeLessThanOrEqual(input.length);
}

function expectSameStructure(r: TensorFile, base: TensorFile): void {
  expect(r.meta).toEqual(base.meta);
  expect(Object.keys(r.tensors)).toEqual(Object.keys(base.tensors));
  for (const [name, t] of Object.entries(base.tensors)) {
    expect(r.tensors[name].shape).toEqual(t.shape);
    expect(r.tensors[name].data.length).toBe(t.data.length);
  }
}

/** The error must be the reader's own: a plain Error naming the file, not one from an allocation or a JS engine check. */
function expectCleanError(err: unknown, label: string, what: string): void {
  if (!(err instanceof Error) || err.constructor !== Error || !err.message.startsWith(label)) {
    throw new Error(`${what}: not a clean reader error: ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`);
  }
}

/** Stats over one run of the property. */
interface Outcome {
  ok: number;
  rejected: number;
  maxMs: number;
  maxArrayBuffersGrowth: number;
}

function runCase(bytes: Buffer, payloadOnly: boolean, base: Base, what: string, out: Outcome): void {
  const t0 = performance.now();
  let result: TensorFile | undefined;
  try {
    result = parseTensorFile(bytes, LABEL);
  } catch (err) {
    expectCleanError(err, LABEL, what);
  }
  out.maxMs = Math.max(out.maxMs, performance.now() - t0);
  if (result === undefined) {
    out.rejected++;
    return;
  }
  out.ok++;
  expectWellFormed(result, bytes);
  if (payloadOnly) expectSameStructure(result, base.content);
}

describe("tensor files: safe loading under mutation (property)", () => {
  it("the writer's bytes parse back to the original", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "adagen-tf-fuzz-"));
    for (const [i, b] of bases.entries()) {
      const file = path.join(dir, `${i}.adagen`);
      await writeTensorFile(file, b.content);
      expect(readFileSync(file).equals(b.bytes)).toBe(true);
      const back = await readTensorFile(file);
      expect(back.meta).toEqual(b.content.meta);
      expect(Object.keys(back.tensors)).toEqual(Object.keys(b.content.tensors));
      for (const [name, t] of Object.entries(b.content.tensors)) {
        expect(back.tensors[name].shape).toEqual(t.shape);
        expect([...back.tensors[name].data]).toEqual([...t.data]);
      }
    }
    expect(Object.getPrototypeOf(parseTensorFile(bases[2].bytes).tensors)).toBe(Object.prototype);
  });

  it("every truncation of every valid file is rejected with a clean error", () => {
    const out: Outcome = { ok: 0, rejected: 0, maxMs: 0, maxArrayBuffersGrowth: 0 };
    let cases = 0;
    for (const base of bases) {
      for (let len = 0; len < base.bytes.length; len++) {
        runCase(base.bytes.subarray(0, len), false, base, `truncated to ${len}`, out);
        cases++;
      }
    }
    expect(out.ok).toBe(0);
    expect(out.rejected).toBe(cases);
    console.log(`tensor-file truncations: ${cases} cases, all rejected, slowest ${out.maxMs.toFixed(2)} ms`);
  });

  it(`${CASES} seeded random mutations: a well-formed result or a clean error, fast, no oversized allocation`, () => {
    const rng = new Random(20240611);
    const out: Outcome = { ok: 0, rejected: 0, maxMs: 0, maxArrayBuffersGrowth: 0 };
    const kinds = new Map<string, number>();
    const baseline = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < CASES; i++) {
      const base = bases[rng.int(bases.length)];
      const m = mutate(base, rng);
      kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
      runCase(m.bytes, m.payloadOnly, base, `case ${i} (${m.kind})`, out);
      if (i % 500 === 0) out.maxArrayBuffersGrowth = Math.max(out.maxArrayBuffersGrowth, process.memoryUsage().arrayBuffers - baseline);
    }
    expect(out.ok + out.rejected).toBe(CASES);
    expect(out.rejected).toBeGreaterThan(CASES / 2);
    expect(out.ok).toBeGreaterThan(0); // payload-only mutations parse
    expect(out.maxMs).toBeLessThan(1000); // no hang: each case is a parse of a few hundred bytes
    expect(out.maxArrayBuffersGrowth).toBeLessThan(64 * 2 ** 20);
    console.log(
      `tensor-file mutations: ${CASES} cases (${[...kinds].map(([k, v]) => `${k} ${v}`).join(", ")}): ` +
        `${out.ok} parsed well-formed, ${out.rejected} rejected; slowest ${out.maxMs.toFixed(2)} ms`,
    );
  });

  it("names the file and the field for hostile headers, through readTensorFile", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "adagen-tf-bad-"));
    const file = path.join(dir, "bad.adagen");
    const base = bases[0];
    const body = base.bytes.subarray(base.dataStart);
    const withTensor = (patch: Record<string, unknown>) =>
      assemble({ ...base.header, tensors: [{ ...base.header.tensors[0], ...patch }, ...base.header.tensors.slice(1)] }, body);
    const cases: [Buffer, RegExp][] = [
      [(() => { const b = Buffer.from(base.bytes); b.writeUInt32LE(0xffffffff, 8); return b; })(), /is truncated \(header length 4294967295/],
      [withTensor({ shape: [2 ** 20, 2 ** 20] }), /tensor "actor\/w": shape \[1048576,1048576\] needs 1099511627776 values, length says 12/],
      [withTensor({ shape: [2 ** 53 - 1, 2 ** 53 - 1] }), /needs over 2\^53 values/],
      [withTensor({ shape: [-1, -12] }), /shape \[-1,-12\] has -1, not a non-negative integer/],
      [withTensor({ shape: [3, 4], length: 2 ** 40 }), /needs 12 values, length says 1099511627776/],
      [withTensor({ shape: [2 ** 20, 2 ** 20], length: 2 ** 40 }), /is truncated \(tensor "actor\/w" spans values 0..1099511627776/],
      [withTensor({ offset: 1e9 }), /is truncated \(tensor "actor\/w" spans values 1000000000/],
      [withTensor({ offset: 10 }), /is truncated \(tensor "actor\/w" spans values 10..22, the file holds 17 float32 values\)/],
      [Buffer.concat([withTensor({ offset: 10 }), Buffer.alloc(40)]), /offset 10 \+ length 12 is past the 17 values of the data block/],
      [withTensor({ name: "actor/b" }), /tensor "actor\/b" appears twice/],
      [withTensor({ name: 7 }), /tensors\[0\]: name is 7, not a string/],
      [assemble({ meta: null, tensors: [] }, Buffer.alloc(0)), /meta is null, not an object/],
      [assemble({ meta: {}, tensors: {} }, Buffer.alloc(0)), /tensors is \{\}, not an array/],
      [assemble(null, Buffer.alloc(0), '{"meta":{},"tensors":[]} "trailing"'), /has a corrupt header$/],
      [Buffer.concat([base.bytes, Buffer.alloc(3)]), /has 3 bytes after its 17 float32 values/],
    ];
    for (const [bytes, re] of cases) {
      writeFileSync(file, bytes);
      const err = await readTensorFile(file).then(
        () => undefined,
        (e: unknown) => e,
      );
      expectCleanError(err, file, re.source);
      expect((err as Error).message).toMatch(re);
    }
    // The Python-ish / code-looking header is data to JSON.parse, never code.
    writeFileSync(file, assemble(null, Buffer.alloc(0), "(globalThis.__pwned = 1, {meta: {}, tensors: []})"));
    await expect(readTensorFile(file)).rejects.toThrow(/has a corrupt header/);
    expect((globalThis as Record<string, unknown>).__pwned).toBeUndefined();
  });
});
