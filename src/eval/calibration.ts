/**
 * Temperature scaling (Guo et al. 2017): one scalar T > 0 that divides the logits before the softmax, fitted
 * to minimise the NLL on held-out data. It leaves the arg-max (accuracy) unchanged and only fixes confidence.
 *
 * NLL(z / T) is convex in 1/T, hence unimodal in u = ln T, so a golden-section search on u finds the
 * minimum without derivatives. The search interval is T in [0.01, 100]; a minimum at an end returns it.
 */
import { expectedCalibrationError, softmax } from './metrics.js';

export const T_MIN = 0.01;
export const T_MAX = 100;

/** Mean NLL (natural log) of the true class under softmax(logits / T), computed by log-sum-exp. */
export function nllAtTemperature(logits: ArrayLike<number>, labels: ArrayLike<number>, K: number, T: number): number {
  const n = labels.length;
  if (logits.length !== n * K) throw new RangeError(`nllAtTemperature: expected ${n} x ${K} logits, got ${logits.length}`);
  const inv = 1 / T;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const o = i * K;
    let max = -Infinity;
    for (let c = 0; c < K; c++) if (logits[o + c] > max) max = logits[o + c];
    let sum = 0;
    for (let c = 0; c < K; c++) sum += Math.exp((logits[o + c] - max) * inv);
    s += Math.log(sum) - (logits[o + labels[i]] - max) * inv;
  }
  return n ? s / n : 0;
}

/** The temperature that minimises the NLL of `labels` under softmax(logits / T), T in [0.01, 100]. */
export function fitTemperature(logits: ArrayLike<number>, labels: ArrayLike<number>, K: number, opts: { tol?: number } = {}): number {
  const n = labels.length;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`fitTemperature: K must be a positive integer, got ${K}`);
  if (logits.length !== n * K) throw new RangeError(`fitTemperature: expected ${n} x ${K} logits, got ${logits.length}`);
  for (let i = 0; i < n; i++) if (!(Number.isInteger(labels[i]) && labels[i] >= 0 && labels[i] < K)) throw new RangeError(`fitTemperature: label ${labels[i]} at index ${i} is not in [0, ${K})`);
  if (n === 0) return 1;
  const f = (u: number) => nllAtTemperature(logits, labels, K, Math.exp(u));
  const tol = opts.tol ?? 1e-7;
  const g = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(T_MIN), b = Math.log(T_MAX);
  let c = b - g * (b - a), d = a + g * (b - a), fc = f(c), fd = f(d);
  while (b - a > tol) {
    if (fc <= fd) { b = d; d = c; fd = fc; c = b - g * (b - a); fc = f(c); }
    else { a = c; c = d; fc = fd; d = a + g * (b - a); fd = f(d); }
  }
  // the ends are candidates too (the minimum may sit on the interval's boundary)
  let best = (a + b) / 2, fb = f(best);
  for (const u of [Math.log(T_MIN), Math.log(T_MAX)]) { const v = f(u); if (v < fb) { best = u; fb = v; } }
  return Math.exp(best);
}

export interface TemperatureFit {
  temperature: number;
  before: { nll: number; ece: number };
  after: { nll: number; ece: number };
}

/** The NLL and ECE (15 bins) of softmax(logits / T). */
export function scoreAtTemperature(logits: ArrayLike<number>, labels: ArrayLike<number>, K: number, T: number): { nll: number; ece: number } {
  return { nll: nllAtTemperature(logits, labels, K, T), ece: expectedCalibrationError(labels, softmax(logits, K, T), K) };
}

/** fitTemperature, with the NLL and ECE (15 bins) at T = 1 and at the fitted T. */
export function calibrateTemperature(logits: ArrayLike<number>, labels: ArrayLike<number>, K: number): TemperatureFit {
  const temperature = fitTemperature(logits, labels, K);
  return { temperature, before: scoreAtTemperature(logits, labels, K, 1), after: scoreAtTemperature(logits, labels, K, temperature) };
}
