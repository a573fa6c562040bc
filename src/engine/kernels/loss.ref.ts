// Scalar reference for loss.simd.ts (softmax + cross-entropy with label smoothing and class weights). See ABI.md.
import type { Heap } from './heap.js';

/** log(sum_k exp(scale * f[z + k])) over K values, shifted by their maximum so that exp cannot overflow */
function logSumExp(f: Heap['f'], z: number, K: number, scale = 1): number {
  let mx = -Infinity;
  for (let k = 0; k < K; k++) mx = Math.max(mx, scale * f[z + k]);
  let sum = 0;
  for (let k = 0; k < K; k++) sum += Math.exp(scale * f[z + k] - mx);
  return mx + Math.log(sum);
}

/** units N. */
export function softmax_ce(h: Heap, logits: number, labels: number, classWeight: number, prob: number, dlogits: number, lossOut: number,
  _N: number, K: number, smoothing: number, gradScale: number, s: number, e: number): void {
  const f = h.f, z = logits >> 2, pr = prob >> 2, dl = dlogits >> 2;
  for (let n = s; n < e; n++) {
    const label = h.i[(labels >> 2) + n];
    const w = classWeight ? f[(classWeight >> 2) + label] : 1;
    const lse = logSumExp(f, z + n * K, K);
    let loss = 0;
    for (let k = 0; k < K; k++) {
      const logp = f[z + n * K + k] - lse;
      const p = Math.exp(logp);
      const t = (k === label ? 1 - smoothing : 0) + smoothing / K;
      loss -= t * logp;
      f[pr + n * K + k] = p;
      f[dl + n * K + k] = gradScale * w * (p - t);
    }
    f[(lossOut >> 2) + n] = w * loss;
  }
}

/**
 * units N. Cross-entropy against a given target distribution per sample (`targets[N][K]`, e.g. a mix of
 * the label and a teacher's probabilities for distillation); class weights by the hard label.
 */
export function softmax_ce_soft(h: Heap, logits: number, targets: number, labels: number, classWeight: number, prob: number, dlogits: number,
  lossOut: number, _N: number, K: number, gradScale: number, s: number, e: number): void {
  const f = h.f, z = logits >> 2, tg = targets >> 2, pr = prob >> 2, dl = dlogits >> 2;
  for (let n = s; n < e; n++) {
    const w = classWeight ? f[(classWeight >> 2) + h.i[(labels >> 2) + n]] : 1;
    const lse = logSumExp(f, z + n * K, K);
    let loss = 0;
    for (let k = 0; k < K; k++) {
      const logp = f[z + n * K + k] - lse;
      const p = Math.exp(logp);
      const t = f[tg + n * K + k];
      loss -= t * logp;
      f[pr + n * K + k] = p;
      f[dl + n * K + k] = gradScale * w * (p - t);
    }
    f[(lossOut >> 2) + n] = w * loss;
  }
}

/**
 * units N. Distillation at a temperature (Hinton et al. 2015): `targets[N][2K]` holds per sample a label
 * part `a` (the first K values) and a teacher part `b` (the last K, the teacher's softmax at temperature T),
 * each already weighted, so sum(a) + sum(b) = 1. The loss is CE(a, softmax(z)) + T^2 CE(b, softmax(z / T)):
 * the T^2 keeps the teacher part's gradient, T (sum(b) q - b), on the label part's scale as T grows.
 * `prob` gets softmax(z) (T = 1), which is what accuracy counts. At T = 1 this is softmax_ce_soft with
 * target a + b. Class weights by the hard label.
 */
export function softmax_ce_distill(h: Heap, logits: number, targets: number, labels: number, classWeight: number, prob: number, dlogits: number,
  lossOut: number, _N: number, K: number, invTemp: number, gradScale: number, s: number, e: number): void {
  const f = h.f, z = logits >> 2, tg = targets >> 2, pr = prob >> 2, dl = dlogits >> 2, T = 1 / invTemp;
  for (let n = s; n < e; n++) {
    const w = classWeight ? f[(classWeight >> 2) + h.i[(labels >> 2) + n]] : 1;
    const row = z + n * K, ta = tg + 2 * n * K, tb = ta + K;
    const lse = logSumExp(f, row, K), lseT = logSumExp(f, row, K, invTemp);
    let sa = 0, sb = 0;
    for (let k = 0; k < K; k++) { sa += f[ta + k]; sb += f[tb + k]; }
    let loss = 0;
    for (let k = 0; k < K; k++) {
      const logp = f[row + k] - lse, logq = invTemp * f[row + k] - lseT;
      const p = Math.exp(logp), q = Math.exp(logq), a = f[ta + k], b = f[tb + k];
      loss -= a * logp + T * T * b * logq;
      f[pr + n * K + k] = p;
      f[dl + n * K + k] = gradScale * w * (sa * p - a + T * (sb * q - b));
    }
    f[(lossOut >> 2) + n] = w * loss;
  }
}
