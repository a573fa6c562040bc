/**
 * Is one model really better than another on the same test images? Two accuracies a few tenths of a point
 * apart on FER2013 PublicTest (3,589 faces) are often the same model twice: what tells them apart is the
 * faces that exactly one of them gets right. McNemar's test looks only at those: if the models were equally
 * good, each such face would be either model's with probability 1/2, so the count of one model's faces is
 * Binomial(b + c, 1/2). The exact two-sided p-value is used (not the chi-square approximation), since the
 * counts can be small. Pure (no I/O).
 */

export interface PairedComparison {
  /** images compared */
  n: number;
  accuracyA: number;
  accuracyB: number;
  /** images both models get right / wrong */
  bothRight: number;
  bothWrong: number;
  /** images only A gets right (b) and only B gets right (c): the ones the test looks at */
  onlyA: number;
  onlyB: number;
  /** exact two-sided McNemar p-value: the chance of a split at least this uneven if the models were equally good */
  pValue: number;
}

/** ln(k!) for k = 0..n, summed once so a whole tail of binomial terms costs O(n). */
function logFactorials(n: number): Float64Array {
  const f = new Float64Array(n + 1);
  for (let k = 2; k <= n; k++) f[k] = f[k - 1] + Math.log(k);
  return f;
}

/**
 * Exact two-sided McNemar p-value for b faces only one model gets right and c only the other:
 * min(1, 2 P(X <= min(b, c))) for X ~ Binomial(b + c, 1/2). The terms are summed in log space, so
 * thousands of discordant faces do not underflow. 1 when there are none (no evidence either way).
 */
export function mcnemarExact(b: number, c: number): number {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0) throw new RangeError(`mcnemarExact: counts must be integers >= 0, got ${b} and ${c}`);
  const m = b + c, k = Math.min(b, c);
  if (m === 0) return 1;
  const lf = logFactorials(m), half = m * Math.LN2;
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(lf[m] - lf[i] - lf[m - i] - half);
  return Math.min(1, 2 * tail);
}

/**
 * Two models' answers on the same images compared: `correctA[i]` and `correctB[i]` are 1 where that model's
 * top class for image i is its label. The arrays must be in the same image order (one evaluation each of the
 * same dataset).
 */
export function comparePaired(correctA: ArrayLike<number>, correctB: ArrayLike<number>): PairedComparison {
  const n = correctA.length;
  if (correctB.length !== n) throw new RangeError(`comparePaired: ${n} answers against ${correctB.length}: the two evaluations must cover the same images`);
  if (n === 0) throw new RangeError('comparePaired: no images to compare');
  let bothRight = 0, bothWrong = 0, onlyA = 0, onlyB = 0;
  for (let i = 0; i < n; i++) {
    const a = correctA[i] ? 1 : 0, b = correctB[i] ? 1 : 0;
    if (a && b) bothRight++;
    else if (a) onlyA++;
    else if (b) onlyB++;
    else bothWrong++;
  }
  return {
    n, accuracyA: (bothRight + onlyA) / n, accuracyB: (bothRight + onlyB) / n,
    bothRight, bothWrong, onlyA, onlyB, pValue: mcnemarExact(onlyA, onlyB),
  };
}
