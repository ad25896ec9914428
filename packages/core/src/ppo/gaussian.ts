import * as tf from "@tensorflow/tfjs-core";

/**
 * Log-density of a diagonal Gaussian with a fixed std, summed over action keys (docs/method.md §8.1):
 * log pi = -1/2 · sum_j [((o_j - mu_j)/sigma)^2 + log(2 pi sigma^2)].
 */
export function gaussianLogProb(actions: tf.Tensor2D, mean: tf.Tensor2D, std: number): tf.Tensor1D {
  const A = actions.shape[1];
  const z = tf.div(tf.sub(actions, mean), std);
  const quad = tf.sum(tf.square(z), 1);
  return tf.mul(-0.5, tf.add(quad, A * Math.log(2 * Math.PI * std * std))) as tf.Tensor1D;
}

/** The same on plain numbers, for rollouts. */
export function gaussianLogProbValues(actions: ArrayLike<number>, mean: ArrayLike<number>, std: number): number {
  let quad = 0;
  for (let j = 0; j < actions.length; j++) quad += ((actions[j] - mean[j]) / std) ** 2;
  return -0.5 * (quad + actions.length * Math.log(2 * Math.PI * std * std));
}
