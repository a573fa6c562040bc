// Scalar reference for resample.simd.ts: strided subsampling and its adjoint. A 1x1 convolution with
// stride s is a subsample followed by a pointwise GEMM, which reuses the fast GEMM kernels.
import type { Heap } from './heap.js';

/** units N*C: y[n][c][oh][ow] = x[n][c][oh*stride][ow*stride] */
export function subsample_fwd(h: Heap, x: number, y: number, N: number, C: number, H: number, W: number, OH: number, OW: number, stride: number, s: number, e: number): void {
  const f = h.f;
  for (let u = s; u < e; u++) {
    const xo = (x >> 2) + u * H * W, yo = (y >> 2) + u * OH * OW;
    for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) f[yo + i * OW + j] = f[xo + i * stride * W + j * stride];
  }
}

/** units N*C: dx (+)= the adjoint of subsample_fwd (zeros between the sampled pixels when overwriting) */
export function subsample_bwd(h: Heap, dy: number, dx: number, N: number, C: number, H: number, W: number, OH: number, OW: number, stride: number, acc: number, s: number, e: number): void {
  const f = h.f;
  for (let u = s; u < e; u++) {
    const xo = (dx >> 2) + u * H * W, yo = (dy >> 2) + u * OH * OW;
    if (!acc) f.fill(0, xo, xo + H * W);
    for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) f[xo + i * stride * W + j * stride] += f[yo + i * OW + j];
  }
}
