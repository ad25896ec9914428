/**
 * A fixed schedule's interior time points tuned one at a time (coordinate descent), for baselines that search what
 * a policy controls: a policy places every time point, a named grid (uniform, log-SNR, Karras, shifted) only its
 * start. The score is the caller's (the baselines score FID on held-out seeds); the search keeps the first and last
 * points (the start time is searched on the grid; the last is the data end).
 */
import { coordinateDescent, type ConfirmMove, type DescentStage, type DescentTrial } from "../coordinate-descent.js";

/**
 * `times` with point `i` moved by `fraction` of its gap to a neighbour: towards the previous (noisier) point for
 * fraction > 0, towards the next for fraction < 0 (|fraction| < 1, so the order is kept). Rounded to 6 digits so a
 * schedule written to JSON and read back is the same schedule.
 */
export function moveTimePoint(times: readonly number[], i: number, fraction: number): number[] {
  if (!Number.isInteger(i) || i < 1 || i > times.length - 2) throw new RangeError(`time point ${i} is not interior (1..${times.length - 2})`);
  if (!(Math.abs(fraction) > 0 && Math.abs(fraction) < 1)) throw new RangeError(`a time point moves by a fraction of its gap strictly between 0 and ±1, got ${fraction}`);
  const neighbour = fraction > 0 ? times[i - 1] : times[i + 1];
  return times.map((t, k) => (k === i ? Number((t + Math.abs(fraction) * (neighbour - t)).toPrecision(6)) : t));
}

/** A move's outcome: its time points and score, or why it could not be scored. */
export type TimePointTrial = { times: number[]; point: number; fraction: number } & ({ score: number; unconfirmed?: true } | { skipped: string });

export interface TimePointDescentOptions {
  /** Move sizes as fractions of a gap, tried in order (coarse to fine), each in both directions. */
  fractions: readonly number[];
  /** Full passes over the interior points per fraction; a pass that takes no move ends that fraction early. */
  sweeps: number;
  /** A move is taken only when it lowers the score by more than this fraction of the current score. */
  minGain: number;
  /**
   * The sampler a schedule runs, when several schedules run the same one (MaskGIT: ratios that leave the same
   * numbers of tokens masked); a move onto a sampler already scored is not scored again. Default: the points.
   */
  samplerKey?: (times: readonly number[]) => string;
  /** Called after each trial with the current schedule after it (the trial's when it was taken), e.g. for a log line. */
  onTrial?: (trial: TimePointTrial, current: { times: number[]; score: number }) => void;
  /** A move that beats the current score is taken only when this agrees (core's `coordinateDescent`). */
  confirm?: ConfirmMove<number[]>;
}

/**
 * Coordinate descent (core's `coordinateDescent`) from `start` (whose score is `startScore`): for each fraction, pass
 * over interior points 1..T−1, try the point moved towards its noisier neighbour, then towards its cleaner one, and
 * take the first move that beats the current score by more than `minGain`. `score` returns `{ skipped }` for a
 * schedule the sampler refuses. A sampler is scored at most once. Returns the best time points and every trial in order.
 */
export async function descendTimePoints(
  start: readonly number[],
  startScore: number,
  score: (times: number[]) => Promise<number | { skipped: string }>,
  options: TimePointDescentOptions,
): Promise<{ times: number[]; score: number; trials: TimePointTrial[] }> {
  type Move = { point: number; fraction: number };
  const asTimeTrial = ({ value, move, ...outcome }: DescentTrial<number[], Move>): TimePointTrial => ({ times: value, ...move, ...outcome });
  const stages = options.fractions.map(
    (fraction): DescentStage<number[], Move> => ({
      coordinates: start.length - 2,
      moves: (current, c) => [fraction, -fraction].map((signed) => ({ value: moveTimePoint(current, c + 1, signed), move: { point: c + 1, fraction: signed } })),
    }),
  );
  const result = await coordinateDescent([...start], startScore, score, {
    stages,
    sweeps: options.sweeps,
    minGain: options.minGain,
    key: options.samplerKey ?? ((times) => JSON.stringify(times)),
    confirm: options.confirm,
    onTrial: options.onTrial && ((trial, current) => options.onTrial!(asTimeTrial(trial), { times: current.value, score: current.score })),
  });
  return { times: result.value, score: result.score, trials: result.trials.map(asTimeTrial) };
}
