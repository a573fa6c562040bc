// Scalar reference for dense.simd.ts (fully connected). See ABI.md.
import type { Heap } from './heap.js';

/** y[n][o] = b[o] + sum_i x[n][i] w[o][i]; units N*O (u = n*O + o). */
export function dense_fwd(h: Heap, x: number, w: number, b: number, y: number, _N: number, I: number, O: number, s: number, e: number): void {
  const f = h.f, xo = x >> 2, wo = w >> 2, bo = b >> 2, yo = y >> 2;
  for (let u = s; u < e; u++) {
    const n = Math.floor(u / O), o = u - n * O;
    let sum = b ? f[bo + o] : 0;
    for (let i = 0; i < I; i++) sum += f[xo + n * I + i] * f[wo + o * I + i];
    f[yo + u] = sum;
  }
}

/** dx[n][i] (+)= sum_o dy[n][o] w[o][i]; units N*I (u = n*I + i). */
export function dense_bwd_data(h: Heap, dy: number, w: number, dx: number, _N: number, I: number, O: number, acc: number, s: number, e: number): void {
  const f = h.f, dyo = dy >> 2, wo = w >> 2, dxo = dx >> 2;
  for (let u = s; u < e; u++) {
    const n = Math.floor(u / I), i = u - n * I;
    let sum = 0;
    for (let o = 0; o < O; o++) sum += f[dyo + n * O + o] * f[wo + o * I + i];
    f[dxo + u] = acc ? f[dxo + u] + sum : sum;
  }
}

/** dw[o][i] = sum_n dy[n][o] x[n][i]; db[o] = sum_n dy[n][o] (if db); units O. */
export function dense_bwd_weight(h: Heap, x: number, dy: number, dw: number, db: number, N: number, I: number, O: number, s: number, e: number): void {
  const f = h.f, xo = x >> 2, dyo = dy >> 2, dwo = dw >> 2, dbo = db >> 2;
  for (let o = s; o < e; o++) {
    for (let i = 0; i < I; i++) {
      let sum = 0;
      for (let n = 0; n < N; n++) sum += f[dyo + n * O + o] * f[xo + n * I + i];
      f[dwo + o * I + i] = sum;
    }
    if (db) {
      let sum = 0;
      for (let n = 0; n < N; n++) sum += f[dyo + n * O + o];
      f[dbo + o] = sum;
    }
  }
}
