/**
 * Rank statistics for comparing scorers: average ranks (ties share the mean of the positions they span),
 * Spearman's rho as the Pearson correlation of average ranks, and ROC-AUC as the Mann–Whitney U statistic.
 * Everything is O(n log n) (one sort); bad input throws a RangeError that says what is wrong.
 */

function checkValues(v: ArrayLike<number>, name: string): void {
  for (let i = 0; i < v.length; i++)
    if (!Number.isFinite(v[i])) throw new RangeError(`${name}[${i}] is ${v[i]}; rank statistics need finite values`);
}

/**
 * 1-based ranks of `v` in ascending order; tied values all get the average of the ranks they occupy
 * (e.g. [10, 20, 20, 30] → [1, 2.5, 2.5, 4]). Throws a RangeError on a non-finite value.
 */
export function averageRanks(v: ArrayLike<number>): number[] {
  checkValues(v, "values");
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => v[p] - v[q]);
  const ranks = new Array<number>(n);
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && v[order[j]] === v[order[i]]) j++;
    // Sorted positions i..j-1 are ranks i+1..j; their mean is (i+1+j)/2.
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) ranks[order[k]] = rank;
    i = j;
  }
  return ranks;
}

/**
 * Spearman's rank correlation of paired values: the Pearson correlation of their average ranks, so ties are
 * handled exactly (the textbook 1 − 6Σd²/(n(n²−1)) holds only without ties). In [−1, 1]; NaN when either side is
 * constant (the correlation is undefined). Throws a RangeError on a length mismatch, fewer than 2 pairs, or a
 * non-finite value.
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`spearman needs paired values, got lengths ${a.length} and ${b.length}`);
  if (a.length < 2) throw new RangeError(`spearman needs at least 2 pairs, got ${a.length}`);
  checkValues(a, "a");
  checkValues(b, "b");
  const [ra, rb] = [averageRanks(a), averageRanks(b)];
  const mean = (a.length + 1) / 2; // average ranks always sum to n(n+1)/2
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < ra.length; i++) {
    const [da, db] = [ra[i] - mean, rb[i] - mean];
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/**
 * Area under the ROC curve of a score that should be higher for `positives` than for `negatives`: the probability
 * that a random positive scores above a random negative, a tie counting 1/2 (the Mann–Whitney U over m·n).
 * 1 = perfect separation, 0.5 = indistinguishable, 0 = perfectly reversed. Computed from average ranks of the pooled
 * scores in O((m+n) log(m+n)). Throws a RangeError when either side is empty or a score is not finite.
 */
export function rocAuc(positives: ArrayLike<number>, negatives: ArrayLike<number>): number {
  const [m, n] = [positives.length, negatives.length];
  if (m < 1 || n < 1) throw new RangeError(`rocAuc needs at least 1 positive and 1 negative, got ${m} and ${n}`);
  checkValues(positives, "positives");
  checkValues(negatives, "negatives");
  const pooled = new Float64Array(m + n);
  for (let i = 0; i < m; i++) pooled[i] = positives[i];
  for (let i = 0; i < n; i++) pooled[m + i] = negatives[i];
  const ranks = averageRanks(pooled);
  let rankSum = 0;
  for (let i = 0; i < m; i++) rankSum += ranks[i];
  // U = (pairs a positive wins) + ½(ties) = rank sum of the positives − m(m+1)/2.
  return (rankSum - (m * (m + 1)) / 2) / (m * n);
}
