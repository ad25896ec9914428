/**
 * A noise schedule x_tau = alpha(tau)·x_0 + sigma(tau)·eps in continuous time, **tau = 0 is data**, larger tau is
 * noisier; `lambda(tau) = log alpha − log sigma` is the half log-SNR, decreasing in tau. DPM-Solver++ (dpm-solver.ts)
 * needs nothing else: diffusion's VP schedules and the rectified-flow path (alpha = 1 − u, sigma = u) both are one.
 */
export interface NoiseSchedule {
  readonly name: string;
  /** Largest time at which lambda is finite; samplers must start at or below it. */
  readonly tauMax: number;
  logAlpha(tau: number): number;
  alpha(tau: number): number;
  sigma(tau: number): number;
  /** Half log-SNR, log(alpha/sigma). +Infinity at tau = 0. */
  lambda(tau: number): number;
  /** The time whose half log-SNR is `lambda` (inverse of `lambda`). */
  inverseLambda(lambda: number): number;
}
