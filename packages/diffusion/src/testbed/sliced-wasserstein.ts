import { Random } from "@adagen/core";

export interface SlicedWassersteinOptions {
  /** Number of random unit directions (default 128). */
  projections?: number;
  /** Seed of the directions; the same seed gives the same directions, so distances are comparable across runs. */
  seed?: number;
}

/**
 * Sliced Wasserstein-2 distance between two equal-size point sets `a`, `b` (`[n, dim]` row-major):
 * SW2 = sqrt( mean over random unit directions u of W2²(u·a, u·b) ), where the 1-D W2² between two empirical
 * measures of equal size is the mean squared difference of the sorted projections. Same units as the data.
 */
export function slicedWasserstein2(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  dim: number,
  options: SlicedWassersteinOptions = {},
): number {
  if (a.length !== b.length) throw new RangeError(`point sets must have equal size, got ${a.length} and ${b.length} values`);
  if (!(dim >= 1) || a.length % dim !== 0) throw new RangeError(`${a.length} values are not a multiple of dim ${dim}`);
  const n = a.length / dim;
  if (n === 0) throw new RangeError("point sets are empty");
  const P = options.projections ?? 128;
  const rng = new Random(options.seed ?? 0);
  const u = new Float64Array(dim);
  const pa = new Float64Array(n);
  const pb = new Float64Array(n);
  let total = 0;
  for (let p = 0; p < P; p++) {
    rng.fillNormal(u);
    let norm = 0;
    for (const v of u) norm += v * v;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) {
      let sa = 0;
      let sb = 0;
      for (let j = 0; j < dim; j++) {
        sa += a[i * dim + j] * u[j];
        sb += b[i * dim + j] * u[j];
      }
      pa[i] = sa / norm;
      pb[i] = sb / norm;
    }
    pa.sort();
    pb.sort();
    let w2 = 0;
    for (let i = 0; i < n; i++) w2 += (pa[i] - pb[i]) ** 2;
    total += w2 / n;
  }
  return Math.sqrt(total / P);
}

/**
 * Mean over classes of the SW2 between the class-c points of `a` and of `b`. Each class must have the same count in
 * both sets (sample the reference with the same labels); classes absent from both are skipped.
 */
export function classConditionalSlicedWasserstein2(
  a: ArrayLike<number>,
  aLabels: Int32Array,
  b: ArrayLike<number>,
  bLabels: Int32Array,
  dim: number,
  options: SlicedWassersteinOptions = {},
): number {
  if (a.length !== aLabels.length * dim) throw new RangeError(`a has ${a.length} values, expected ${aLabels.length}·${dim}`);
  if (b.length !== bLabels.length * dim) throw new RangeError(`b has ${b.length} values, expected ${bLabels.length}·${dim}`);
  const classes = [...new Set([...aLabels, ...bLabels])].sort((x, y) => x - y);
  let sum = 0;
  for (const c of classes) {
    const pa = pick(a, aLabels, c, dim);
    const pb = pick(b, bLabels, c, dim);
    if (pa.length !== pb.length)
      throw new RangeError(`class ${c} has ${pa.length / dim} points in a but ${pb.length / dim} in b; counts must match`);
    sum += slicedWasserstein2(pa, pb, dim, options);
  }
  return sum / classes.length;
}

function pick(x: ArrayLike<number>, labels: Int32Array, c: number, dim: number): Float64Array {
  let count = 0;
  for (const l of labels) if (l === c) count++;
  const out = new Float64Array(count * dim);
  let o = 0;
  labels.forEach((l, i) => {
    if (l !== c) return;
    for (let j = 0; j < dim; j++) out[o++] = x[i * dim + j];
  });
  return out;
}
