import type { GenerationEnv, Observation } from "./env.js";
import { sinusoidalFeatures } from "./nn/layers.js";

/** Envs returned by `nonAdaptive`, with what they hand the policy (so wrapping twice returns the same wrapper). */
const wrapped = new WeakMap<object, SharedFeatures>();

/**
 * What a shared-schedule policy reads in place of the generator's features:
 * - "step" (the default): every token holds the sinusoidal encoding of the step index (width D, the features'). The
 *   policy's input layer then sees the step as an adaptive policy sees its features, so a per-step schedule is
 *   learned as fast as an adaptive policy learns; through the AdaLN step modulations alone (which start at zero
 *   behind an output layer that starts at zero) a 60-iteration var-tiny run had learned one offset for all six
 *   scales, equal to 4 digits.
 * - "constant": every value `value` (default 1): shared-schedule files written before "step" existed.
 */
export type SharedFeatures = "step" | "constant";

/** True for a valid `SharedFeatures` value (e.g. one read from a file). */
export function isSharedFeatures(x: unknown): x is SharedFeatures {
  return x === "step" || x === "constant";
}

export interface NonAdaptiveOptions {
  features?: SharedFeatures;
  /**
   * With "constant": the value every feature is replaced with (default 1). Not 0: PolicyNetwork starts with its
   * output layer and every AdaLN modulation at zero, so on all-zero features each hidden activation is exactly 0
   * and stays there (LayerNorm of 0 is 0, GELU(0) = 0); out/w and every step modulation then get zero gradient and
   * only the output bias learns.
   */
  value?: number;
}

/**
 * The "learnable but not adaptive" ablation (paper Table XI): the same env, except that `observe` hands the policy
 * features of the same shape that depend on the step index alone (`options.features`) instead of the generator's.
 * The policy then learns ONE schedule shared by every sample; every sample of a batch gets the same action mean
 * (exploration noise, drawn per sample by `rollout`, still differs). The generator itself is untouched: the wrapped
 * env's `observe` is still called (state, step index and its checks are the env's own), only its features are
 * replaced.
 *
 * Everything else (horizon, action spec, reset/step/render/dispose and any extra members such as a diffusion env's
 * `executedSchedule` or `schedule`) is forwarded to the wrapped env, with `this` bound to it. The feature buffers are
 * cached per batch size and step and shared between calls: callers must not write into observed features. Wrapping
 * a wrapped env returns it unchanged.
 */
export function nonAdaptive<E extends GenerationEnv>(env: E, options: NonAdaptiveOptions = {}): E {
  if (wrapped.has(env)) return env;
  const kind = options.features ?? "step";
  if (!isSharedFeatures(kind)) throw new RangeError(`nonAdaptive: features must be "step" or "constant", got ${String(kind)}`);
  const value = options.value ?? 1;
  if (!Number.isFinite(value)) throw new RangeError(`nonAdaptive: value must be finite, got ${value}`);
  const cache = new Map<string, Float32Array>();
  const bound = new WeakMap<object, unknown>(); // the env's methods, bound once (stable identity)
  const observe = async (): Promise<Observation> => {
    const obs = await env.observe();
    const { data, shape } = obs.features;
    const D = shape[shape.length - 1] ?? 1;
    const key = kind === "step" ? `${data.length}/${obs.step}` : `${data.length}`;
    let c = cache.get(key);
    if (!c) {
      c = new Float32Array(data.length);
      if (kind === "constant") c.fill(value);
      else {
        const encoding = sinusoidalFeatures([obs.step], D);
        for (let at = 0; at < c.length; at += D) c.set(encoding, at);
      }
      cache.set(key, c);
    }
    return { ...obs, features: { data: c, shape: [...shape] } };
  };
  const proxy = new Proxy(env, {
    get(target, prop) {
      if (prop === "observe") return observe;
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== "function") return v;
      const fn = v as (...args: unknown[]) => unknown;
      let f = bound.get(fn);
      if (!f) bound.set(fn, (f = fn.bind(target)));
      return f;
    },
  });
  wrapped.set(proxy, kind);
  return proxy;
}

/** True for an env returned by `nonAdaptive`. */
export function isNonAdaptive(env: GenerationEnv): boolean {
  return wrapped.has(env);
}

/** What an env returned by `nonAdaptive` hands the policy; undefined for any other env. */
export function sharedFeaturesOf(env: GenerationEnv): SharedFeatures | undefined {
  return wrapped.get(env);
}
