// Scalar reference for conv2d.simd.ts. See ABI.md for the contract.
import type { Heap } from './heap.js';

export function conv2d_fwd(h: Heap, x: number, w: number, b: number, y: number, N: number, C: number, H: number, W: number,
  K: number, kh: number, kw: number, stride: number, pad: number, OH: number, OW: number, s: number, e: number): void {
  const f = h.f, xo = x >> 2, wo = w >> 2, bo = b >> 2, yo = y >> 2;
  for (let u = s; u < e; u++) {
    const n = Math.floor(u / K), k = u % K;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let sum = b ? f[bo + k] : 0;
        for (let c = 0; c < C; c++) {
          for (let i = 0; i < kh; i++) {
            const ih = oh * stride - pad + i;
            if (ih < 0 || ih >= H) continue;
            for (let j = 0; j < kw; j++) {
              const iw = ow * stride - pad + j;
              if (iw < 0 || iw >= W) continue;
              sum += f[wo + ((k * C + c) * kh + i) * kw + j] * f[xo + ((n * C + c) * H + ih) * W + iw];
            }
          }
        }
        f[yo + ((n * K + k) * OH + oh) * OW + ow] = sum;
      }
    }
  }
}

export function conv2d_bwd_data(h: Heap, dy: number, w: number, dx: number, N: number, C: number, H: number, W: number,
  K: number, kh: number, kw: number, stride: number, pad: number, OH: number, OW: number, acc: number, s: number, e: number): void {
  const f = h.f, dyo = dy >> 2, wo = w >> 2, dxo = dx >> 2;
  for (let u = s; u < e; u++) {
    const n = Math.floor(u / C), c = u % C;
    for (let ih = 0; ih < H; ih++) {
      for (let iw = 0; iw < W; iw++) {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          for (let i = 0; i < kh; i++) {
            const th = ih + pad - i;
            if (th < 0 || th % stride !== 0) continue;
            const oh = th / stride;
            if (oh >= OH) continue;
            for (let j = 0; j < kw; j++) {
              const tw = iw + pad - j;
              if (tw < 0 || tw % stride !== 0) continue;
              const ow = tw / stride;
              if (ow >= OW) continue;
              sum += f[wo + ((k * C + c) * kh + i) * kw + j] * f[dyo + ((n * K + k) * OH + oh) * OW + ow];
            }
          }
        }
        const o = dxo + ((n * C + c) * H + ih) * W + iw;
        f[o] = acc ? f[o] + sum : sum;
      }
    }
  }
}

export function conv2d_bwd_weight(h: Heap, x: number, dy: number, dw: number, db: number, N: number, C: number, H: number,
  W: number, K: number, kh: number, kw: number, stride: number, pad: number, OH: number, OW: number, s: number, e: number): void {
  const f = h.f, xo = x >> 2, dyo = dy >> 2, dwo = dw >> 2, dbo = db >> 2;
  for (let u = s; u < e; u++) {
    const k = Math.floor(u / C), c = u % C;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        let sum = 0;
        for (let n = 0; n < N; n++) {
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * stride - pad + i;
            if (ih < 0 || ih >= H) continue;
            for (let ow = 0; ow < OW; ow++) {
              const iw = ow * stride - pad + j;
              if (iw < 0 || iw >= W) continue;
              sum += f[xo + ((n * C + c) * H + ih) * W + iw] * f[dyo + ((n * K + k) * OH + oh) * OW + ow];
            }
          }
        }
        f[dwo + ((k * C + c) * kh + i) * kw + j] = sum;
      }
    }
    if (c === 0 && db) {
      let sum = 0;
      for (let n = 0; n < N; n++) for (let p = 0; p < OH * OW; p++) sum += f[dyo + (n * K + k) * OH * OW + p];
      f[dbo + k] = sum;
    }
  }
}
