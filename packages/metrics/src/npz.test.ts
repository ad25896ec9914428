import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NpzReader, readNpz, serializeNpz, writeNpz } from "./npz.js";
import { parseNpy, serializeNpy, type NpyArray } from "./npy.js";
import { fixture, toZip64 } from "./test-support.js";

const PYTHON = "/usr/bin/python3";
const hasNumpy = (() => {
  try {
    execFileSync(PYTHON, ["-c", "import numpy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

function expectNumpyArrays(m: Map<string, NpyArray>): void {
  const f8 = m.get("f8")!;
  expect(f8.dtype).toBe("float64");
  expect(f8.shape).toEqual([3, 4]);
  expect(f8.data[5]).toBe(5 / 7);
  expect(Array.from(m.get("f4")!.data as ArrayLike<number>)).toEqual([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]);
  const u1 = m.get("u1")!;
  expect(u1.shape).toEqual([2, 4, 4, 3]);
  expect(u1.data[95]).toBe(95);
  expect(Array.from(m.get("i8")!.data as BigInt64Array)).toEqual([-3n, 0n, 5n, 2n ** 40n]);
  expect(Array.from(m.get("i4")!.data as ArrayLike<number>)).toEqual([-1, 2, 3, -4]);
  expect(m.get("b1")!.dtype).toBe("bool");
  expect(Array.from(m.get("b1")!.data as ArrayLike<number>)).toEqual([1, 0, 1]);
  expect(Array.from(m.get("be_f8")!.data as ArrayLike<number>)).toEqual([1.5, -2.25, 3e10]);
  expect(Array.from(m.get("fortran")!.data as ArrayLike<number>)).toEqual([0, 1, 2, 3, 4, 5]);
  expect(m.get("scalar")!.shape).toEqual([]);
  expect(m.get("scalar")!.data[0]).toBe(3.5);
  expect(m.get("empty")!.shape).toEqual([0, 5]);
}

describe("npz written by numpy", () => {
  it("reads np.savez (stored)", () => expectNumpyArrays(readNpz(fixture("numpy_stored.npz"))));
  it("reads np.savez_compressed (deflated)", () => expectNumpyArrays(readNpz(fixture("numpy_deflated.npz"))));

  it("streams rows of an ADM sample batch, stored and deflated", async () => {
    for (const name of ["samples_28.npz", "samples_28_b.npz"]) {
      const r = NpzReader.open(fixture(name));
      expect(r.info("arr_0").shape).toEqual([24, 28, 28, 1]);
      const whole = r.read("arr_0");
      const seen: number[] = [];
      let offset = 0;
      for await (const b of r.rows("arr_0", 5)) {
        seen.push(b.rows);
        expect(Array.from(b.data.subarray(0, 10) as ArrayLike<number>)).toEqual(Array.from(whole.data.subarray(offset, offset + 10) as ArrayLike<number>));
        offset += b.rows * 28 * 28;
      }
      r.close();
      expect(seen).toEqual([5, 5, 5, 5, 4]);
    }
  });
});

describe("npz written here", () => {
  const arrays: Record<string, NpyArray> = {
    mu: { dtype: "float64", shape: [3], data: Float64Array.of(1.5, -2, Math.PI) },
    sigma: { dtype: "float32", shape: [2, 2], data: Float32Array.of(1, 0.5, 0.5, 2) },
    arr_0: { dtype: "uint8", shape: [2, 2, 2, 1], data: Uint8Array.of(0, 1, 2, 3, 252, 253, 254, 255) },
    arr_1: { dtype: "int64", shape: [2], data: BigInt64Array.of(7n, -1n) },
  };

  for (const compress of [false, true]) {
    it(`round-trips (${compress ? "deflated" : "stored"})`, () => {
      const back = readNpz(serializeNpz(arrays, compress));
      for (const [k, a] of Object.entries(arrays)) {
        expect(back.get(k)!.shape).toEqual(a.shape);
        expect(back.get(k)!.dtype).toBe(a.dtype);
        expect(Array.from(back.get(k)!.data as ArrayLike<unknown>)).toEqual(Array.from(a.data as ArrayLike<unknown>));
      }
    });
  }

  it.skipIf(!hasNumpy)("is read by numpy (Debian python)", () => {
    const dir = mkdtempSync(join(tmpdir(), "npz-"));
    for (const compress of [false, true]) {
      const path = join(dir, `x${compress}.npz`);
      writeNpz(path, arrays, { compress });
      const out = execFileSync(PYTHON, [
        "-c",
        "import numpy as np, sys, json; z = np.load(sys.argv[1]); " +
          "print(json.dumps({k: [str(z[k].dtype), list(z[k].shape), z[k].ravel().tolist()] for k in z.files}))",
        path,
      ]).toString();
      const got = JSON.parse(out);
      expect(got.mu).toEqual(["float64", [3], [1.5, -2, Math.PI]]);
      expect(got.sigma).toEqual(["float32", [2, 2], [1, 0.5, 0.5, 2]]);
      expect(got.arr_0[2]).toEqual([0, 1, 2, 3, 252, 253, 254, 255]);
      expect(got.arr_1).toEqual(["int64", [2], [7, -1]]);
    }
  });

  it("writes .npy byte-identical to numpy's header layout", () => {
    const bytes = serializeNpy(arrays.mu);
    expect((bytes.length - 3 * 8) % 64).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(10, 128))).toContain("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }");
    expect(Array.from(parseNpy(bytes).data as ArrayLike<number>)).toEqual([1.5, -2, Math.PI]);
  });

  it("writes atomically (no temp files left)", () => {
    const dir = mkdtempSync(join(tmpdir(), "npz-"));
    writeNpz(join(dir, "a.npz"), arrays);
    expect(readdirSync(dir)).toEqual(["a.npz"]);
  });
});

describe("corrupt and truncated archives", () => {
  const good = readFileSync(fixture("stats_a.npz"));
  const dir = mkdtempSync(join(tmpdir(), "npz-bad-"));

  it("names the problem for a truncated file", () => {
    const p = join(dir, "trunc.npz");
    writeFileSync(p, good.subarray(0, good.length - 3000));
    expect(() => readNpz(p)).toThrow(new RegExp(`^${p}: .*(truncated|not a zip)`));
  });

  it("detects a flipped data byte by CRC", () => {
    const p = join(dir, "flip.npz");
    const b = Buffer.from(good);
    b[2000] ^= 0xff;
    writeFileSync(p, b);
    expect(() => readNpz(p)).toThrow(/CRC-32 mismatch/);
  });

  it("rejects a non-zip file and a missing file", () => {
    const p = join(dir, "text.npz");
    writeFileSync(p, "hello, this is not an npz archive at all........");
    expect(() => readNpz(p)).toThrow(/not a zip archive/);
    expect(() => readNpz(join(dir, "nope.npz"))).toThrow(/nope.npz: no such file/);
    expect(existsSync(join(dir, "nope.npz"))).toBe(false);
  });
});


describe("ZIP64 archives (members over 4 GiB, e.g. 50,000 x 256 x 256 x 3 sample batches)", () => {
  it("reads the ZIP64 end record and extra fields, in memory and streamed", async () => {
    const images = Uint8Array.from({ length: 6 * 4 * 4 * 3 }, (_, i) => (i * 7) % 256);
    const zip = toZip64(serializeNpz({ arr_0: { dtype: "uint8", shape: [6, 4, 4, 3], data: images }, arr_1: { dtype: "int64", shape: [6], data: BigInt64Array.from([0n, 1n, 2n, 3n, 4n, 5n]) } }));
    const m = readNpz(zip);
    expect(m.get("arr_0")!.shape).toEqual([6, 4, 4, 3]);
    expect(Array.from(m.get("arr_0")!.data as Uint8Array)).toEqual(Array.from(images));
    const dir = mkdtempSync(join(tmpdir(), "npz64-"));
    const path = join(dir, "z64.npz");
    writeFileSync(path, zip);
    const r = NpzReader.open(path);
    let rows = 0;
    for await (const b of r.rows("arr_0", 4)) rows += b.rows;
    r.close();
    expect(rows).toBe(6);
    if (hasNumpy) {
      // numpy agrees that the rewritten archive is a valid ZIP64 file.
      const out = execFileSync(PYTHON, ["-c", "import numpy as np, sys; print(np.load(sys.argv[1])['arr_0'].sum())", path]).toString();
      expect(Number(out)).toBe(images.reduce((s, x) => s + x, 0));
    }
  });
});
