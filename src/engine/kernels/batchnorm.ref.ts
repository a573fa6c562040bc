// Scalar reference for batchnorm.simd.ts (BatchNorm2d with optional fused ReLU). See ABI.md.
import type { Heap } from './heap.js';

/** Batch mean / biased variance per channel, invstd, and PyTorch's running-stat update; units C. */
export function bn_stats(h: Heap, x: number, mean: number, invstd: number, runMean: number, runVar: number,
  N: number, C: number, P: number, momentum: number, eps: number, s: number, e: number): void {
  const f = h.f, xo = x >> 2, M = N * P;
  for (let c = s; c < e; c++) {
    let sum = 0;
    for (let n = 0; n < N; n++) for (let p = 0; p < P; p++) sum += f[xo + (n * C + c) * P + p];
    const mu = sum / M;
    let sq = 0;
    for (let n = 0; n < N; n++) for (let p = 0; p < P; p++) { const d = f[xo + (n * C + c) * P + p] - mu; sq += d * d; }
    const v = sq / M;
    f[(mean >> 2) + c] = mu;
    f[(invstd >> 2) + c] = 1 / Math.sqrt(v + eps);
    const unbiased = M > 1 ? (v * M) / (M - 1) : v;
    f[(runMean >> 2) + c] = (1 - momentum) * f[(runMean >> 2) + c] + momentum * mu;
    f[(runVar >> 2) + c] = (1 - momentum) * f[(runVar >> 2) + c] + momentum * unbiased;
  }
}

/** y = (x - mean)*invstd*gamma + beta, then ReLU if relu; units N*C (u = n*C + c). */
export function bn_act_fwd(h: Heap, x: number, mean: number, invstd: number, gamma: number, beta: number, y: number,
  _N: number, C: number, P: number, relu: number, s: number, e: number): void {
  const f = h.f;
  for (let u = s; u < e; u++) {
    const c = u % C, mu = f[(mean >> 2) + c], is = f[(invstd >> 2) + c], g = f[(gamma >> 2) + c], b = f[(beta >> 2) + c];
    for (let p = 0; p < P; p++) {
      const v = (f[(x >> 2) + u * P + p] - mu) * is * g + b;
      f[(y >> 2) + u * P + p] = relu ? Math.max(0, v) : v;
    }
  }
}

/** dbeta = sum g, dgamma = sum g*xhat, g = dy masked by the ReLU; units C. */
export function bn_act_bwd_reduce(h: Heap, x: number, dy: number, mean: number, invstd: number, gamma: number, beta: number,
  dgamma: number, dbeta: number, N: number, C: number, P: number, relu: number, s: number, e: number): void {
  const f = h.f;
  for (let c = s; c < e; c++) {
    const mu = f[(mean >> 2) + c], is = f[(invstd >> 2) + c], ga = f[(gamma >> 2) + c], be = f[(beta >> 2) + c];
    let sg = 0, sgx = 0;
    for (let n = 0; n < N; n++) {
      for (let p = 0; p < P; p++) {
        const i = (n * C + c) * P + p;
        const xhat = (f[(x >> 2) + i] - mu) * is;
        const g = relu && xhat * ga + be <= 0 ? 0 : f[(dy >> 2) + i];
        sg += g; sgx += g * xhat;
      }
    }
    f[(dbeta >> 2) + c] = sg;
    f[(dgamma >> 2) + c] = sgx;
  }
}

/** dx (+)= gamma*invstd*(g - dbeta/M - xhat*dgamma/M); units N*C (u = n*C + c). */
export function bn_act_bwd_data(h: Heap, x: number, dy: number, mean: number, invstd: number, gamma: number, beta: number,
  dgamma: number, dbeta: number, dx: number, N: number, C: number, P: number, relu: number, acc: number, s: number, e: number): void {
  const f = h.f, M = N * P;
  for (let u = s; u < e; u++) {
    const c = u % C, mu = f[(mean >> 2) + c], is = f[(invstd >> 2) + c], ga = f[(gamma >> 2) + c], be = f[(beta >> 2) + c];
    const dg = f[(dgamma >> 2) + c], db = f[(dbeta >> 2) + c];
    for (let p = 0; p < P; p++) {
      const i = u * P + p;
      const xhat = (f[(x >> 2) + i] - mu) * is;
      const g = relu && xhat * ga + be <= 0 ? 0 : f[(dy >> 2) + i];
      const d = ga * is * (g - db / M - (xhat * dg) / M);
      f[(dx >> 2) + i] = acc ? f[(dx >> 2) + i] + d : d;
    }
  }
}

/** y = x*scale[c] + shift[c], optional ReLU; units N*C. */
export function affine_act_fwd(h: Heap, x: number, scale: number, shift: number, y: number,
  _N: number, C: number, P: number, relu: number, s: number, e: number): void {
  const f = h.f;
  for (let u = s; u < e; u++) {
    const c = u % C, a = f[(scale >> 2) + c], b = f[(shift >> 2) + c];
    for (let p = 0; p < P; p++) {
      const v = f[(x >> 2) + u * P + p] * a + b;
      f[(y >> 2) + u * P + p] = relu ? Math.max(0, v) : v;
    }
  }
}
