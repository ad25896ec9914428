import * as tf from "@tensorflow/tfjs-core";

/**
 * Building blocks written with ops whose gradients work on the wasm backend (STACK.md): 2-D matMul only
 * (3-D × 2-D batchMatMul has a broken gradient there), LayerNorm through moments, tanh-GELU.
 */

/** y = x·W + b over the last axis, for x of any rank. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1] as number;
  const outDim = w.shape[1] as number;
  const flat = tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
  let y: tf.Tensor = tf.matMul(flat, w as tf.Tensor2D);
  if (b) y = tf.add(y, b);
  return tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
}

/** LayerNorm over the last axis without affine parameters. */
export function layerNorm(x: tf.Tensor, eps = 1e-6): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
}

/**
 * GELU, tanh approximation: 0.5·x·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³), computed as x·sigmoid(2u) (the same
 * function) because wasm's tanh and pow are 5-10× slower than its sigmoid and mul; on the policy's [256,49,32]
 * activations this cut GELU from 21 ms to 3 ms.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  const c = 2 * Math.sqrt(2 / Math.PI);
  const twoU = tf.mul(x, tf.add(c, tf.mul(c * 0.044715, tf.square(x))));
  return tf.mul(x, tf.sigmoid(twoU));
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/**
 * AdaLN: LayerNorm(x)·(1 + scale) + shift with (shift, scale) from the conditioning c (docs/method.md §6).
 * `mod` is [B, 2F]; x is [B, F] or [B, N, F] (broadcast over tokens).
 */
export function adaLN(x: tf.Tensor, mod: tf.Tensor): tf.Tensor {
  const F = x.shape[x.shape.length - 1] as number;
  let [shift, scale] = tf.split(mod, [F, F], -1);
  if (x.rank === 3) {
    shift = tf.expandDims(shift, 1);
    scale = tf.expandDims(scale, 1);
  }
  return tf.add(tf.mul(layerNorm(x), tf.add(1, scale)), shift);
}

/** DiT-style sinusoidal features of (possibly fractional) steps: [cos(k f_i), sin(k f_i)], f_i = 10000^(-i/half). */
export function sinusoidalFeatures(steps: ArrayLike<number>, dim: number): Float32Array {
  const half = Math.floor(dim / 2);
  const out = new Float32Array(steps.length * dim);
  for (let b = 0; b < steps.length; b++) {
    for (let i = 0; i < half; i++) {
      const f = Math.exp((-Math.log(10000) * i) / half);
      out[b * dim + i] = Math.cos(steps[b] * f);
      out[b * dim + half + i] = Math.sin(steps[b] * f);
    }
  }
  return out;
}

/** One-hot rows, for embedding lookups by matMul (gather has no gradient on wasm). */
export function oneHotRows(labels: ArrayLike<number>, depth: number): tf.Tensor2D {
  const out = new Float32Array(labels.length * depth);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(c >= 0 && c < depth && Number.isInteger(c))) throw new RangeError(`label ${c} outside 0..${depth - 1}`);
    out[i * depth + c] = 1;
  }
  return tf.tensor2d(out, [labels.length, depth]);
}
