import * as tf from "@tensorflow/tfjs-core";
import type { PolicyNetwork } from "../nn/policy.js";
import type { Random } from "../random.js";
import type { PPOConfig } from "./config.js";
import { gaussianLogProb } from "./gaussian.js";
import { standardizeReturns, type RolloutBuffer } from "./buffer.js";
import { checkFiniteTensors, describeNumber, nonFiniteEntries, NonFiniteError } from "../train/non-finite.js";

/** Divides by the root mean square, keeping zero at zero (group-relative advantages are already centred). */
function scaleToUnitStd(a: Float32Array): Float32Array {
  let ss = 0;
  for (const v of a) ss += v * v;
  const rms = Math.sqrt(ss / Math.max(1, a.length));
  return a.map((v) => v / (rms + 1e-7));
}

/**
 * The PPO update of docs/method.md §8, top to bottom:
 *   R̂ = standardise(R);  A = R̂ − V_old   (or the buffer's group-relative advantages, scaled to unit std)
 *   repeat `epochs` times, over `minibatches` shuffled minibatches:
 *     q = exp(log π_θ(o|s) − log π_old(o|s))
 *     L = −min(q·A, clip(q, 1−ε, 1+ε)·A) + c_v·(V_θ(s) − R̂)²      (batch means; entropy is constant: omitted)
 *     one Adam step on actor + critic (optional global-norm clipping)
 * A NaN or infinite return, advantage, loss or gradient norm throws `NonFiniteError` before that minibatch's step
 * is applied, and non-finite parameters after the update throw too (docs/reliability.md); undoing the steps already
 * taken is the caller's (AdaGenTrainer.step restores its snapshot).
 */
export interface PPOLossTerms {
  total: tf.Scalar;
  policyLoss: tf.Scalar;
  valueLoss: tf.Scalar;
  clipFraction: tf.Scalar;
}

export function ppoLoss(args: {
  newLogProbs: tf.Tensor1D;
  oldLogProbs: tf.Tensor1D;
  advantages: tf.Tensor1D;
  values: tf.Tensor1D;
  targets: tf.Tensor1D;
  clip: number;
  valueCoef: number;
}): PPOLossTerms {
  const { newLogProbs, oldLogProbs, advantages, values, targets, clip, valueCoef } = args;
  const ratio = tf.exp(tf.sub(newLogProbs, oldLogProbs));
  const unclipped = tf.mul(ratio, advantages);
  const clipped = tf.mul(tf.clipByValue(ratio, 1 - clip, 1 + clip), advantages);
  const policyLoss = tf.neg(tf.mean(tf.minimum(unclipped, clipped))) as tf.Scalar;
  const valueLoss = tf.mean(tf.square(tf.sub(values, targets))) as tf.Scalar;
  const total = tf.add(policyLoss, tf.mul(valueCoef, valueLoss)) as tf.Scalar;
  const outside = tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), clip), "float32");
  const clipFraction = tf.mean(outside) as tf.Scalar;
  return { total, policyLoss, valueLoss, clipFraction };
}

export interface PPOUpdateStats {
  policyLoss: number;
  valueLoss: number;
  clipFraction: number;
  gradNorm: number;
  /** Mean raw terminal reward of the buffer. */
  meanReturn: number;
}

