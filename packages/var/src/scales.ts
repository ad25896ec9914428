/**
 * The token layout of a next-scale (VAR) generator and the resizing that lets one policy network read every scale.
 *
 * Scale k is a pn_k × pn_k token map; all scales' ids are concatenated in scale order, row-major within a scale,
 * scale k starting at `offsets[k]`. The policy reads the generator's features for the current scale's rows, resized
 * to one fixed grid (docs/method.md §5.2: the paper resizes every scale to 16 × 16 with bicubic interpolation; here
 * the grid is the card's `featureShape`, the last scale's 7 × 7 for var-tiny), so its input shape never changes.
 */
export class ScaleLayout {
  /** Side of each scale's token map. */
  readonly scales: readonly number[];
  /** `offsets[k]`: where scale k's tokens start; `offsets[S]` is the total. */
  readonly offsets: readonly number[];

  constructor(scales: readonly number[]) {
    if (scales.length < 1 || !scales.every((s) => Number.isInteger(s) && s >= 1))
      throw new RangeError(`scales must be positive integers, got [${scales.join(",")}]`);
    this.scales = [...scales];
    const offsets = [0];
    for (const s of scales) offsets.push(offsets[offsets.length - 1] + s * s);
    this.offsets = offsets;
  }

  /** Number of scales S: one decision each. */
  get count(): number {
    return this.scales.length;
  }

  /** Total tokens of all scales. */
  get tokens(): number {
    return this.offsets[this.scales.length];
  }

  /** Tokens of scale k. */
  size(k: number): number {
    return this.scales[k] * this.scales[k];
  }
}

/** Cubic convolution kernel with a = −0.75 (the bicubic of PyTorch's `interpolate`). */
function cubic(x: number): number {
  const a = -0.75;
  const t = Math.abs(x);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

/**
 * The `[to × from]` matrix of 1-D bicubic resizing with half-pixel centres (`align_corners = false`): output i
 * samples source coordinate (i + ½)·from/to − ½ from its four neighbours, indices clamped to the border.
 */
export function bicubicMatrix(from: number, to: number): Float64Array {
  if (!(Number.isInteger(from) && from >= 1 && Number.isInteger(to) && to >= 1))
    throw new RangeError(`resize sizes must be positive integers, got ${from} → ${to}`);
  const m = new Float64Array(to * from);
  for (let i = 0; i < to; i++) {
    const src = ((i + 0.5) * from) / to - 0.5;
    const x0 = Math.floor(src);
    const t = src - x0;
    for (let j = -1; j <= 2; j++) {
      const index = Math.min(Math.max(x0 + j, 0), from - 1);
      m[i * from + index] += cubic(j - t);
    }
  }
  return m;
}

/**
 * Resizes `[B, rows, D]` feature tokens (rows = side², row-major) to `[B, grid², D]` with separable bicubic
 * interpolation. `rowsPerSample` and `rowOffset` pick the scale's rows out of a longer sequence per sample.
 */
export function resizeTokenGrid(
  features: Float32Array,
  batch: number,
  dim: number,
  layout: { side: number; rowsPerSample: number; rowOffset: number },
  grid: number,
): Float32Array {
  const { side, rowsPerSample, rowOffset } = layout;
  if (features.length !== batch * rowsPerSample * dim)
    throw new RangeError(`features have ${features.length} values, expected ${batch}·${rowsPerSample}·${dim}`);
  const w = bicubicMatrix(side, grid);
  const out = new Float32Array(batch * grid * grid * dim);
  // Rows first (side × side → grid × side), then columns (→ grid × grid), one sample at a time.
  const half = new Float64Array(grid * side * dim);
  for (let b = 0; b < batch; b++) {
    const base = (b * rowsPerSample + rowOffset) * dim;
    half.fill(0);
    for (let gy = 0; gy < grid; gy++)
      for (let y = 0; y < side; y++) {
        const wy = w[gy * side + y];
        if (wy === 0) continue;
        for (let x = 0; x < side; x++) {
          const src = base + (y * side + x) * dim;
          const dst = (gy * side + x) * dim;
          for (let d = 0; d < dim; d++) half[dst + d] += wy * features[src + d];
        }
      }
    for (let gy = 0; gy < grid; gy++)
      for (let gx = 0; gx < grid; gx++) {
        const dst = ((b * grid + gy) * grid + gx) * dim;
        for (let x = 0; x < side; x++) {
          const wx = w[gx * side + x];
          if (wx === 0) continue;
          const src = (gy * side + x) * dim;
          for (let d = 0; d < dim; d++) out[dst + d] += wx * half[src + d];
        }
      }
  }
  return out;
}
