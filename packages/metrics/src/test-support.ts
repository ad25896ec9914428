/**
 * Test helpers shared by the metrics and bench tests (not exported from the package): fixture paths and the
 * hash generator that tooling/metrics/make_fixtures.py uses, reproduced bit-exactly.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseNpy, toFloat64 } from "./npy.js";
import type { FeatureBatch, FeatureStatistics } from "./stats.js";
import { gemmAcc, transpose } from "./linalg.js";

export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

export function fixture(name: string): string {
  return `${FIXTURES}${name}`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const reference: any = JSON.parse(readFileSync(fixture("reference.json"), "utf8"));

/** A 2-D float64 `.npy` fixture as a feature batch. */
export function loadFeatures(name: string): FeatureBatch {
  const arr = parseNpy(readFileSync(fixture(name)));
  return { data: toFloat64(arr), rows: arr.shape[0], dims: arr.shape[1] };
}

/** lowbias32(i · 0x9E3779B9 + seed · 0x85EBCA6B) / 2³² − 0.5, as make_fixtures.py's hash_uniform. */
export function hashUniform(seed: number, count: number): Float64Array {
  const out = new Float64Array(count);
  const base = Math.imul(seed >>> 0, 0x85ebca6b) >>> 0;
  for (let i = 0; i < count; i++) {
    let x = (Math.imul(i, 0x9e3779b9) + base) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d) >>> 0;
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b) >>> 0;
    x ^= x >>> 16;
    out[i] = (x >>> 0) / 2 ** 32 - 0.5;
  }
  return out;
}

/** make_fixtures.py's hash_stats: mu, sigma = U Uᵀ / k (+ diagonal). */
export function hashStats(n: number, k: number, seed: number, diag: boolean): FeatureStatistics {
  const mu = hashUniform(seed, n);
  const U = hashUniform(seed + 1, n * k);
  const Ut = transpose(U, n, k);
  const sigma = new Float64Array(n * n);
  gemmAcc(sigma, n, U, k, Ut, n, n, k, n, { lowerOnly: true });
  const dv = diag ? hashUniform(seed + 2, n) : undefined;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = sigma[i * n + j] / k;
      sigma[i * n + j] = v;
      sigma[j * n + i] = v;
    }
    if (dv) sigma[i * n + i] += 0.01 + 0.1 * (dv[i] + 0.5);
  }
  return { mu, sigma };
}

export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}

/**
 * Rewrite a stored archive from serializeNpz into ZIP64 form, as numpy/zipfile write members over 4 GiB:
 * central-directory sizes and offsets moved to ZIP64 extra fields, plus a ZIP64 end record and locator.
 */
export function toZip64(zip: Uint8Array): Uint8Array {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  const count = v.getUint16(eocd + 10, true);
  const cdSize = v.getUint32(eocd + 12, true);
  const cdOffset = v.getUint32(eocd + 16, true);
  const parts: Uint8Array[] = [zip.subarray(0, cdOffset)];
  let p = cdOffset;
  let newCdSize = 0;
  for (let e = 0; e < count; e++) {
    const nameLen = v.getUint16(p + 28, true);
    const head = new Uint8Array(46 + nameLen + 28);
    head.set(zip.subarray(p, p + 46 + nameLen));
    const h = new DataView(head.buffer);
    const comp = h.getUint32(20, true);
    const size = h.getUint32(24, true);
    const off = h.getUint32(42, true);
    h.setUint32(20, 0xffffffff, true);
    h.setUint32(24, 0xffffffff, true);
    h.setUint32(42, 0xffffffff, true);
    h.setUint16(30, 28, true); // extra length
    const x = 46 + nameLen;
    h.setUint16(x, 1, true);
    h.setUint16(x + 2, 24, true);
    h.setBigUint64(x + 4, BigInt(size), true);
    h.setBigUint64(x + 12, BigInt(comp), true);
    h.setBigUint64(x + 20, BigInt(off), true);
    parts.push(head);
    newCdSize += head.length;
    p += 46 + nameLen;
  }
  if (p !== cdOffset + cdSize) throw new Error(`toZip64: central directory ends at ${p}, expected ${cdOffset + cdSize}`);
  const rec = new DataView(new ArrayBuffer(56 + 20 + 22));
  rec.setUint32(0, 0x06064b50, true);
  rec.setBigUint64(4, 44n, true);
  rec.setUint16(12, 45, true);
  rec.setUint16(14, 45, true);
  rec.setBigUint64(24, BigInt(count), true);
  rec.setBigUint64(32, BigInt(count), true);
  rec.setBigUint64(40, BigInt(newCdSize), true);
  rec.setBigUint64(48, BigInt(cdOffset), true);
  rec.setUint32(56, 0x07064b50, true);
  rec.setUint32(60, 0, true); // disk with the ZIP64 end record
  rec.setBigUint64(64, BigInt(cdOffset + newCdSize), true);
  rec.setUint32(72, 1, true); // total disks
  rec.setUint32(76, 0x06054b50, true);
  rec.setUint16(84, 0xffff, true);
  rec.setUint16(86, 0xffff, true);
  rec.setUint32(88, 0xffffffff, true);
  rec.setUint32(92, 0xffffffff, true);
  parts.push(new Uint8Array(rec.buffer));
  return concat(...parts);
}

/** The byte arrays one after another. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
