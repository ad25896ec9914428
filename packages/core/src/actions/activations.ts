/**
 * Output activations g and their inverses (docs/method.md §4.2). Float64 scalar math: the heuristic residual table is
 * computed once per schedule, and exact reproduction of the heuristic depends on these being precise.
 */
export type ActivationName = "sigmoid" | "softplus" | "scaledSigmoid";

/** Logit inputs are clamped to [EPS, 1-EPS] so the heuristic endpoints stay finite (docs/method.md §4.2). */
const LOGIT_EPS = 1e-6;

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export function logit(y: number): number {
  const p = Math.min(Math.max(y, LOGIT_EPS), 1 - LOGIT_EPS);
  return Math.log(p) - Math.log1p(-p);
}

/** Stable softplus log(1 + e^x), beta = 1. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Inverse softplus log(e^y - 1), written y + log(1 - e^-y) to stay finite for large y. */
export function inverseSoftplus(y: number): number {
  if (!(y > 0)) throw new RangeError(`inverse softplus needs a positive value, got ${y}`);
  return y + Math.log(-Math.expm1(-y));
}

/** Applies activation `name` to a pre-activation value; `scale` is used by "scaledSigmoid" (e.g. VAR top-k). */
export function activate(name: ActivationName, x: number, scale = 1): number {
  switch (name) {
    case "sigmoid":
      return sigmoid(x);
    case "softplus":
      return softplus(x);
    case "scaledSigmoid":
      return scale * sigmoid(x);
  }
}

/** Inverse of `activate`: the pre-activation value that produces `y`. */
export function inverseActivate(name: ActivationName, y: number, scale = 1): number {
  switch (name) {
    case "sigmoid":
      return logit(y);
    case "softplus":
      return inverseSoftplus(y);
    case "scaledSigmoid":
      return logit(y / scale);
  }
}
