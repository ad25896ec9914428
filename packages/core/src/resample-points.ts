/**
 * A fixed schedule's points carried to another step count (`adagen baselines --refine-from`): a schedule refined at
 * 8 steps is a better start for 16 than a named curve, because the refined points say where the sampler needs its
 * steps. The points are read as a curve over the fraction of the steps done and read off at the new fractions.
 */

/**
 * `points` (S + 1 values at step fractions 0, 1/S, …, 1, strictly rising or strictly falling) linearly interpolated at
 * `steps` + 1 fractions 0, 1/steps, …, 1; both ends are kept. With `minGap`, points closer than it to the next one are
 * pushed back from the end (the samplers' minimum time step), and a curve too short for that is refused.
 */
export function resamplePoints(points: readonly number[], steps: number, minGap = 0): number[] {
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  if (points.length < 2) throw new RangeError(`a schedule has at least 2 points (start and end), got ${points.length}`);
  const falling = points[points.length - 1] < points[0];
  points.forEach((p, k) => {
    if (!Number.isFinite(p)) throw new RangeError(`point ${k} is ${p}`);
    if (k > 0 && !(falling ? p < points[k - 1] : p > points[k - 1])) throw new RangeError(`points must be strictly ${falling ? "falling" : "rising"}; point ${k} (${p}) follows ${points[k - 1]}`);
  });
  const segments = points.length - 1;
  const out = Array.from({ length: steps + 1 }, (_, k) => {
    const at = (k / steps) * segments;
    const j = Math.min(Math.floor(at), segments - 1);
    return points[j] + (at - j) * (points[j + 1] - points[j]);
  });
  out[steps] = points[segments];
  // From the end backwards: the end is fixed, so each point keeps its gap to the one after it.
  const sign = falling ? 1 : -1;
  for (let k = steps - 1; k >= 1; k--) if (sign * (out[k] - out[k + 1]) < minGap) out[k] = out[k + 1] + sign * minGap;
  if (sign * (out[0] - out[1]) < minGap - 1e-12)
    throw new RangeError(`${steps} steps with gaps of at least ${minGap} do not fit between ${points[0]} and ${points[segments]}`);
  return out;
}
