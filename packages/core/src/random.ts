/**
 * Seeded, serialisable randomness (xoshiro128**, seeded through splitmix32). Every random draw in the project
 * (exploration noise, initial noise, token sampling, data order) goes through one of these, so a run is
 * reproducible from its seed and a checkpoint can restore the exact stream.
 */
/**
 * One stream per sample for the stochastic samplers (MaskGIT, VAR): `seed` draws one uint32 per group of
 * `noiseGroup` consecutive samples, and each sample gets a `Random` seeded with its group's value, so a sample's
 * draws do not depend on the batch it runs in, and the samples of a group share theirs.
 */
export function sampleStreams(batch: number, seed: number, noiseGroup = 1): Random[] {
  if (!(Number.isInteger(noiseGroup) && noiseGroup >= 1)) throw new RangeError(`noiseGroup must be a positive integer, got ${noiseGroup}`);
  const master = new Random(seed);
  const groupSeeds = Array.from({ length: Math.ceil(batch / noiseGroup) }, () => master.nextUint32());
  return Array.from({ length: batch }, (_, b) => new Random(groupSeeds[Math.floor(b / noiseGroup)]));
}

export class Random {
  private s = new Uint32Array(4);
  /** Second Box-Muller value kept for the next `normal()` call (NaN when none). */
  private spare = NaN;

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Fills `out` with standard normals (mean + std·N(0,1) when given). */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Standard Gumbel(0, 1). */
  gumbel(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    return -Math.log(-Math.log(u));
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[] | Int32Array | Uint32Array): typeof items {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A new independent stream derived from this one (advances this stream). */
  fork(): Random {
    return new Random(this.nextUint32());
  }

  /** The full state, for checkpoints. */
  getState(): number[] {
    return [...this.s, this.spare];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 5) throw new RangeError(`random state needs 5 numbers, got ${state.length}`);
    for (let i = 0; i < 4; i++) this.s[i] = state[i] >>> 0;
    this.spare = state[4] === null ? NaN : Number(state[4]);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * An independent stream for branch `c` ≥ 1 of `rng` at its current state, leaving `rng` untouched: lookahead draws
 * candidate c's transition from it while candidate 0 uses `rng` itself (docs/method.md §12.2).
 */
export function branchStream(rng: Random, c: number): Random {
  if (!(Number.isInteger(c) && c >= 1)) throw new RangeError(`branch index must be a positive integer, got ${c}`);
  const [s0, s1, s2, s3] = rng.getState();
  return new Random((s0 ^ Math.imul(s1, 0x9e3779b9) ^ Math.imul(s2, 0x85ebca6b) ^ Math.imul(s3, 0xc2b2ae35) ^ Math.imul(c, 0x27d4eb2f)) >>> 0);
}
