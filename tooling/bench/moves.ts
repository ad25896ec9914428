/**
 * One-knob moves around a base schedule, as the benches take them: `--vary KEY:D1,D2,…` adds each D to the base's KEY
 * (one new schedule per D, every other field kept). Shared by bench:paired-alignment, bench:class-oracle and
 * bench:cluster-oracle.
 */
import { describeSchedule, scheduleKey, type ScheduleRequest } from "@adagen/core";

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

/**
 * The oracles' candidates: the base (first, index 0), its moves (`vary`; empty: guidance ±0.25, ±0.5 and its end
 * ±0.5, ±1, where the base sets them), then `extra` (the grid's best rows); each schedule once.
 */
export function oracleCandidates(base: ScheduleRequest, vary: readonly Vary[], extra: readonly ScheduleRequest[]): ScheduleRequest[] {
  const defaults: Vary[] = [
    ["guidance", [-0.5, -0.25, 0.25, 0.5]],
    ["guidanceEnd", [-1, -0.5, 0.5, 1]],
  ];
  const moves = vary.length ? vary : defaults.filter(([key]) => base[key] !== undefined);
  const out: ScheduleRequest[] = [];
  for (const s of [base, ...movesAround(base, moves).map((m) => m.schedule), ...extra]) if (!out.some((c) => scheduleKey(c) === scheduleKey(s))) out.push(s);
  return out;
}
