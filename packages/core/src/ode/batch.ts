/** Shape checks shared by the per-sample ODE step functions (a batch `x` flattened row-major, one time per sample). */
import type { FloatArray } from "../guidance.js";

/** Number of values per sample of a batch `x` with one time per sample; throws when they do not divide. */
export function batchDim(x: FloatArray, times: ArrayLike<number>, what: string): number {
  const B = times.length;
  if (B === 0 || x.length % B !== 0)
    throw new RangeError(`${what}: x has ${x.length} values, not a multiple of the ${B} per-sample times`);
  return x.length / B;
}

/** Throws a RangeError naming `nameB` when it does not have as many values as `nameA`. */
export function checkSameLength(a: FloatArray, b: FloatArray, nameA: string, nameB: string): void {
  if (a.length !== b.length)
    throw new RangeError(`"${nameB}" has ${b.length} values, expected ${a.length} (same as "${nameA}")`);
}
