/**
 * One-knob moves around a base schedule, as the benches take them: `--vary KEY:D1,D2,…` adds each D to the base's KEY
 * (one new schedule per D, every other field kept). Shared by bench:paired-alignment and bench:class-oracle.
 */
import { describeSchedule, type ScheduleRequest } from "@adagen/core";

export const MOVE_KEYS = ["guidance", "guidanceEnd", "start", "maskTemperature", "sampleTemperature", "topK", "topP"] as const;
export type MoveKey = (typeof MOVE_KEYS)[number];
export type Vary = [MoveKey, number[]];

/** One `--vary` value, `KEY:D1,D2,…`; throws naming the value when the key is unknown or a move is 0 or not a number. */
export function parseVary(value: string): Vary {
  const [key, list = ""] = value.split(":");
  const deltas = list.split(",").map(Number);
  if (!(MOVE_KEYS as readonly string[]).includes(key)) throw new Error(`--vary ${value}: ${key} is not one of ${MOVE_KEYS.join(", ")}`);
  if (!list || deltas.some((d) => !Number.isFinite(d) || d === 0)) throw new Error(`--vary ${value}: the moves must be non-zero numbers`);
  return [key as MoveKey, deltas];
}

/** The moved schedules, in the order given; a knob the base does not set cannot be moved (an error naming both). */
export function movesAround(base: ScheduleRequest, vary: readonly Vary[]): { key: MoveKey; delta: number; schedule: ScheduleRequest }[] {
  const moves: { key: MoveKey; delta: number; schedule: ScheduleRequest }[] = [];
  for (const [key, deltas] of vary) {
    const value = base[key];
    if (value === undefined) throw new Error(`the base schedule (${describeSchedule(base)}) does not set ${key}; it cannot be moved`);
    for (const delta of deltas) moves.push({ key, delta, schedule: { ...base, [key]: Number((value + delta).toPrecision(6)) } });
  }
  return moves;
}
