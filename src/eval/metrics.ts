/**
 * Classification metrics from true labels and predicted probabilities. Pure functions, no I/O.
 *
 * Conventions:
 *  - probabilities are row-major, n rows of K values; the prediction is the arg-max (first on ties);
 *  - the confusion matrix has rows = true class, columns = predicted class;
 *  - precision of a class that is never predicted is 0, recall of a class with no samples is 0 (sklearn's
 *    zero_division=0), and F1 is 0 when precision + recall is 0;
 *  - macro-F1 is the mean F1 over the classes that have support > 0 (samples in the evaluated set), so a
 *    class absent from the data (e.g. neutral in CK+48) neither counts as 0 nor inflates the mean;
 *  - ECE uses B equal-width confidence bins (default 15) over [0, 1], bin b holding confidences in
 *    (b/B, (b+1)/B] (bin 0 also takes 0): ECE = sum_b |acc_b - conf_b| * n_b / n, where the confidence is the
 *    top probability and acc_b the fraction of bin b's samples whose arg-max is right (Guo et al. 2017);
 *  - NLL is the mean of -ln p(true class), each probability floored at 1e-12.
 */

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** samples of this class in the evaluated set */
  support: number;
}

export interface ReliabilityBin {
  /** confidence interval (lo, hi] of the bin */
  lo: number;
  hi: number;
  count: number;
  /** fraction correct among the bin's samples (0 when empty) */
  accuracy: number;
  /** mean top probability among the bin's samples (0 when empty) */
  confidence: number;
}

export interface Metrics {
  n: number;
  accuracy: number;
  macroF1: number;
  ece: number;
  nll: number;
  confusion: number[][];
  perClass: ClassMetrics[];
  reliability: ReliabilityBin[];
  /** each sample's arg-max class, in order (the confusion matrix's columns, per sample) */
  predicted: Int32Array;
}

export const ECE_BINS = 15;
const PROB_FLOOR = 1e-12;

function checkShape(labels: ArrayLike<number>, probs: ArrayLike<number>, K: number, what: string): number {
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`${what}: K must be a positive integer, got ${K}`);
  const n = labels.length;
  if (probs.length !== n * K) throw new RangeError(`${what}: expected ${n} x ${K} = ${n * K} probabilities, got ${probs.length}`);
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!(Number.isInteger(y) && y >= 0 && y < K)) throw new RangeError(`${what}: label ${y} at index ${i} is not a class index in [0, ${K})`);
  }
  return n;
}

/**
 * Row-wise softmax of n x K logits divided by `temperature` (numerically stable: the row max is subtracted).
 * Returns float64 probabilities.
 */
export function softmax(logits: ArrayLike<number>, K: number, temperature = 1): Float64Array {
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`softmax: K must be a positive integer, got ${K}`);
  if (logits.length % K !== 0) throw new RangeError(`softmax: ${logits.length} logits is not a multiple of K = ${K}`);
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new RangeError(`softmax: temperature must be a positive number, got ${temperature}`);
  const n = logits.length / K, out = new Float64Array(logits.length), inv = 1 / temperature;
  for (let i = 0; i < n; i++) {
    const o = i * K;
    let max = -Infinity;
    for (let c = 0; c < K; c++) if (logits[o + c] > max) max = logits[o + c];
    let sum = 0;
    for (let c = 0; c < K; c++) { const e = Math.exp((logits[o + c] - max) * inv); out[o + c] = e; sum += e; }
    for (let c = 0; c < K; c++) out[o + c] /= sum;
  }
  return out;
}

/** Arg-max of each row (first index on ties). */
export function argmaxRows(values: ArrayLike<number>, K: number): Int32Array {
  const n = Math.floor(values.length / K), out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < K; c++) if (values[i * K + c] > values[i * K + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** K x K counts, rows = true class, columns = predicted class. */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, K: number): number[][] {
  if (labels.length !== predicted.length) throw new RangeError(`confusionMatrix: ${labels.length} labels but ${predicted.length} predictions`);
  const m = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i], p = predicted[i];
    if (!(y >= 0 && y < K && p >= 0 && p < K)) throw new RangeError(`confusionMatrix: pair (${y}, ${p}) at index ${i} is outside [0, ${K})`);
    m[y][p]++;
  }
  return m;
}

/** Fraction of samples on the diagonal of a confusion matrix (0 for an empty one). */
export function accuracyFromConfusion(confusion: number[][]): number {
  let diag = 0, total = 0;
  confusion.forEach((row, i) => row.forEach((v, j) => { total += v; if (i === j) diag += v; }));
  return total ? diag / total : 0;
}

