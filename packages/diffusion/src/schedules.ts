/**
 * Variance-preserving (VP) noise schedules in continuous time (docs/method.md §5.3).
 *
 * Time convention: `tau` in [0, 1], **tau = 0 is data, larger tau is noisier**; sampling runs tau downwards.
 * The noised state is `x_tau = alpha(tau)·x_0 + sigma(tau)·eps` with `alpha² + sigma² = 1`, and
 * `lambda(tau) = log alpha − log sigma` is the half log-SNR, which decreases as tau grows.
 */
import type { NoiseSchedule } from "@adagen/core";

export type { NoiseSchedule };

/** Stable log(1 + e^x). */
function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** log alpha from a half log-SNR: alpha² = 1 / (1 + e^(−2·lambda)). */
function logAlphaOfLambda(lambda: number): number {
  return -0.5 * softplus(-2 * lambda);
}

/** Shared VP algebra given log alpha(tau); subclasses supply logAlpha and its inverse. */
abstract class VPSchedule implements NoiseSchedule {
  abstract readonly name: string;
  abstract readonly tauMax: number;
  abstract logAlpha(tau: number): number;
  /** The time whose log alpha is `logAlpha` (≤ 0). */
  protected abstract tauOfLogAlpha(logAlpha: number): number;

  alpha(tau: number): number {
    return Math.exp(this.logAlpha(tau));
  }

  sigma(tau: number): number {
    // sqrt(1 − alpha²) via expm1 keeps precision near tau = 0, where alpha ≈ 1.
    return Math.sqrt(-Math.expm1(2 * this.logAlpha(tau)));
  }

  lambda(tau: number): number {
    const la = this.logAlpha(tau);
    return la - 0.5 * Math.log(-Math.expm1(2 * la));
  }

  inverseLambda(lambda: number): number {
    if (Number.isNaN(lambda)) throw new RangeError(`inverseLambda needs a number, got ${lambda}`);
    return this.tauOfLogAlpha(logAlphaOfLambda(lambda));
  }

  protected checkTau(tau: number): void {
    if (!(tau >= 0 && tau <= this.tauMax))
      throw new RangeError(`${this.name} schedule: tau must be in [0, ${this.tauMax}], got ${tau}`);
  }
}

/**
 * The VP "linear" schedule: beta(tau) = beta0 + tau·(beta1 − beta0) on tau in [0, 1], so
 * `log alpha(tau) = −(beta1 − beta0)·tau²/4 − beta0·tau/2` (docs/method.md §5.3).
 *
 * This is the continuous-time limit of DDPM/DiT's discrete linear betas 1e-4..0.02 over N = 1000 steps:
 * beta_i ≈ beta(i/N)/N, hence beta0 = 0.1 = 1000·1e-4 and beta1 = 20 = 1000·0.02. A DiT trained on those
 * discrete steps takes the model time input `1000·tau` (see `ditTimestep`).
 */
export class VPLinearSchedule extends VPSchedule {
  readonly name = "vp-linear";
  readonly tauMax = 1;
  /** beta(0) and beta(1) in continuous units (docs/method.md §5.3: 0.1 and 20). */
  constructor(
    readonly beta0 = 0.1,
    readonly beta1 = 20,
  ) {
    super();
    if (!(beta0 > 0 && beta1 > beta0))
      throw new RangeError(`VP linear schedule needs 0 < beta0 < beta1, got beta0=${beta0}, beta1=${beta1}`);
  }

  logAlpha(tau: number): number {
    this.checkTau(tau);
    return (-(this.beta1 - this.beta0) * tau * tau) / 4 - (this.beta0 * tau) / 2;
  }

  protected tauOfLogAlpha(logAlpha: number): number {
    // Root of (b1−b0)/4·tau² + b0/2·tau + logAlpha = 0, written 2c/(b + sqrt(b² − 4ac)) with c = −logAlpha
    // so it stays accurate when logAlpha → 0 (tau → 0).
    const a = (this.beta1 - this.beta0) / 4;
    const b = this.beta0 / 2;
    const c = -logAlpha;
    return (2 * c) / (b + Math.sqrt(b * b + 4 * a * c));
  }
}

/**
 * The cosine VP schedule (Nichol & Dhariwal 2021, continuous form as in DPM-Solver):
 * `alpha(tau) = cos(π/2·(tau + s)/(1 + s)) / cos(π/2·s/(1 + s))` with s = 0.008. alpha reaches 0 at tau = 1, so the
 * usable range stops at tauMax = 0.9946 (DPM-Solver's choice), where lambda ≈ −5.0.
 */
export class VPCosineSchedule extends VPSchedule {
  readonly name = "vp-cosine";
  readonly tauMax = 0.9946;
  private readonly logAlpha0: number;

  constructor(readonly s = 0.008) {
    super();
    if (!(s > 0)) throw new RangeError(`cosine schedule offset s must be positive, got ${s}`);
    this.logAlpha0 = Math.log(Math.cos((Math.PI / 2) * (s / (1 + s))));
  }

  logAlpha(tau: number): number {
    this.checkTau(tau);
    return Math.log(Math.cos((Math.PI / 2) * ((tau + this.s) / (1 + this.s)))) - this.logAlpha0;
  }

  protected tauOfLogAlpha(logAlpha: number): number {
    // Closed form: invert the cosine.
    const angle = Math.acos(Math.exp(logAlpha + this.logAlpha0));
    return (angle * 2 * (1 + this.s)) / Math.PI - this.s;
  }
}

/** DiT's model time input for continuous time tau: plain scaling by its 1000 training steps (docs/method.md §5.3). */
export function ditTimestep(tau: number): number {
  return 1000 * tau;
}

export type ScheduleName = "linear" | "cosine";

/** The schedule called `name` with its docs/method.md defaults. */
export function noiseSchedule(name: ScheduleName): NoiseSchedule {
  switch (name) {
    case "linear":
      return new VPLinearSchedule();
    case "cosine":
      return new VPCosineSchedule();
    default:
      throw new RangeError(`unknown noise schedule "${String(name)}", expected "linear" or "cosine"`);
  }
}
