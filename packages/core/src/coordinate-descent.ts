/**
 * Coordinate descent over a fixed schedule's settings: the loop shared by the baselines' refinements (interior time
 * points, `descendTimePoints`; scalar settings such as guidance and temperatures, `descendKnobs`). The score is the
 * caller's (the baselines score FID on held-out seeds); a move is taken only when it lowers the score by more than
 * `minGain` of it, and a setting is scored at most once.
 */

/**
 * A move's outcome: the value it leads to, what the move was, and its score or why it could not be scored;
 * `unconfirmed` when its score beat the current one but `confirm` refused it.
 */
export type DescentTrial<P, M> = { value: P; move: M } & ({ score: number; unconfirmed?: true } | { skipped: string });

/**
 * Asked before a move that beats the current score is taken, e.g. to score both again on other samples: a sampler
 * whose draws change with every setting (MaskGIT, VAR) makes the best of many moves look better than it is.
 */
export type ConfirmMove<P> = (value: P, current: P) => Promise<boolean>;

/** One stage of the descent: its coordinates, and per coordinate the moves from the current value, tried in order. */
export interface DescentStage<P, M> {
  coordinates: number;
  moves(current: P, coordinate: number): { value: P; move: M }[];
}

export interface CoordinateDescentOptions<P, M> {
  /** Stages in order (coarse to fine); each sweeps its coordinates up to `sweeps` times, and a sweep that takes no move ends it. */
  stages: readonly DescentStage<P, M>[];
  sweeps: number;
  /** A move is taken only when it lowers the score by more than this fraction of the current score. */
  minGain: number;
  /** The setting a value runs, when several values run the same one; a move onto a setting already scored is not scored again. */
  key(value: P): string;
  /** Called after each trial with the current value after it (the trial's own value object when it was taken). */
  onTrial?: (trial: DescentTrial<P, M>, current: { value: P; score: number }) => void;
  /** A move that beats the current score is taken only when this agrees (default: always). */
  confirm?: ConfirmMove<P>;
}

/**
 * From `start` (scored `startScore`): per stage and sweep, for each coordinate try its moves in order and take the
 * first that beats the current score by more than `minGain` (and that `confirm` agrees to). The current score only falls, so a move back onto a
 * setting already tried would not be taken: every setting is scored once. Returns the best value and every trial.
 */
export async function coordinateDescent<P, M>(
  start: P,
  startScore: number,
  score: (value: P) => Promise<number | { skipped: string }>,
  options: CoordinateDescentOptions<P, M>,
): Promise<{ value: P; score: number; trials: DescentTrial<P, M>[] }> {
  let current = { value: start, score: startScore };
  const trials: DescentTrial<P, M>[] = [];
  const seen = new Set([options.key(start)]);
  for (const stage of options.stages) {
    for (let sweep = 0; sweep < options.sweeps; sweep++) {
      let moved = false;
      for (let coordinate = 0; coordinate < stage.coordinates; coordinate++) {
        for (const { value, move } of stage.moves(current.value, coordinate)) {
          const key = options.key(value);
          if (seen.has(key)) continue;
          seen.add(key);
          const result = await score(value);
          const beats = typeof result === "number" && result < current.score * (1 - options.minGain);
          const taken = beats && (options.confirm ? await options.confirm(value, current.value) : true);
          const trial: DescentTrial<P, M> =
            typeof result === "number" ? { value, move, score: result, ...(beats && !taken ? { unconfirmed: true as const } : {}) } : { value, move, skipped: result.skipped };
          trials.push(trial);
          if (taken) current = { value, score: result };
          options.onTrial?.(trial, current);
          if (taken) {
            moved = true;
            break;
          }
        }
      }
      if (!moved) break;
    }
  }
  return { ...current, trials };
}

/** Named scalar settings of a fixed schedule (e.g. `{ guidance: 0.5, guidanceEnd: 2 }`). */
export type Knobs = Record<string, number>;

/** A knob move's outcome: the knobs after it, which knob moved by how much, and its score or why it was refused. */
export type KnobTrial = { knobs: Knobs; knob: string; delta: number } & ({ score: number; unconfirmed?: true } | { skipped: string });

export interface KnobDescentOptions {
  /** Each knob's step (> 0), in the order the knobs are tried; a knob moves up by its step, then down. */
  steps: Knobs;
  sweeps: number;
  minGain: number;
  /** The setting the knobs run (default: the knobs themselves). */
  key?: (knobs: Knobs) => string;
  onTrial?: (trial: KnobTrial, current: { knobs: Knobs; score: number }) => void;
  confirm?: ConfirmMove<Knobs>;
}

/**
 * `knobs` with `knob` moved by `delta`, rounded to 6 significant digits so a schedule written to JSON and read back is
 * the same schedule.
 */
export function moveKnob(knobs: Knobs, knob: string, delta: number): Knobs {
  if (!(knob in knobs)) throw new RangeError(`no knob ${knob} to move (knobs: ${Object.keys(knobs).join(", ")})`);
  if (!(Number.isFinite(delta) && delta !== 0)) throw new RangeError(`a knob moves by a finite non-zero step, got ${delta}`);
  return { ...knobs, [knob]: Number((knobs[knob] + delta).toPrecision(6)) };
}

/**
 * Coordinate descent over scalar knobs by fixed steps: one stage, each knob moved up by its step, then down. The
 * caller's `score` refuses (returns `{ skipped }`) a value outside a knob's range.
 */
export async function descendKnobs(
  start: Knobs,
  startScore: number,
  score: (knobs: Knobs) => Promise<number | { skipped: string }>,
  options: KnobDescentOptions,
): Promise<{ knobs: Knobs; score: number; trials: KnobTrial[] }> {
  const names = Object.keys(options.steps);
  for (const name of names) if (!(options.steps[name] > 0)) throw new RangeError(`knob ${name}: its step must be positive, got ${options.steps[name]}`);
  type Move = { knob: string; delta: number };
  const asKnobTrial = ({ value, move, ...outcome }: DescentTrial<Knobs, Move>): KnobTrial => ({ knobs: value, ...move, ...outcome });
  const stage: DescentStage<Knobs, Move> = {
    coordinates: names.length,
    moves: (current, c) => [options.steps[names[c]], -options.steps[names[c]]].map((delta) => ({ value: moveKnob(current, names[c], delta), move: { knob: names[c], delta } })),
  };
  const result = await coordinateDescent(start, startScore, score, {
    stages: [stage],
    sweeps: options.sweeps,
    minGain: options.minGain,
    key: options.key ?? ((knobs) => JSON.stringify(names.map((n) => knobs[n]))),
    confirm: options.confirm,
    onTrial: options.onTrial && ((trial, current) => options.onTrial!(asKnobTrial(trial), { knobs: current.value, score: current.score })),
  });
  return { knobs: result.value, score: result.score, trials: result.trials.map(asKnobTrial) };
}
