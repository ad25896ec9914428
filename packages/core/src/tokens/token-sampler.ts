/**
 * One token drawn from a row of guided logits, the way both token paradigms sample (docs/method.md §5.1 step 2,
 * §5.2 steps 4-6): optional top-k, then optional top-p at temperature 1, then the temperature, then one categorical
 * draw by inverse CDF on one uniform, over the ids in increasing order. MaskGIT uses the temperature alone; VAR
 * all three filters.
 *
 *   top-k  K ≤ 0 or K ≥ V: no filter; otherwise every logit below the K-th largest is removed (ties with it kept).
 *   top-p  p ≥ 1: no filter; otherwise, over the logits left by top-k at temperature 1 sorted in increasing order,
 *          the tokens whose cumulative probability is ≤ 1 − p are removed; the most likely token always stays
 *          (its cumulative probability is 1). Ties at the cut are kept.
 *
 * The sampler owns its scratch buffers so a hot loop over tokens allocates nothing. `logProbability` gives MaskGIT's
 * confidence, log softmax at temperature 1 over the whole row, from the normaliser the last draw computed anyway.
 */
export class TokenSampler {
  private readonly sorted: Float64Array;
  private readonly weights: Float64Array;
  private max = 0;
  private z = 1;

  constructor(readonly vocabulary: number) {
    if (!(Number.isInteger(vocabulary) && vocabulary >= 1)) throw new RangeError(`vocabulary must be a positive integer, got ${vocabulary}`);
    this.sorted = new Float64Array(vocabulary);
    this.weights = new Float64Array(vocabulary);
  }

  /**
   * The drawn id for `row` (V logits) with uniform `u` in [0, 1). `topK` is an integer count (0 = off), `topP` a
   * probability (1 = off), `temperature` > 0 divides the kept logits.
   */
  draw(row: ArrayLike<number>, u: number, temperature: number, topK = 0, topP = 1): number {
    const V = this.vocabulary;
    if (row.length !== V) throw new RangeError(`a row of logits has ${row.length} values, expected ${V}`);
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, row[j]);
    const cutoff = (topK > 0 && topK < V) || topP < 1 ? this.cutoff(row, max, topK, topP) : -Infinity;
    // One pass: the kept weights at the temperature for the draw, and the temperature-1 normaliser of the whole row.
    const weights = this.weights;
    let total = 0;
    let z = 0;
    for (let j = 0; j < V; j++) {
      const e = Math.exp(row[j] - max);
      z += e;
      total += weights[j] = row[j] < cutoff ? 0 : temperature === 1 ? e : Math.exp((row[j] - max) / temperature);
    }
    this.max = max;
    this.z = z;
    let rest = u * total;
    for (let j = 0; j < V; j++) {
      rest -= weights[j];
      if (rest < 0) return j;
    }
    // u·total rounded up to the total: the last kept id.
    for (let j = V - 1; j > 0; j--) if (weights[j] > 0) return j;
    return 0;
  }

  /** log softmax(row)[id] at temperature 1 over the whole row; `row` must be the last row drawn from. */
  logProbability(row: ArrayLike<number>, id: number): number {
    return row[id] - this.max - Math.log(this.z);
  }

  /** The smallest logit that top-k and top-p keep. */
  private cutoff(row: ArrayLike<number>, max: number, topK: number, topP: number): number {
    const V = this.vocabulary;
    const sorted = this.sorted;
    for (let j = 0; j < V; j++) sorted[j] = row[j];
    sorted.sort();
    // Top-k: the K-th largest value; everything at or above it stays.
    let first = topK > 0 && topK < V ? V - topK : 0;
    while (first > 0 && sorted[first - 1] === sorted[first]) first--;
    if (!(topP < 1)) return sorted[first];
    // Top-p over the kept range at temperature 1, cumulated from the least likely.
    let total = 0;
    for (let i = first; i < V; i++) total += Math.exp(sorted[i] - max);
    let cumulative = 0;
    for (let i = first; i < V; i++) {
      cumulative += Math.exp(sorted[i] - max) / total;
      if (cumulative > 1 - topP) return sorted[i];
    }
    return max;
  }
}
