/**
 * Real images for the adversarial reward's discriminator updates (docs/method.md §9.2: a fresh real batch, with its
 * true labels, per discriminator step).
 *
 * It takes the uint8 arrays as given (e.g. `loadFashionMnist("train")` from `@adagen/zoo`, which has exactly this
 * shape), so core does not depend on the zoo's 40 MB of models and data; an app that picks a zoo model
 * wires the two together.
 */
import type { Random } from "../random.js";
import type { LabeledBatch, RealDataSource } from "../rewards/reward.js";

export interface UInt8Images {
  /** Pixels 0..255, `[count, H, W, C]` row-major (for grayscale `[count, H, W]` is the same layout). */
  images: Uint8Array;
  /** Class ids, one per image. */
  labels: ArrayLike<number>;
}

/**
 * Samples `[count, H, W, C]` images in [0,1] (`u8 / 255`, the zoo's image convention) with their labels, uniformly
 * with replacement, every draw from the caller's seeded `Random`.
 */
export class ImageRealData implements RealDataSource {
  readonly count: number;
  readonly imageShape: readonly [number, number, number];
  private readonly images: Uint8Array;
  private readonly labels: ArrayLike<number>;

  constructor(data: UInt8Images, imageShape: readonly [number, number, number] = [28, 28, 1]) {
    const size = imageShape[0] * imageShape[1] * imageShape[2];
    if (!(size > 0 && imageShape.every(Number.isInteger)))
      throw new RangeError(`imageShape must be three positive integers [H,W,C], got [${imageShape.join(",")}]`);
    if (data.images.length === 0 || data.images.length % size !== 0)
      throw new RangeError(`${data.images.length} pixels are not a whole number of [${imageShape.join(",")}] images`);
    this.count = data.images.length / size;
    if (data.labels.length !== this.count)
      throw new RangeError(`expected ${this.count} labels (one per image), got ${data.labels.length}`);
    this.imageShape = imageShape;
    this.images = data.images;
    this.labels = data.labels;
  }

  sample(count: number, rng: Random): LabeledBatch {
    if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`count must be a positive integer, got ${count}`);
    const size = this.imageShape[0] * this.imageShape[1] * this.imageShape[2];
    const data = new Float32Array(count * size);
    const labels = new Int32Array(count);
    for (let b = 0; b < count; b++) {
      const i = rng.int(this.count);
      labels[b] = this.labels[i];
      const src = this.images.subarray(i * size, (i + 1) * size);
      for (let p = 0; p < size; p++) data[b * size + p] = src[p] / 255;
    }
    return { samples: { data, shape: [count, ...this.imageShape] }, labels };
  }
}
