// Scalar reference for optim.simd.ts (PyTorch SGD and Adam/AdamW update rules). See ABI.md.
import type { Heap } from './heap.js';

export function sgd_step(h: Heap, p: number, g: number, v: number, _len: number, lr: number, momentum: number, dampening: number,
  weightDecay: number, nesterov: number, s: number, e: number): void {
  const f = h.f, po = p >> 2, go = g >> 2, vo = v >> 2;
  for (let i = s; i < e; i++) {
    let d = f[go + i] + weightDecay * f[po + i];
    if (momentum !== 0) {
      const b = momentum * f[vo + i] + (1 - dampening) * d;
      f[vo + i] = b;
      d = nesterov ? d + momentum * b : b;
    }
    f[po + i] -= lr * d;
  }
}

export function adam_step(h: Heap, p: number, g: number, m: number, v: number, _len: number, lr: number, beta1: number, beta2: number,
  eps: number, weightDecay: number, decoupled: number, bc1: number, bc2: number, s: number, e: number): void {
  const f = h.f, po = p >> 2, go = g >> 2, mo = m >> 2, vo = v >> 2;
  for (let i = s; i < e; i++) {
    let gi = f[go + i];
    if (decoupled) f[po + i] -= lr * weightDecay * f[po + i];
    else gi += weightDecay * f[po + i];
    const mi = beta1 * f[mo + i] + (1 - beta1) * gi;
    const vi = beta2 * f[vo + i] + (1 - beta2) * gi * gi;
    f[mo + i] = mi; f[vo + i] = vi;
    f[po + i] -= (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
  }
}
