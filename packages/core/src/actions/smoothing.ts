/**
 * Causal EMA over steps (docs/method.md §11, Eq. 12): v_0 = u_0, v_k = rho·v_{k-1} + (1-rho)·u_k.
 * Applied to pre-activation actions; causal, so the action at step k depends only on steps 0..k.
 */
export function smoothSequence(u: readonly number[], rho: number): number[] {
  const v: number[] = [];
  for (let k = 0; k < u.length; k++) v.push(k === 0 ? u[0] : rho * v[k - 1] + (1 - rho) * u[k]);
  return v;
}

/** Inverse of `smoothSequence`: h_0 = z_0, h_k = (z_k - rho·z_{k-1}) / (1-rho) (docs/method.md §4.4). */
export function unsmoothSequence(z: readonly number[], rho: number): number[] {
  if (rho === 0) return z.slice();
  return z.map((zk, k) => (k === 0 ? zk : (zk - rho * z[k - 1]) / (1 - rho)));
}

export function checkSmoothing(rho: number): void {
  if (!(rho >= 0 && rho < 1)) throw new RangeError(`action smoothing rho must be in [0, 1), got ${rho}`);
}
