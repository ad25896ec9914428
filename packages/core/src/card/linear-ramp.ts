/**
 * The linear ramps of the fixed schedules (guidance, MaskGIT's and VAR's sampling temperature): one value per step,
 * from the first step's to the last's. The searched baselines try them because trained policies move these knobs
 * along the trajectory (docs/method.md §18).
 */

/** `count` values: `from` at the first, `to` at the last, linear between; `from` throughout without `to`. */
export function linearRamp(count: number, from: number, to?: number): number[] {
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`a ramp needs a positive whole number of steps, got ${count}`);
  if (to === undefined || count === 1) return new Array<number>(count).fill(from);
  return Array.from({ length: count }, (_, i) => from + ((to - from) * i) / (count - 1));
}
