/**
 * Negative examples for the discriminator (negative data augmentation, Sinha et al., ICLR 2021): real images
 * corrupted in a way the generator must not be rewarded for, shown to the discriminator as extra fakes.
 *
 * Why here: a few-step sampler's images are smoother than the data, so a discriminator trained on them vs reals learns
 * "more fine detail = real" and extrapolates it: a schedule that leaves residual noise as texture (a later start, less
 * guidance) scores higher while FID gets much worse (docs/method.md §14 item 16). Real images with pixel noise added
 * ("noise") or with their edges over-sharpened ("sharpen": more fine detail than the data has, of the data's own
 * structure) are labelled fake, so the discriminator learns where the data's detail level is from both sides;
 * "noise-sharpen" draws each negative from one of the two at random.
 *
 * Images are `[B, H, W, C]` in [0, 1] (the zoo's convention); the result is clamped to [0, 1] as generated images are.
 */
import type { Batch } from "../env.js";
import type { Random } from "../random.js";
import type { ImageAugment } from "./augment.js";

export const NEGATIVES = ["none", "noise", "sharpen", "noise-sharpen"] as const;
export type Negatives = (typeof NEGATIVES)[number];

export interface NoisedRealsOptions {
  /** Largest pixel-noise std; each image draws its own σ uniform in (0, sigmaMax]. */
  sigmaMax: number;
}

/** The noise negatives' default: σ up to 0.1, a little over what a start 0.1 later leaves on sit-tiny. */
export const NOISED_REALS_DEFAULTS: Readonly<NoisedRealsOptions> = Object.freeze({ sigmaMax: 0.1 });

export interface SharpenedRealsOptions {
  /** Largest unsharp-mask amount; each image draws its own a uniform in (0, amountMax]. */
  amountMax: number;
}

/**
 * The sharpen negatives' default: up to 2. Measured on 1,000 training images (`pnpm -s bench:high-frequency`): mean
 * |Laplacian| 0.234 clean, 0.357 sharpened, 0.305 noised at σ ≤ 0.1; sit-tiny's textured later starts reach 0.29-0.42.
 */
export const SHARPENED_REALS_DEFAULTS: Readonly<SharpenedRealsOptions> = Object.freeze({ amountMax: 2 });

/** Negatives as a trainer uses them (AdaGenTrainer's `discriminatorNegatives`). */
export interface DiscriminatorNegatives {
  /** Negatives per fake of a discriminator step. */
  fraction: number;
  /** Turns clean training images into negatives, every draw from the given generator. */
  corrupt: ImageAugment;
}

/** Negatives per fake: one for every two fakes, so the generator's own images stay two thirds of the fakes. */
export const NEGATIVE_FRACTION = 0.5;

/** The named negatives as a trainer option (undefined for "none"). */
export function discriminatorNegatives(kind: Negatives): DiscriminatorNegatives | undefined {
  if (kind === "none") return undefined;
  if (kind === "noise") return { fraction: NEGATIVE_FRACTION, corrupt: (images, rng) => noisedReals(images, rng) };
  if (kind === "sharpen") return { fraction: NEGATIVE_FRACTION, corrupt: (images, rng) => sharpenedReals(images, rng) };
  if (kind === "noise-sharpen") return { fraction: NEGATIVE_FRACTION, corrupt: (images, rng) => noisedOrSharpenedReals(images, rng) };
  throw new RangeError(`negatives "${String(kind)}" is not one of ${NEGATIVES.join(", ")}`);
}

