/**
 * One-knob moves around a base schedule, as the benches take them: `--vary KEY:D1,D2,…` adds each D to the base's KEY
 * (one new schedule per D, every other field kept). Shared by bench:paired-alignment, bench:class-oracle and
 * bench:cluster-oracle.
 *
 * `--vary timeI:F1,F2,…` moves the base's interior time point I (1 ≤ I < T; 0 is the start, which `start` moves, and
 * T the data end) by a fraction F of its gap to a neighbour: F > 0 towards the previous (noisier) point, F < 0
 * towards the next one. The moved schedule carries its T+1 points as `times`, off the named grid.
 */
import { describeSchedule, moveTimePoint, scheduleKey, type ScheduleRequest } from "@adagen/core";

export const MOVE_KEYS = ["guidance", "guidanceEnd", "start", "maskTemperature", "sampleTemperature", "topK", "topP"] as const;
/** A knob, or `timeI`: the interior time point I. */
export type MoveKey = (typeof MOVE_KEYS)[number] | `time${number}`;
export type Vary = [MoveKey, number[]];

const TIME_KEY = /^time([1-9]\d*)$/;

/**
 * One `--vary` value, `KEY:D1,D2,…`; throws naming the value when the key is unknown, a move is 0 or not a number, or
 * a time point's fraction is not inside (−1, 1).
 */
export function parseVary(value: string): Vary {
  const [key, list = ""] = value.split(":");
  const deltas = list.split(",").map(Number);
  const isTime = TIME_KEY.test(key);
  if (!isTime && !(MOVE_KEYS as readonly string[]).includes(key))
    throw new Error(`--vary ${value}: ${key} is not one of ${MOVE_KEYS.join(", ")} or timeI (an interior time point)`);
  if (!list || deltas.some((d) => !Number.isFinite(d) || d === 0)) throw new Error(`--vary ${value}: the moves must be non-zero numbers`);
  if (isTime && deltas.some((d) => Math.abs(d) >= 1)) throw new Error(`--vary ${value}: a time point moves by a fraction of its gap, strictly between -1 and 1`);
  return [key as MoveKey, deltas];
}

/**
 * The moved schedules, in the order given; a knob the base does not set cannot be moved (an error naming both).
 * Time-point moves need `timesOf` (the opened model's `scheduleTimes`) and an interior point.
 */
export function movesAround(
  base: ScheduleRequest,
  vary: readonly Vary[],
  timesOf?: (s: ScheduleRequest) => ArrayLike<number>,
): { key: MoveKey; delta: number; schedule: ScheduleRequest }[] {
  const moves: { key: MoveKey; delta: number; schedule: ScheduleRequest }[] = [];
  for (const [key, deltas] of vary) {
    const point = TIME_KEY.exec(key);
    if (point) {
      if (!timesOf) throw new Error(`${key}: this bench cannot move time points`);
      const times = Array.from(timesOf(base));
      const i = Number(point[1]);
      if (i >= times.length - 1) throw new Error(`${key}: the base schedule (${describeSchedule(base)}) has interior time points 1..${times.length - 2}`);
      for (const delta of deltas) moves.push({ key, delta, schedule: { ...base, times: moveTimePoint(times, i, delta) } });
      continue;
    }
    const knob = key as (typeof MOVE_KEYS)[number];
    const value = base[knob];
    if (value === undefined) throw new Error(`the base schedule (${describeSchedule(base)}) does not set ${key}; it cannot be moved`);
    for (const delta of deltas) {
      const moved = Number((value + delta).toPrecision(6));
      // A schedule with its own time points starts at times[0], not at `start`: move both, or the move is a no-op.
      const times = knob === "start" && base.times ? [moved, ...Array.from(base.times).slice(1)] : undefined;
      moves.push({ key, delta, schedule: { ...base, [knob]: moved, ...(times ? { times } : {}) } });
    }
  }
  return moves;
}

/**
 * The oracles' candidates: the base (first, index 0), its moves (`vary`; empty: guidance ±0.25, ±0.5 and its end
 * ±0.5, ±1, where the base sets them), then `extra` (the grid's best rows); each schedule once.
 */
export function oracleCandidates(
  base: ScheduleRequest,
  vary: readonly Vary[],
  extra: readonly ScheduleRequest[],
  timesOf?: (s: ScheduleRequest) => ArrayLike<number>,
): ScheduleRequest[] {
  const defaults: [(typeof MOVE_KEYS)[number], number[]][] = [
    ["guidance", [-0.5, -0.25, 0.25, 0.5]],
    ["guidanceEnd", [-1, -0.5, 0.5, 1]],
  ];
  const moves = vary.length ? vary : defaults.filter(([key]) => base[key] !== undefined);
  const out: ScheduleRequest[] = [];
  for (const s of [base, ...movesAround(base, moves, timesOf).map((m) => m.schedule), ...extra]) if (!out.some((c) => scheduleKey(c) === scheduleKey(s))) out.push(s);
  return out;
}
