// Scalar reference for dwconv.simd.ts. See ABI.md for the contract.
import type { Heap } from './heap.js';

export function dw3x3_fwd(h: Heap, x: number, w: number, y: number, _N: number, C: number, H: number, W: number, s: number, e: number): void {
  const f = h.f, P = H * W;
  for (let u = s; u < e; u++) {
    const c = u % C, xo = (x >> 2) + u * P, yo = (y >> 2) + u * P, wo = (w >> 2) + c * 9;
    for (let r = 0; r < H; r++) {
      for (let q = 0; q < W; q++) {
        let sum = 0;
        for (let i = 0; i < 3; i++) {
          const ih = r - 1 + i;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < 3; j++) {
            const iw = q - 1 + j;
            if (iw < 0 || iw >= W) continue;
            sum += f[wo + i * 3 + j] * f[xo + ih * W + iw];
          }
        }
        f[yo + r * W + q] = sum;
      }
    }
  }
}

export function dw3x3_bwd_data(h: Heap, dy: number, w: number, dx: number, _N: number, C: number, H: number, W: number, acc: number, s: number, e: number): void {
  const f = h.f, P = H * W;
  for (let u = s; u < e; u++) {
    const c = u % C, dyo = (dy >> 2) + u * P, dxo = (dx >> 2) + u * P, wo = (w >> 2) + c * 9;
    for (let r = 0; r < H; r++) {
      for (let q = 0; q < W; q++) {
        let sum = 0;
        for (let i = 0; i < 3; i++) {
          const oh = r + 1 - i;
          if (oh < 0 || oh >= H) continue;
          for (let j = 0; j < 3; j++) {
            const ow = q + 1 - j;
            if (ow < 0 || ow >= W) continue;
            sum += f[wo + i * 3 + j] * f[dyo + oh * W + ow];
          }
        }
        const o = dxo + r * W + q;
        f[o] = acc ? f[o] + sum : sum;
      }
    }
  }
}

export function dw3x3_bwd_weight(h: Heap, x: number, dy: number, dw: number, N: number, C: number, H: number, W: number, s: number, e: number): void {
  const f = h.f, P = H * W;
  for (let c = s; c < e; c++) {
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let sum = 0;
        for (let n = 0; n < N; n++) {
          const xo = (x >> 2) + (n * C + c) * P, dyo = (dy >> 2) + (n * C + c) * P;
          for (let r = 0; r < H; r++) {
            const ih = r - 1 + i;
            if (ih < 0 || ih >= H) continue;
            for (let q = 0; q < W; q++) {
              const iw = q - 1 + j;
              if (iw < 0 || iw >= W) continue;
              sum += f[xo + ih * W + iw] * f[dyo + r * W + q];
            }
          }
        }
        f[(dw >> 2) + c * 9 + i * 3 + j] = sum;
      }
    }
  }
}
