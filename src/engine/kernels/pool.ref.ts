// Scalar reference for pool.simd.ts. See ABI.md for the contract.
import type { Heap } from './heap.js';

export function maxpool_fwd(h: Heap, x: number, y: number, idx: number, _N: number, _C: number, H: number, W: number,
  OH: number, OW: number, k: number, stride: number, pad: number, s: number, e: number): void {
  const f = h.f, I = h.i;
  for (let u = s; u < e; u++) {
    const xo = (x >> 2) + u * H * W, yo = (y >> 2) + u * OH * OW, io = (idx >> 2) + u * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let best = -Infinity, bi = -1;
        for (let i = 0; i < k; i++) {
          const ih = oh * stride - pad + i;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < k; j++) {
            const iw = ow * stride - pad + j;
            if (iw < 0 || iw >= W) continue;
            const v = f[xo + ih * W + iw];
            if (v > best || bi < 0) { best = v; bi = ih * W + iw; }
          }
        }
        f[yo + oh * OW + ow] = best;
        I[io + oh * OW + ow] = bi;
      }
    }
  }
}

export function maxpool_bwd(h: Heap, dy: number, idx: number, dx: number, _N: number, _C: number, H: number, W: number,
  OH: number, OW: number, acc: number, s: number, e: number): void {
  const f = h.f, I = h.i;
  for (let u = s; u < e; u++) {
    const dxo = (dx >> 2) + u * H * W, dyo = (dy >> 2) + u * OH * OW, io = (idx >> 2) + u * OH * OW;
    if (!acc) for (let p = 0; p < H * W; p++) f[dxo + p] = 0;
    for (let q = 0; q < OH * OW; q++) f[dxo + I[io + q]] += f[dyo + q];
  }
}

export function gap_fwd(h: Heap, x: number, y: number, _N: number, _C: number, P: number, s: number, e: number): void {
  const f = h.f;
  for (let u = s; u < e; u++) {
    let sum = 0;
    for (let p = 0; p < P; p++) sum += f[(x >> 2) + u * P + p];
    f[(y >> 2) + u] = sum / P;
  }
}

export function gap_bwd(h: Heap, dy: number, dx: number, _N: number, _C: number, P: number, acc: number, s: number, e: number): void {
  const f = h.f;
  for (let u = s; u < e; u++) {
    const g = f[(dy >> 2) + u] / P, o = (dx >> 2) + u * P;
    for (let p = 0; p < P; p++) f[o + p] = acc ? f[o + p] + g : g;
  }
}