/** x + σ·ε per image, σ ~ U(0, sigmaMax], ε ~ N(0, I), clamped to [0, 1]; every draw from `rng`. */
export function noisedReals(images: Batch, rng: Random, options: Partial<NoisedRealsOptions> = {}): Batch {
  const { sigmaMax } = { ...NOISED_REALS_DEFAULTS, ...options };
  if (!(sigmaMax > 0 && sigmaMax <= 1)) throw new RangeError(`negatives' sigmaMax must be in (0, 1], got ${sigmaMax}`);
  if (images.shape.length !== 4) throw new RangeError(`negatives expect images [B,H,W,C], got [${images.shape.join(",")}]`);
  const B = images.shape[0];
  const size = images.data.length / B;
  const out = new Float32Array(images.data.length);
  for (let b = 0; b < B; b++) {
    const sigma = sigmaMax * (1 - rng.uniform()); // (0, sigmaMax]
    for (let i = b * size; i < (b + 1) * size; i++) out[i] = Math.min(1, Math.max(0, images.data[i] + sigma * rng.normal()));
  }
  return { data: out, shape: images.shape };
}

/** 3×3 box mean of every channel, edges replicated. */
function boxBlur3(data: Float32Array, H: number, W: number, C: number, offset: number, out: Float32Array): void {
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = Math.min(H - 1, Math.max(0, y + dy));
            const xx = Math.min(W - 1, Math.max(0, x + dx));
            sum += data[offset + (yy * W + xx) * C + c];
          }
        out[offset + (y * W + x) * C + c] = sum / 9;
      }
}

/** Unsharp mask x + a·(x − box3(x)) per image, a ~ U(0, amountMax], clamped to [0, 1]; every draw from `rng`. */
export function sharpenedReals(images: Batch, rng: Random, options: Partial<SharpenedRealsOptions> = {}): Batch {
  const { amountMax } = { ...SHARPENED_REALS_DEFAULTS, ...options };
  if (!(amountMax > 0 && amountMax <= 10)) throw new RangeError(`negatives' amountMax must be in (0, 10], got ${amountMax}`);
  if (images.shape.length !== 4) throw new RangeError(`negatives expect images [B,H,W,C], got [${images.shape.join(",")}]`);
  const [B, H, W, C] = images.shape;
  const size = H * W * C;
  const blurred = new Float32Array(images.data.length);
  const out = new Float32Array(images.data.length);
  for (let b = 0; b < B; b++) {
    const amount = amountMax * (1 - rng.uniform()); // (0, amountMax]
    boxBlur3(images.data, H, W, C, b * size, blurred);
    for (let i = b * size; i < (b + 1) * size; i++) out[i] = Math.min(1, Math.max(0, images.data[i] + amount * (images.data[i] - blurred[i])));
  }
  return { data: out, shape: images.shape };
}

/** Each image noised (noisedReals) or sharpened (sharpenedReals), one fair coin per image; every draw from `rng`. */
export function noisedOrSharpenedReals(images: Batch, rng: Random): Batch {
  const [B] = images.shape;
  const size = images.data.length / B;
  const out = new Float32Array(images.data.length);
  for (let b = 0; b < B; b++) {
    const one: Batch = { data: images.data.subarray(b * size, (b + 1) * size), shape: [1, ...images.shape.slice(1)] };
    out.set((rng.uniform() < 0.5 ? noisedReals(one, rng) : sharpenedReals(one, rng)).data, b * size);
  }
  return { data: out, shape: images.shape };
}

/** The fake batch followed by the negatives, labels alike (one discriminator step sees both as fakes). */
export function withNegatives(fakes: { samples: Batch; labels: Int32Array }, negatives: { samples: Batch; labels: Int32Array }) {
  const [a, b] = [fakes.samples, negatives.samples];
  if (a.shape.slice(1).join(",") !== b.shape.slice(1).join(","))
    throw new RangeError(`negatives [${b.shape}] do not match the fakes [${a.shape}]`);
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data);
  data.set(b.data, a.data.length);
  const labels = new Int32Array(fakes.labels.length + negatives.labels.length);
  labels.set(fakes.labels);
  labels.set(negatives.labels, fakes.labels.length);
  return { samples: { data, shape: [a.shape[0] + b.shape[0], ...a.shape.slice(1)] }, labels };
}
