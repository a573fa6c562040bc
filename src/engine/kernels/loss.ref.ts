// Scalar reference for loss.simd.ts (softmax + cross-entropy with label smoothing and class weights). See ABI.md.
import type { Heap } from './heap.js';

/** log(sum_k exp(f[z + k])) over K values, shifted by their maximum so that exp cannot overflow */
function logSumExp(f: Heap['f'], z: number, K: number): number {
  let mx = -Infinity;
  for (let k = 0; k < K; k++) mx = Math.max(mx, f[z + k]);
  let sum = 0;
  for (let k = 0; k < K; k++) sum += Math.exp(f[z + k] - mx);
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
