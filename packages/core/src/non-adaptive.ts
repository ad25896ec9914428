import type { GenerationEnv, Observation } from "./env.js";

/** Envs returned by `nonAdaptive` (so wrapping twice returns the same wrapper). */
const wrapped = new WeakSet<object>();

export interface NonAdaptiveOptions {
  /**
   * The value every feature is replaced with (default 1). Not 0: PolicyNetwork starts with its output layer and every
   * AdaLN modulation at zero, so on all-zero features each hidden activation is exactly 0 and stays there (LayerNorm
   * of 0 is 0, GELU(0) = 0); out/w and every step modulation then get zero gradient and only the output bias
   * learns, one offset for all decisions instead of a schedule. A constant 1 carries no more about the sample than 0
   * does, but gives the step's modulations something to act on.
   */
  value?: number;
}

/**
 * The "learnable but not adaptive" ablation (paper Table XI): the same env, except that `observe` hands the policy
 * constant features (every value `options.value`, default 1) of the same shape instead of the generator's. The
 * policy's output then depends on the step index alone, so it learns ONE schedule shared by every sample; every
 * sample of a batch gets the same action mean (exploration noise, drawn per sample by `rollout`, still differs).
 * The generator itself is untouched: the wrapped env's `observe` is still called (state, step index and its checks
 * are the env's own), only its features are replaced.
 *
 * Everything else (horizon, action spec, reset/step/render/dispose and any extra members such as a diffusion env's
 * `executedSchedule` or `schedule`) is forwarded to the wrapped env, with `this` bound to it. The constant buffer is
 * cached per batch size and shared between calls: callers must not write into observed features. Wrapping a
 * wrapped env returns it unchanged.
 */
export function nonAdaptive<E extends GenerationEnv>(env: E, options: NonAdaptiveOptions = {}): E {
  if (wrapped.has(env)) return env;
  const value = options.value ?? 1;
  if (!Number.isFinite(value)) throw new RangeError(`nonAdaptive: value must be finite, got ${value}`);
  const constants = new Map<number, Float32Array>();
  const bound = new WeakMap<object, unknown>(); // the env's methods, bound once (stable identity)
  const observe = async (): Promise<Observation> => {
    const obs = await env.observe();
    const { data, shape } = obs.features;
    const B = shape[0] ?? 0;
    let c = constants.get(B);
    if (!c || c.length !== data.length) {
      c = new Float32Array(data.length).fill(value);
      constants.set(B, c);
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
  wrapped.add(proxy);
  return proxy;
}

/** True for an env returned by `nonAdaptive`. */
export function isNonAdaptive(env: GenerationEnv): boolean {
  return wrapped.has(env);
}