export async function ppoUpdate(args: {
  actor: PolicyNetwork;
  critic: PolicyNetwork;
  optimizer: tf.Optimizer;
  buffer: RolloutBuffer;
  config: PPOConfig;
  /** The exploration std the buffer's actions were sampled with. */
  std: number;
  rng: Random;
}): Promise<PPOUpdateStats> {
  const { actor, critic, optimizer, buffer, config, std, rng } = args;
  const data = buffer.concat();
  const S = data.steps.length;
  const { tokens: N, featureDim: D } = actor.config;
  const A = buffer.numActions;
  const targets = standardizeReturns(data.returns);
  const advantages = data.advantages ? scaleToUnitStd(data.advantages) : targets.map((t, i) => t - data.values[i]);
  // Plain arrays of S numbers, one pass each; the critic's V_old enters the advantages.
  const checks: [string, string, Float32Array][] = [
    ["returns", "the return", data.returns],
    ["returns", "the standardised return", targets],
    ["advantages", "the advantage", advantages],
  ];
  for (const [quantity, what, values] of checks) {
    const problem = nonFiniteEntries(what, values, "transitions");
    if (problem) throw new NonFiniteError(quantity, problem);
  }
  const varList = [...actor.variables, ...critic.variables];

  let last = { policyLoss: 0, valueLoss: 0, clipFraction: 0, gradNorm: 0 };
  const order = Int32Array.from({ length: S }, (_, i) => i);
  const perBatch = Math.ceil(S / config.minibatches);
  const minibatches = Math.ceil(S / perBatch);
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    if (config.minibatches > 1) rng.shuffle(order);
    for (let start = 0, minibatch = 1; start < S; start += perBatch, minibatch++) {
      const idx = order.subarray(start, Math.min(S, start + perBatch));
      const n = idx.length;
      const feats = new Float32Array(n * N * D);
      const steps = new Float32Array(n);
      const acts = new Float32Array(n * A);
      const oldLp = new Float32Array(n);
      const adv = new Float32Array(n);
      const tgt = new Float32Array(n);
      idx.forEach((i, r) => {
        feats.set(data.features.subarray(i * N * D, (i + 1) * N * D), r * N * D);
        steps[r] = data.steps[i];
        acts.set(data.actions.subarray(i * A, (i + 1) * A), r * A);
        oldLp[r] = data.logProbs[i];
        adv[r] = advantages[i];
        tgt[r] = targets[i];
      });
      const stats = tf.tidy(() => {
        const x = tf.tensor3d(feats, [n, N, D]);
        const actions = tf.tensor2d(acts, [n, A]);
        const terms: Partial<Record<keyof PPOLossTerms, tf.Scalar>> = {};
        const { grads } = tf.variableGrads(() => {
          const mean = actor.apply(x, steps);
          const value = tf.reshape(critic.apply(x, steps), [n]) as tf.Tensor1D;
          const t = ppoLoss({
            newLogProbs: gaussianLogProb(actions, mean, std),
            oldLogProbs: tf.tensor1d(oldLp),
            advantages: tf.tensor1d(adv),
            values: value,
            targets: tf.tensor1d(tgt),
            clip: config.clip,
            valueCoef: config.valueCoef,
          });
          terms.policyLoss = tf.keep(t.policyLoss);
          terms.valueLoss = tf.keep(t.valueLoss);
          terms.clipFraction = tf.keep(t.clipFraction);
          return t.total;
        }, varList);
        const norm = globalNorm(Object.values(grads));
        // One download for the figures and the checks, before anything is applied.
        const kept = [terms.policyLoss!, terms.valueLoss!, terms.clipFraction!];
        const [policyLoss, valueLoss, clipFraction, normValue] = tf.stack([...kept, norm]).dataSync();
        tf.dispose(kept);
        const where = `PPO epoch ${epoch + 1} of ${config.epochs}, minibatch ${minibatch} of ${minibatches}`;
        for (const [quantity, v] of [["policy loss", policyLoss], ["value loss", valueLoss]] as const)
          if (!Number.isFinite(v)) throw new NonFiniteError(quantity, `the ${quantity} is ${describeNumber(v)} at ${where}`);
        if (!Number.isFinite(normValue))
          throw new NonFiniteError("policy gradient", `the policy gradient is not finite (its norm is ${describeNumber(normValue)}) at ${where}`);
        if (config.maxGradNorm > 0 && normValue > config.maxGradNorm) {
          const scale = config.maxGradNorm / normValue;
          for (const k of Object.keys(grads)) grads[k] = tf.mul(grads[k], scale);
        }
        optimizer.applyGradients(grads);
        return { policyLoss, valueLoss, clipFraction, gradNorm: normValue };
      });
      last = stats;
    }
  }
  // A NaN anywhere in a network shows up in one reduction over its weights.
  checkFiniteTensors("actor parameters", actor.variables, " after the PPO update");
  checkFiniteTensors("critic parameters", critic.variables, " after the PPO update");
  let meanReturn = 0;
  for (const r of data.returns) meanReturn += r / S;
  return { ...last, meanReturn };
}

function globalNorm(tensors: tf.Tensor[]): tf.Scalar {
  return tf.sqrt(tf.addN(tensors.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
}