/** Fraction of rows whose arg-max equals the label. */
export function accuracy(labels: ArrayLike<number>, probs: ArrayLike<number>, K: number): number {
  const n = checkShape(labels, probs, K, 'accuracy');
  const pred = argmaxRows(probs, K);
  let ok = 0;
  for (let i = 0; i < n; i++) if (pred[i] === labels[i]) ok++;
  return n ? ok / n : 0;
}

/** Precision, recall, F1 and support per class, from a confusion matrix (rows = true). */
export function perClassMetrics(confusion: number[][]): ClassMetrics[] {
  const K = confusion.length;
  return confusion.map((row, k) => {
    const tp = row[k];
    const support = row.reduce((s, v) => s + v, 0);
    let predicted = 0;
    for (let i = 0; i < K; i++) predicted += confusion[i][k];
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support };
  });
}

/** Mean F1 over the classes with support > 0 (0 when there are none). */
export function macroF1(perClass: readonly ClassMetrics[]): number {
  const present = perClass.filter((c) => c.support > 0);
  return present.length ? present.reduce((s, c) => s + c.f1, 0) / present.length : 0;
}

/** The bin (0..bins-1) of a confidence: (b/B, (b+1)/B], with 0 in bin 0. */
export function confidenceBin(conf: number, bins: number): number {
  let b = Math.min(bins - 1, Math.max(0, Math.ceil(conf * bins) - 1));
  // the boundaries are b/bins exactly as computed here, whatever rounding conf * bins did
  while (b > 0 && conf <= b / bins) b--;
  while (b < bins - 1 && conf > (b + 1) / bins) b++;
  return b;
}

/** Per-bin accuracy and mean confidence for a reliability diagram. */
export function reliabilityBins(labels: ArrayLike<number>, probs: ArrayLike<number>, K: number, bins = ECE_BINS): ReliabilityBin[] {
  const n = checkShape(labels, probs, K, 'reliabilityBins');
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`reliabilityBins: bins must be a positive integer, got ${bins}`);
  const count = new Array<number>(bins).fill(0), correct = new Array<number>(bins).fill(0), conf = new Array<number>(bins).fill(0);
  const pred = argmaxRows(probs, K);
  for (let i = 0; i < n; i++) {
    const c = probs[i * K + pred[i]];
    const b = confidenceBin(c, bins);
    count[b]++; conf[b] += c;
    if (pred[i] === labels[i]) correct[b]++;
  }
  return count.map((m, b) => ({
    lo: b / bins, hi: (b + 1) / bins, count: m,
    accuracy: m ? correct[b] / m : 0, confidence: m ? conf[b] / m : 0,
  }));
}

/** ECE from reliability bins: sum over bins of |acc - conf| * n_bin / n. */
export function eceFromBins(bins: readonly ReliabilityBin[]): number {
  const n = bins.reduce((s, b) => s + b.count, 0);
  if (!n) return 0;
  return bins.reduce((s, b) => s + Math.abs(b.accuracy - b.confidence) * b.count, 0) / n;
}

/** Expected calibration error with `bins` equal-width confidence bins (default 15). */
export function expectedCalibrationError(labels: ArrayLike<number>, probs: ArrayLike<number>, K: number, bins = ECE_BINS): number {
  return eceFromBins(reliabilityBins(labels, probs, K, bins));
}

/** Mean negative log-likelihood of the true class (natural log), probabilities floored at 1e-12. */
export function negativeLogLikelihood(labels: ArrayLike<number>, probs: ArrayLike<number>, K: number): number {
  const n = checkShape(labels, probs, K, 'negativeLogLikelihood');
  let s = 0;
  for (let i = 0; i < n; i++) s -= Math.log(Math.max(PROB_FLOOR, probs[i * K + labels[i]]));
  return n ? s / n : 0;
}

/** Every metric at once. */
export function computeMetrics(labels: ArrayLike<number>, probs: ArrayLike<number>, K: number, bins = ECE_BINS): Metrics {
  const n = checkShape(labels, probs, K, 'computeMetrics');
  const predicted = argmaxRows(probs, K), confusion = confusionMatrix(labels, predicted, K);
  const perClass = perClassMetrics(confusion);
  const reliability = reliabilityBins(labels, probs, K, bins);
  return {
    n, accuracy: accuracyFromConfusion(confusion), macroF1: macroF1(perClass), ece: eceFromBins(reliability),
    nll: negativeLogLikelihood(labels, probs, K), confusion, perClass, reliability, predicted,
  };
}
