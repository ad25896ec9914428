/**
 * Saving and restoring a tfjs optimiser's state (Adam's moment estimates and running products) as named arrays, so a
 * checkpoint resumes bit for bit. Used by the trainer for the policy's optimiser and by learned rewards for theirs.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { NamedArray } from "./tensor-file.js";

/**
 * tfjs Adam keeps beta^t as running products (accBeta1/2); `setWeights` recomputes them as pow(beta, t + 1), which
 * differs in the last float32 bits. They are saved and restored too, so a resumed run continues bit for bit.
 */
interface AdamRunningProducts {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

export async function exportOptimizer(optimizer: tf.Optimizer): Promise<Record<string, NamedArray>> {
  const weights = await optimizer.getWeights();
  const out: Record<string, NamedArray> = {};
  const adam = optimizer as unknown as AdamRunningProducts;
  for (const key of ["accBeta1", "accBeta2"] as const) {
    const v = adam[key];
    if (v) out[key] = { shape: v.shape, data: Float32Array.from(v.dataSync()) };
  }
  weights.forEach((w, i) => {
    // Order matters to tfjs (accumulators are matched to variables by position), so keys carry the index.
    out[`${String(i).padStart(4, "0")}`] = { shape: w.tensor.shape, data: Float32Array.from(w.tensor.dataSync()) };
  });
  weights[0]?.tensor.dispose(); // the iteration counter is a fresh scalar; the rest are the optimiser's own variables
  return out;
}

export async function importOptimizer(optimizer: tf.Optimizer, values: Record<string, NamedArray>): Promise<void> {
  const keys = Object.keys(values).filter((k) => /^\d+$/.test(k)).sort();
  if (keys.length === 0) return;
  const named = keys.map((k) => ({ name: k, tensor: tf.tensor(values[k].data, values[k].shape) }));
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
  const adam = optimizer as unknown as AdamRunningProducts;
  for (const key of ["accBeta1", "accBeta2"] as const) {
    const saved = values[key];
    const v = adam[key];
    if (saved && v) {
      const t = tf.tensor(saved.data, saved.shape);
      v.assign(t);
      t.dispose();
    }
  }
}

