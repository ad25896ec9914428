/**
 * The WebAssembly SIMD kernels (wasm/kernels.wat) and a scoped float64 arena in their memory. Matrices that the
 * kernels should touch must live in that memory: `withWasmArena(doubles, alloc => …)` reserves room up front
 * (growing memory detaches earlier views, so nothing grows inside a scope) and hands out Float64Array views.
 * Without WebAssembly SIMD (or with ADAGEN_METRICS_NO_WASM=1) everything runs on the plain JavaScript kernels.
 */
import { KERNELS_WASM_BASE64 } from "./kernels-wasm.js";

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

// The WebAssembly global, typed locally (the project's `lib` has no DOM/WebAssembly declarations).
const WA = (
  globalThis as unknown as {
    WebAssembly?: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { exports: unknown };
    };
  }
).WebAssembly;

export interface Kernels {
  memory: WasmMemory;
  tile4x4(a: number, lda: number, bp: number, kc: number, c: number, ldc: number): void;
  fusedPass(A: number, n: number, s0: number, v: number, w: number, u: number, y: number): void;
}

/** Bytes at the start of memory reserved for gemm's packed B block. */
export const PACK_BYTES = 256 * 64 * 8;

let kernels: Kernels | null | undefined;
let enabled = typeof process === "undefined" || process.env?.ADAGEN_METRICS_NO_WASM !== "1";
let arenaTop = -1; // byte offset of the next free double while a scope is open; -1: no scope
let arenaLimit = 0;

function load(): Kernels | null {
  if (kernels !== undefined) return kernels;
  try {
    if (WA === undefined) throw new Error("no WebAssembly");
    const bytes = Uint8Array.from(atob(KERNELS_WASM_BASE64), (c) => c.charCodeAt(0));
    const instance = new WA.Instance(new WA.Module(bytes), {});
    kernels = instance.exports as unknown as Kernels;
    const need = PACK_BYTES - kernels.memory.buffer.byteLength;
    if (need > 0) kernels.memory.grow(Math.ceil(need / 65536));
  } catch {
    kernels = null;
  }
  return kernels;
}

/** The kernels when they are usable and enabled, else null. */
export function wasmKernels(): Kernels | null {
  return enabled ? load() : null;
}

/** Turn the WebAssembly kernels off or on (for comparisons and tests). Returns the previous setting. */
export function setWasmEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** Whether `a` is a view into the kernels' memory. */
export function inWasm(a: Float64Array): boolean {
  const k = wasmKernels();
  return k !== null && a.buffer === k.memory.buffer;
}

export type Alloc = (doubles: number) => Float64Array;

/** A zeroed float64 array from the open arena (see {@link withWasmArena}). */
export function wasmScratch(n: number): Float64Array {
  const k = wasmKernels();
  if (k === null || arenaTop < 0) throw new Error("no WebAssembly arena is open");
  const start = arenaTop;
  const end = start + n * 8;
  if (end > arenaLimit) throw new Error("wasm arena overflow (reserve more doubles)");
  arenaTop = (end + 15) & ~15;
  const view = new Float64Array(k.memory.buffer, start, n);
  view.fill(0);
  return view;
}

/**
 * Run `fn` with an allocator of float64 arrays in WebAssembly memory (room for `doubles` values in all), or with
 * a plain `new Float64Array` allocator when the kernels are unavailable, already in use, or memory cannot grow.
 * Views are valid only inside `fn`; copy results out before returning.
 */
export function withWasmArena<R>(doubles: number, fn: (alloc: Alloc, wasm: boolean) => R): R {
  const k = wasmKernels();
  const plain: Alloc = (n) => new Float64Array(n);
  if (k === null || arenaTop >= 0) return fn(plain, false);
  const bytes = PACK_BYTES + doubles * 8 + 64 * 16;
  try {
    const have = k.memory.buffer.byteLength;
    if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
  } catch {
    return fn(plain, false);
  }
  arenaTop = PACK_BYTES;
  arenaLimit = bytes;
  const alloc: Alloc = wasmScratch;
  try {
    return fn(alloc, true);
  } finally {
    arenaTop = -1;
  }
}
