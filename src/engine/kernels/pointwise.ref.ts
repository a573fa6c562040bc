// Scalar reference for pointwise.simd.ts (1x1 convolution = one GEMM per image). See ABI.md.
import type { Heap } from './heap.js';

/** y[n][k][p] = b[k] + sum_c w[k][c] x[n][c][p]; units N*K (u = n*K + k). */
export function pw_fwd(h: Heap, x: number, w: number, b: number, y: number, _N: number, C: number, K: number, P: number, s: number, e: number): void {
  const f = h.f, xo = x >> 2, wo = w >> 2, bo = b >> 2, yo = y >> 2;
  for (let u = s; u < e; u++) {
    const n = Math.floor(u / K), k = u - n * K;
    for (let p = 0; p < P; p++) {
      let sum = b ? f[bo + k] : 0;
      for (let c = 0; c < C; c++) sum += f[wo + k * C + c] * f[xo + (n * C + c) * P + p];
      f[yo + (n * K + k) * P + p] = sum;
    }
  }
}

/** dx[n][c][p] (+)= sum_k w[k][c] dy[n][k][p]; units N*C (u = n*C + c). */
export function pw_bwd_data(h: Heap, dy: number, w: number, dx: number, _N: number, C: number, K: number, P: number, acc: number, s: number, e: number): void {
  const f = h.f, dyo = dy >> 2, wo = w >> 2, dxo = dx >> 2;
  for (let u = s; u < e; u++) {
    const n = Math.floor(u / C), c = u - n * C;
    for (let p = 0; p < P; p++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += f[wo + k * C + c] * f[dyo + (n * K + k) * P + p];
      const i = dxo + (n * C + c) * P + p;
      f[i] = acc ? f[i] + sum : sum;
    }
  }
}

/** dw[k][c] = sum_n sum_p dy[n][k][p] x[n][c][p]; db[k] = sum_n sum_p dy[n][k][p]; units K. */
export function pw_bwd_weight(h: Heap, x: number, dy: number, dw: number, db: number, N: number, C: number, K: number, P: number, s: number, e: number): void {
  const f = h.f, xo = x >> 2, dyo = dy >> 2, dwo = dw >> 2, dbo = db >> 2;
  for (let k = s; k < e; k++) {
    for (let c = 0; c < C; c++) {
      let sum = 0;
      for (let n = 0; n < N; n++) for (let p = 0; p < P; p++) sum += f[dyo + (n * K + k) * P + p] * f[xo + (n * C + c) * P + p];
      f[dwo + k * C + c] = sum;
    }
    if (db) {
      let sum = 0;
      for (let n = 0; n < N; n++) for (let p = 0; p < P; p++) sum += f[dyo + (n * K + k) * P + p];
      f[dbo + k] = sum;
    }
  }
}
