/**
 * From sampler states to the images a reward reads. The ODE samplers work in the generators' pixel space
 * (x in [-1,1], channels first, `[B,C,H,W]`); image discriminators (core's `ViTDiscriminator`) and real-data
 * sources use `[B,H,W,C]` in [0,1]. The zoo convention (packages/zoo/README.md, "Pixels"): an image is
 * `clamp((x + 1) / 2, 0, 1)`.
 */
import type { Batch } from "../env.js";

/**
 * `[B,C,H,W]` in `range` (default [-1,1]) → `[B,H,W,C]` in [0,1], clamped. Pass it as an env's `renderTransform`.
 */
export function statesToImages(states: Batch, range: readonly [number, number] = [-1, 1]): Batch {
  const [lo, hi] = range;
  if (!(lo < hi)) throw new RangeError(`pixel range must be [lo, hi] with lo < hi, got [${range.join(",")}]`);
  const span = hi - lo;
  if (states.shape.length !== 4)
    throw new RangeError(`expected states of shape [B,C,H,W], got [${states.shape.join(",")}]`);
  const [B, C, H, W] = states.shape;
  if (states.data.length !== B * C * H * W)
    throw new RangeError(`states of shape [${states.shape.join(",")}] need ${B * C * H * W} values, got ${states.data.length}`);
  const src = states.data;
  const out = new Float32Array(src.length);
  const plane = H * W;
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++) {
      const from = (b * C + c) * plane;
      for (let p = 0; p < plane; p++) {
        const v = (src[from + p] - lo) / span;
        out[(b * plane + p) * C + c] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  return { data: out, shape: [B, H, W, C] };
}
