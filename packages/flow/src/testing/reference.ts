/**
 * Test helpers: the docs/method.md §5.4 sampler written out directly with the pure solver functions (no env), and an
 * untrained-policy rollout through core's ActionDecoder + rollout.
 */
import { ActionDecoder, Random, classifierFreeGuidance, rollout, sizeOf, type Endpoint, type GenerationEnv } from "@adagen/core";
import type { FlowSolverName } from "../flow-solver-scheduler.js";
import { dataFromVelocity } from "../path.js";
import type { VelocityPredictor } from "../predictor.js";
import { eulerStep, flowDpmSolver2S, flowDpmSolverFirstOrder, rk2Step } from "../solvers.js";

/**
 * One guided evaluation per time point but the last; the pair solvers take (s, s1, t) triples (odd count: last step
 * first order), Euler every consecutive pair. Times are rounded to float32 first, as executed actions are. With the
 * data endpoint the step that would end at the last time point instead returns x + (1 − tau)·v of the last call.
 */
export async function referenceSampler(
  pred: VelocityPredictor,
  times: readonly number[],
  w: number,
  solver: FlowSolverName,
  conds: Int32Array,
  seed: number,
  endpoint: Endpoint = "data",
): Promise<Float32Array> {
  const toData = endpoint === "data";
  const B = conds.length;
  const T = times.length - 1;
  const tf = times.map(Math.fround);
  const full = (v: number) => new Float64Array(B).fill(v);
  const nulls = new Int32Array(B).fill(pred.numClasses);
  const guided = async (x: Float32Array, tau: number) => {
    const t32 = new Float32Array(B).fill(tau);
    const c = await pred.predict(x, t32, conds, B);
    const u = await pred.predict(x, t32, nulls, B);
    return classifierFreeGuidance(c.output, u.output, new Float32Array(B).fill(w));
  };
  let x = new Random(seed).fillNormal(new Float32Array(B * sizeOf(pred.dataShape))) as Float32Array;
  if (solver === "euler") {
    for (let i = 0; i < T; i++) {
      const v = await guided(x, tf[i]);
      x = toData && i === T - 1 ? dataFromVelocity(x, v, full(tf[i])) : eulerStep({ x, v, s: full(tf[i]), t: full(tf[i + 1]) });
    }
    return x;
  }
  let i = 0;
  while (i < T) {
    const s = full(tf[i]);
    const v = await guided(x, tf[i]);
    if (i + 1 < T) {
      const [s1, t] = [full(tf[i + 1]), full(tf[i + 2])];
      if (solver === "dpm2S") {
        const xData = dataFromVelocity(x, v, s);
        const xm = flowDpmSolverFirstOrder({ x, xData, s, t: s1 });
        const xDataMid = dataFromVelocity(xm, await guided(xm, tf[i + 1]), s1);
        x = toData && i + 2 === T ? xDataMid : flowDpmSolver2S({ x, xData, xDataMid, s, s1, t });
      } else {
        const xm = eulerStep({ x, v, s, t: s1 });
        const vStage = await guided(xm, tf[i + 1]);
        x = toData && i + 2 === T ? dataFromVelocity(xm, vStage, s1) : rk2Step({ x, v, vStage, s, s1, t });
      }
      i += 2;
    } else {
      const t = full(tf[T]);
      x = toData
        ? dataFromVelocity(x, v, s)
        : solver === "dpm2S"
          ? flowDpmSolverFirstOrder({ x, xData: dataFromVelocity(x, v, s), s, t })
          : eulerStep({ x, v, s, t });
      i += 1;
    }
  }
  return x;
}

/** Rolls out `env` with an untrained policy: zero raw outputs (no actor) through core's ActionDecoder and rollout. */
export async function rolloutUntrained(env: GenerationEnv, conds: Int32Array, seed: number): Promise<Float32Array> {
  const result = await rollout(env, undefined, new ActionDecoder(env.actionSpec), conds, seed);
  return result.samples.data;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
