/**
 * Real images for the adversarial reward's discriminator updates (docs/method.md §9.2: a fresh real batch, with its
 * true labels, per discriminator step).
 *
 * It takes the uint8 arrays as given (e.g. `loadFashionMnist("train")` from `@adagen/zoo`, which has exactly this
 * shape), so this package does not depend on the zoo's 40 MB of models and data; an app that picks a zoo model
 * wires the two together.
 */
import type { LabeledBatch, Random, RealDataSource } from "@adagen/core";

export interface UInt8Images {
  /** Pixels 0..255, `[count, H, W, C]` row-major (for grayscale `[count, H, W]` is the same layout). */
  images: Uint8Array;
  /** Class ids, one per image. */
  labels: ArrayLike<number>;
}

/**
 * The sampler's end point as a forward-noising of the data: `x = alpha·x0 + sigma·eps` in the model's [-1,1] space.
 * Only for samplers that stop at tau_end > 0 without a final denoise (`endpoint: "last-time"`: DiT at 0.01, SiT at
 * 0.99; docs/method.md §5.3-5.4): they can at best produce q(x_tau_end), and real images noised the same way make the
 * discriminator judge that, not the leftover noise the policy cannot remove. Samplers that land on the data end
 * (the default) need no noise.
 */
export interface EndPointNoise {
  alpha: number;
  sigma: number;
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

  /** Forward noise applied to every real image, if any. */
  readonly noise?: EndPointNoise;

  constructor(data: UInt8Images, imageShape: readonly [number, number, number] = [28, 28, 1], noise?: EndPointNoise) {
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
    if (noise && !(noise.alpha > 0 && noise.sigma >= 0)) throw new RangeError(`noise needs alpha > 0 and sigma >= 0, got ${JSON.stringify(noise)}`);
    this.noise = noise;
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
    if (this.noise) {
      // [0,1] → [-1,1], noise, back to [0,1] clamped: what statesToImages does to a sampler's final state.
      const { alpha, sigma } = this.noise;
      for (let p = 0; p < data.length; p++) {
        const v = (alpha * (2 * data[p] - 1) + sigma * rng.normal() + 1) / 2;
        data[p] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
    return { samples: { data, shape: [count, ...this.imageShape] }, labels };
  }
}
