// Scalar reference for loss.simd.ts (softmax + cross-entropy with label smoothing and class weights). See ABI.md.
import type { Heap } from './heap.js';

/** units N. */
export function softmax_ce(h: Heap, logits: number, labels: number, classWeight: number, prob: number, dlogits: number, lossOut: number,
  _N: number, K: number, smoothing: number, gradScale: number, s: number, e: number): void {
  const f = h.f, z = logits >> 2, pr = prob >> 2, dl = dlogits >> 2;
  for (let n = s; n < e; n++) {
    const label = h.i[(labels >> 2) + n];
    const w = classWeight ? f[(classWeight >> 2) + label] : 1;
    let mx = -Infinity;
    for (let k = 0; k < K; k++) mx = Math.max(mx, f[z + n * K + k]);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(f[z + n * K + k] - mx);
    const lse = Math.log(sum);
    let loss = 0;
    for (let k = 0; k < K; k++) {
      const logp = f[z + n * K + k] - mx - lse;
      const p = Math.exp(logp);
      const t = (k === label ? 1 - smoothing : 0) + smoothing / K;
      loss -= t * logp;
      f[pr + n * K + k] = p;
      f[dl + n * K + k] = gradScale * w * (p - t);
    }
    f[(lossOut >> 2) + n] = w * loss;
  }
}
