/**
 * A discriminator that sees only the coarse image: every input is averaged over `factor` × `factor` blocks and
 * repeated back to full size before the inner discriminator reads it, in training and in scoring alike.
 *
 * Why: a few-step sampler's images differ from the data mostly in fine detail, and a per-sample discriminator learns
 * to reward detail monotonically, past the data's own level (docs/method.md §14 item 16). Without fine detail in its
 * input it must judge shapes, brightness and layout. Screened on sit-tiny (packages/zoo/policies/README.md, `--lowpass 2`
 * of bench:paired-alignment): it keeps the full-resolution discriminator's wrong preferences, so it is not on anywhere.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { ParamStore } from "../nn/params.js";
import type { Discriminator } from "./discriminator.js";

/** `[B, H, W, C]` → block means over `factor` × `factor`, repeated back to `[B, H, W, C]` (H, W divisible by factor). */
export function blockLowPass(images: tf.Tensor4D, factor: number): tf.Tensor4D {
  const [B, H, W, C] = images.shape;
  if (!(Number.isInteger(factor) && factor >= 1)) throw new RangeError(`low-pass factor must be a positive integer, got ${factor}`);
  if (H % factor || W % factor) throw new RangeError(`low-pass factor ${factor} must divide the image sides ${H}×${W}`);
  if (factor === 1) return tf.clone(images);
  return tf.tidy(() => {
    const [h, w] = [H / factor, W / factor];
    const means = tf.mean(tf.reshape(images, [B, h, factor, w, factor, C]), [2, 4], true); // [B,h,1,w,1,C]
    return tf.reshape(tf.tile(means, [1, 1, factor, 1, factor, 1]), [B, H, W, C]) as tf.Tensor4D;
  });
}

/** `inner` reading `blockLowPass(x, factor)`; its parameters are the inner discriminator's. */
export class LowPassDiscriminator implements Discriminator {
  readonly params: ParamStore;
  readonly sampleShape: number[];
  readonly numClasses: number;

  constructor(
    readonly inner: Discriminator,
    readonly factor: number,
  ) {
    const [H, W] = inner.sampleShape;
    if (inner.sampleShape.length !== 3) throw new RangeError(`a low-pass discriminator needs image samples [H,W,C], got [${inner.sampleShape}]`);
    if (!(Number.isInteger(factor) && factor >= 1 && H % factor === 0 && W % factor === 0))
      throw new RangeError(`low-pass factor must be a positive integer dividing ${H}×${W}, got ${factor}`);
    this.params = inner.params;
    this.sampleShape = inner.sampleShape;
    this.numClasses = inner.numClasses;
  }

  apply(samples: tf.Tensor, labels: Int32Array): tf.Tensor2D {
    return this.inner.apply(blockLowPass(samples as tf.Tensor4D, this.factor), labels);
  }

  /** Releases what the inner discriminator holds (its own `dispose` when it has one, else its parameters). */
  dispose(): void {
    const inner = this.inner as Discriminator & { dispose?: () => void };
    if (inner.dispose) inner.dispose();
    else inner.params.dispose();
  }
}
