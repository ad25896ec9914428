/**
 * The parts of numpy's legacy `np.random.RandomState(seed)` that the metrics need, bit-exact: MT19937 seeded
 * from a 32-bit integer, `permutation(n)` and `choice(n, size, replace=False)` (which numpy implements as
 * `permutation(n)[:size]`). torch-fidelity draws its KID subsets and its Inception Score shuffle this way
 * (seed 2020), so reproducing it makes the reported numbers identical, not just statistically equal.
 */
const N = 624;
const M = 397;

export class NumpyRandomState {
  private readonly mt = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`seed must be an integer in [0, 2**32 - 1], got ${seed}`);
    }
    // numpy's `_legacy_seeding` for an integer seed: init_genrand (Matsumoto & Nishimura 2002).
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** Next raw 32-bit output of MT19937. */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
      let v = mt[(i + M) % N] ^ (y >>> 1);
      if (y & 1) v ^= 0x9908b0df;
      mt[i] = v >>> 0;
    }
    this.index = 0;
  }

  /** Uniform integer in [0, max] by masked rejection (numpy `random_interval`, 32-bit path). */
  interval(max: number): number {
    if (max === 0) return 0;
    if (max > 0xffffffff) throw new RangeError("interval above 2**32 - 1 is not supported");
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0;
    while (v > max);
    return v;
  }

  /** `np.random.RandomState.permutation(n)`: Fisher–Yates from the last element down. */
  permutation(n: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    for (let i = n - 1; i >= 1; i--) {
      const j = this.interval(i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** `choice(n, size, replace=False)` = `permutation(n)[:size]`. */
  choiceWithoutReplacement(n: number, size: number): Int32Array {
    if (size > n) throw new RangeError(`cannot take ${size} samples from ${n} without replacement`);
    return this.permutation(n).subarray(0, size);
  }
}
