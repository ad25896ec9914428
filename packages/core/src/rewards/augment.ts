/**
 * Augmentation of the discriminator's inputs (DiffAugment, Zhao et al. 2020; projected GANs train with it): a
 * random translation and a random cutout per image, drawn from the trainer's seeded generator. The trainer applies
 * the same function to the real and the generated batch of every discriminator step, so the discriminator cannot
 * tell them apart by the augmentation, and it never touches the images the reward scores for PPO.
 *
 * Images are `[B, H, W, C]` in [0, 1] (the zoo's convention; the background is 0, which is what the shifted-in
 * border and the cut-out square are filled with). Gradients never flow through it: the policy is trained by PPO on
 * the reward's value, not through the discriminator.
 */
import type { Batch } from "../env.js";
import type { Random } from "../random.js";

/** Maps a batch of images to an augmented copy, every draw from `rng`. */
export type ImageAugment = (images: Batch, rng: Random) => Batch;

export interface TranslateCutoutOptions {
  /** Largest shift as a fraction of the side, each axis uniform in [−r·side, r·side] pixels (DiffAugment: 1/8). */
  translate: number;
  /** Side of the zeroed square as a fraction of the image side, at a uniform position (DiffAugment: 1/2). */
  cutout: number;
}

export const DIFFAUGMENT_DEFAULTS: Readonly<TranslateCutoutOptions> = Object.freeze({ translate: 1 / 8, cutout: 1 / 2 });

/** DiffAugment's "translation,cutout" policy on NHWC images; either part can be switched off with 0. */
export function translateCutout(options: Partial<TranslateCutoutOptions> = {}): ImageAugment {
  const { translate, cutout } = { ...DIFFAUGMENT_DEFAULTS, ...options };
  if (!(translate >= 0 && translate < 1)) throw new RangeError(`translate must be in [0, 1), got ${translate}`);
  if (!(cutout >= 0 && cutout < 1)) throw new RangeError(`cutout must be in [0, 1), got ${cutout}`);
  return (images, rng) => {
    if (images.shape.length !== 4) throw new RangeError(`augmentation expects images [B,H,W,C], got [${images.shape.join(",")}]`);
    const [B, H, W, C] = images.shape;
    const out = new Float32Array(images.data.length);
    const [maxDy, maxDx] = [Math.round(translate * H), Math.round(translate * W)];
    const [cutH, cutW] = [Math.round(cutout * H), Math.round(cutout * W)];
    const size = H * W * C;
    for (let b = 0; b < B; b++) {
      // Integer shifts in [−max, max]; the source pixel of (y, x) is (y − dy, x − dx), outside the image = 0.
      const dy = rng.int(2 * maxDy + 1) - maxDy;
      const dx = rng.int(2 * maxDx + 1) - maxDx;
      const cy = rng.int(H - cutH + 1);
      const cx = rng.int(W - cutW + 1);
      const src = images.data.subarray(b * size, (b + 1) * size);
      const dst = out.subarray(b * size, (b + 1) * size);
      for (let y = 0; y < H; y++) {
        const sy = y - dy;
        if (sy < 0 || sy >= H) continue;
        const inCutRow = y >= cy && y < cy + cutH;
        for (let x = 0; x < W; x++) {
          const sx = x - dx;
          if (sx < 0 || sx >= W || (inCutRow && x >= cx && x < cx + cutW)) continue;
          for (let c = 0; c < C; c++) dst[(y * W + x) * C + c] = src[(sy * W + sx) * C + c];
        }
      }
    }
    return { data: out, shape: images.shape };
  };
}
