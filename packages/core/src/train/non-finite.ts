/**
 * The training loop's guard against NaN and infinite values (docs/reliability.md, "Non-finite values"): a rejected
 * iteration throws `NonFiniteError` naming the quantity and the iteration, and keeps nothing of that iteration.
 */
import * as tf from "@tensorflow/tfjs-core";

/**
 * A loss, advantage, reward, gradient or parameter became NaN or infinite. Not the caller's input (that is
 * `InputError`): the numbers diverged. The `adagen` CLI prints the message as one line and exits with code 3.
 */
export class NonFiniteError extends Error {
  override name = "NonFiniteError";
  /** What was not finite: "reward", "advantages", "policy loss", "policy gradient", "actor parameters", ... */
  readonly quantity: string;
  /** The rejected iteration (1-based, as `IterationMetrics.iteration`); absent outside a trainer's step. */
  readonly iteration?: number;

  constructor(quantity: string, detail: string, iteration?: { iteration: number; kept: string }) {
    super(iteration ? `iteration ${iteration.iteration}: ${detail}; ${iteration.kept}` : detail);
    this.quantity = quantity;
    this.iteration = iteration?.iteration;
  }

  /** The same error placed in a training iteration, with what was kept. */
  at(iteration: number, kept: string): NonFiniteError {
    const err = new NonFiniteError(this.quantity, this.message, { iteration, kept });
    err.stack = this.stack;
    return err;
  }
}

export interface NonFiniteCounts {
  nan: number;
  posInf: number;
  negInf: number;
}

const total = (c: NonFiniteCounts) => c.nan + c.posInf + c.negInf;

/** NaN, +Infinity and −Infinity entries of a plain array (rewards, returns: a few thousand numbers at most). */
export function countNonFinite(values: ArrayLike<number>): NonFiniteCounts {
  const c = { nan: 0, posInf: 0, negInf: 0 };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) c.nan++;
    else if (v === Infinity) c.posInf++;
    else if (v === -Infinity) c.negInf++;
  }
  return c;
}

/** "NaN", "Infinity", "−Infinity", or "not finite (2 NaN, 1 Infinity)" when mixed. */
export function describeValue(c: NonFiniteCounts): string {
  const parts = [
    [c.nan, "NaN"],
    [c.posInf, "Infinity"],
    [c.negInf, "-Infinity"],
  ].filter(([n]) => (n as number) > 0) as [number, string][];
  if (parts.length === 1) return parts[0][1];
  return `not finite (${parts.map(([n, what]) => `${n} ${what}`).join(", ")})`;
}

/** `the reward is NaN for 3 of 256 trajectories`, or undefined when every value is finite. */
export function nonFiniteEntries(what: string, values: ArrayLike<number>, unit: string): string | undefined {
  const c = countNonFinite(values);
  const n = total(c);
  return n === 0 ? undefined : `${what} is ${describeValue(c)} for ${n} of ${values.length} ${unit}`;
}

/** One number's kind for a message: "NaN", "Infinity" or "-Infinity". */
export function describeNumber(v: number): string {
  return describeValue(countNonFinite([v]));
}

/**
 * Whether every element of `tensors` is finite, with one reduction over the group: x · 0 is 0 for a finite x and
 * NaN for NaN or ±Infinity, so the sum is exactly 0 iff all are finite (a plain sum could overflow).
 */
export function allFinite(tensors: tf.Tensor[]): boolean {
  if (tensors.length === 0) return true;
  const s = tf.tidy(() => tf.addN(tensors.map((t) => tf.sum(tf.mul(t, 0)))));
  const v = s.dataSync()[0];
  s.dispose();
  return v === 0;
}

/** How many elements of `tensors` are NaN and ±Infinity (for the message, once a check has failed). */
export function countNonFiniteTensors(tensors: tf.Tensor[]): NonFiniteCounts {
  const counts = tf.tidy(() =>
    tf.stack(
      tensors.map((t) => {
        const x = tf.reshape(t, [-1]);
        const nan = tf.sum(tf.cast(tf.notEqual(x, x), "float32"));
        const pos = tf.sum(tf.cast(tf.equal(x, Infinity), "float32"));
        const neg = tf.sum(tf.cast(tf.equal(x, -Infinity), "float32"));
        return tf.stack([nan, pos, neg]);
      }),
    ).sum(0),
  );
  const [nan, posInf, negInf] = counts.dataSync();
  counts.dispose();
  return { nan, posInf, negInf };
}

/** Throws NonFiniteError naming `quantity` when any element of `tensors` is NaN or infinite. */
export function checkFiniteTensors(quantity: string, tensors: tf.Tensor[], where = ""): void {
  if (allFinite(tensors)) return;
  const c = countNonFiniteTensors(tensors);
  const size = tensors.reduce((n, t) => n + t.size, 0);
  throw new NonFiniteError(quantity, `the ${quantity} are ${describeValue(c)} in ${total(c)} of ${size} values${where}`);
}
