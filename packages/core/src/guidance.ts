/** Float32 or float64 arrays: the solvers keep float32 states, tests use float64 references. */
export type FloatArray = Float32Array | Float64Array;

/**
 * Classifier-free guidance in the docs/method.md convention (§1): `eps = eps_c + w·(eps_c − eps_u)`, so w = 0 is the
 * unguided conditional prediction and the "standard" scale is 1 + w. One weight per sample (`w.length = B`).
 *
 * `guidedElements` (optional, length `dim`): 1 where guidance applies within a sample, 0 where the conditional
 * prediction is kept (DiT's reference sampler guides only latent channels 0-2, docs/method.md §5.3 step 5). The same rule combines
 * MaskGIT's and VAR's logits (docs/method.md §1). See
 * `channelMask`.
 */
export function classifierFreeGuidance<T extends FloatArray>(
  epsCond: T,
  epsUncond: FloatArray,
  w: ArrayLike<number>,
  guidedElements?: Uint8Array,
  out?: T,
): T {
  if (epsUncond.length !== epsCond.length)
    throw new RangeError(`"epsUncond" has ${epsUncond.length} values, expected ${epsCond.length} (same as "epsCond")`);
  const B = w.length;
  if (B === 0 || epsCond.length % B !== 0)
    throw new RangeError(`guidance: ${epsCond.length} values are not a multiple of the ${B} per-sample weights`);
  const dim = epsCond.length / B;
  if (guidedElements && guidedElements.length !== dim)
    throw new RangeError(`guidedElements has ${guidedElements.length} entries, expected one per element (${dim})`);
  const res = out ?? (new (epsCond.constructor as new (n: number) => T)(epsCond.length));
  for (let b = 0; b < B; b++) {
    const wb = w[b];
    for (let j = 0, i = b * dim; j < dim; j++, i++) {
      const c = epsCond[i];
      res[i] = guidedElements && !guidedElements[j] ? c : c + wb * (c - epsUncond[i]);
    }
  }
  return res;
}

/**
 * Per-element mask for `classifierFreeGuidance` that guides only `channels` of a sample shaped `dataShape`
 * (channel axis first, e.g. [C, H, W]).
 */
export function channelMask(dataShape: readonly number[], channels: readonly number[]): Uint8Array {
  const C = dataShape[0];
  const dim = dataShape.reduce((p, n) => p * n, 1);
  const per = dim / C;
  const mask = new Uint8Array(dim);
  for (const c of channels) {
    if (!(Number.isInteger(c) && c >= 0 && c < C))
      throw new RangeError(`guided channel ${c} is out of range for data shape [${dataShape.join(",")}] (0..${C - 1})`);
    mask.fill(1, c * per, (c + 1) * per);
  }
  return mask;
}
