/**
 * How well a measured accuracy is known. 66.20% on FER2013 PublicTest is 2,376 of 3,589 faces; another
 * 3,589 faces from the same source would give a different figure, and the Wilson score interval says by how
 * much: for 3,589 faces it is about ±1.5 points, wider than most gaps between the models compared in
 * docs/. Wilson's interval (not the normal one, p ± z·se) stays inside [0, 1] and keeps its coverage near 0%
 * and 100%, where small test sets (a CK+ fold of 93 faces) often are. Pure.
 */

/** z for a two-sided 95% interval */
export const Z95 = 1.959963984540054;

/** Wilson score interval for k successes in n trials, [low, high] in [0, 1]; z = 1.96 gives 95%. */
export function wilsonInterval(k: number, n: number, z = Z95): [number, number] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`wilsonInterval: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`wilsonInterval: k must be an integer in [0, ${n}], got ${k}`);
  if (!(z > 0)) throw new RangeError(`wilsonInterval: z must be > 0, got ${z}`);
  const p = k / n, z2 = z * z, d = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / d;
  // at k = 0 or k = n one end is exactly 0 or 1; clamp away rounding
  return [k === 0 ? 0 : Math.max(0, centre - half), k === n ? 1 : Math.min(1, centre + half)];
}
