// pointwise kernels (AssemblyScript SIMD): see ABI.md. Scalar reference: pointwise.ref.ts.
// A 1x1 convolution is one GEMM per image: out[i][p] = sum_j A(i, j) * B[j][p], vectorised along the
// pixels p (NCHW keeps a plane contiguous). The forward and backward-data kernels share one register-tiled
// GEMM: 4 output rows x 8 pixels (8 f32x4 accumulators), weights broadcast with load32_splat. Every
// output element is summed in the same order (j = 0..J-1) by every tile shape, so the result never
// depends on how the units were split across threads.
import { fmadd } from './fma.simd';

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// out[i][p] (+)= bias[i] + sum_j A(i,j) B[j][p] for rows i in [i0, i1).
// A(i,j) lives at a + i*sa + j*sj (bytes); B row j at bm + j*P*4; out row i at out + i*P*4.
// mode: 0 = overwrite, 1 = add into out, 2 = overwrite with bias (bias pointer in bias).
@inline function gemm(a: usize, sa: usize, sj: usize, bm: usize, J: i32, P: i32, out: usize, i0: i32, i1: i32, bias: usize, mode: i32): void {
  const rs = <usize>P << 2; // row stride of B and out, bytes
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const ar = a + <usize>i * sa;
    const orow = out + <usize>i * rs;
    let b0: f32 = 0, b1: f32 = 0, b2: f32 = 0, b3: f32 = 0;
    if (mode == 2) {
      b0 = load<f32>(bias + (<usize>i << 2)); b1 = load<f32>(bias + (<usize>i << 2), 4);
      b2 = load<f32>(bias + (<usize>i << 2), 8); b3 = load<f32>(bias + (<usize>i << 2), 12);
    }
    let p = 0;
    for (; p + 8 <= P; p += 8) {
      let c00 = f32x4.splat(b0), c01 = c00;
      let c10 = f32x4.splat(b1), c11 = c10;
      let c20 = f32x4.splat(b2), c21 = c20;
      let c30 = f32x4.splat(b3), c31 = c30;
      let bp = bm + (<usize>p << 2);
      let ap = ar;
      for (let j = 0; j < J; j++) {
        const x0 = v128.load(bp), x1 = v128.load(bp, 16);
        let w = v128.load32_splat(ap);
        c00 = fmadd(w, x0, c00); c01 = fmadd(w, x1, c01);
        w = v128.load32_splat(ap + sa);
        c10 = fmadd(w, x0, c10); c11 = fmadd(w, x1, c11);
        w = v128.load32_splat(ap + 2 * sa);
        c20 = fmadd(w, x0, c20); c21 = fmadd(w, x1, c21);
        w = v128.load32_splat(ap + 3 * sa);
        c30 = fmadd(w, x0, c30); c31 = fmadd(w, x1, c31);
        bp += rs; ap += sj;
      }
      const o = orow + (<usize>p << 2);
      if (mode == 1) {
        c00 = f32x4.add(v128.load(o), c00); c01 = f32x4.add(v128.load(o, 16), c01);
        c10 = f32x4.add(v128.load(o + rs), c10); c11 = f32x4.add(v128.load(o + rs, 16), c11);
        c20 = f32x4.add(v128.load(o + 2 * rs), c20); c21 = f32x4.add(v128.load(o + 2 * rs, 16), c21);
        c30 = f32x4.add(v128.load(o + 3 * rs), c30); c31 = f32x4.add(v128.load(o + 3 * rs, 16), c31);
      }
      v128.store(o, c00); v128.store(o, c01, 16);
      v128.store(o + rs, c10); v128.store(o + rs, c11, 16);
      v128.store(o + 2 * rs, c20); v128.store(o + 2 * rs, c21, 16);
      v128.store(o + 3 * rs, c30); v128.store(o + 3 * rs, c31, 16);
    }
    for (; p + 4 <= P; p += 4) {
      let c0 = f32x4.splat(b0), c1 = f32x4.splat(b1), c2 = f32x4.splat(b2), c3 = f32x4.splat(b3);
      let bp = bm + (<usize>p << 2);
      let ap = ar;
      for (let j = 0; j < J; j++) {
        const x0 = v128.load(bp);
        c0 = fmadd(v128.load32_splat(ap), x0, c0);
        c1 = fmadd(v128.load32_splat(ap + sa), x0, c1);
        c2 = fmadd(v128.load32_splat(ap + 2 * sa), x0, c2);
        c3 = fmadd(v128.load32_splat(ap + 3 * sa), x0, c3);
        bp += rs; ap += sj;
      }
      const o = orow + (<usize>p << 2);
      if (mode == 1) {
        c0 = f32x4.add(v128.load(o), c0); c1 = f32x4.add(v128.load(o + rs), c1);
        c2 = f32x4.add(v128.load(o + 2 * rs), c2); c3 = f32x4.add(v128.load(o + 3 * rs), c3);
      }
      v128.store(o, c0); v128.store(o + rs, c1); v128.store(o + 2 * rs, c2); v128.store(o + 3 * rs, c3);
    }
    for (; p < P; p++) {
      let s0 = b0, s1 = b1, s2 = b2, s3 = b3;
      let bp = bm + (<usize>p << 2);
      let ap = ar;
      for (let j = 0; j < J; j++) {
        const xv = load<f32>(bp);
        s0 += load<f32>(ap) * xv; s1 += load<f32>(ap + sa) * xv;
        s2 += load<f32>(ap + 2 * sa) * xv; s3 += load<f32>(ap + 3 * sa) * xv;
        bp += rs; ap += sj;
      }
      const o = orow + (<usize>p << 2);
      if (mode == 1) {
        s0 = load<f32>(o) + s0; s1 = load<f32>(o + rs) + s1;
        s2 = load<f32>(o + 2 * rs) + s2; s3 = load<f32>(o + 3 * rs) + s3;
      }
      store<f32>(o, s0); store<f32>(o + rs, s1); store<f32>(o + 2 * rs, s2); store<f32>(o + 3 * rs, s3);
    }
  }
  for (; i < i1; i++) {
    const ar = a + <usize>i * sa;
    const orow = out + <usize>i * rs;
    const b0: f32 = mode == 2 ? load<f32>(bias + (<usize>i << 2)) : 0;
    let p = 0;
    for (; p + 16 <= P; p += 16) {
      let c0 = f32x4.splat(b0), c1 = c0, c2 = c0, c3 = c0;
      let bp = bm + (<usize>p << 2);
      let ap = ar;
      for (let j = 0; j < J; j++) {
        const w = v128.load32_splat(ap);
        c0 = fmadd(w, v128.load(bp), c0); c1 = fmadd(w, v128.load(bp, 16), c1);
        c2 = fmadd(w, v128.load(bp, 32), c2); c3 = fmadd(w, v128.load(bp, 48), c3);
        bp += rs; ap += sj;
      }
      const o = orow + (<usize>p << 2);
      if (mode == 1) {
        c0 = f32x4.add(v128.load(o), c0); c1 = f32x4.add(v128.load(o, 16), c1);
        c2 = f32x4.add(v128.load(o, 32), c2); c3 = f32x4.add(v128.load(o, 48), c3);
      }
      v128.store(o, c0); v128.store(o, c1, 16); v128.store(o, c2, 32); v128.store(o, c3, 48);
    }
    for (; p + 4 <= P; p += 4) {
      let c0 = f32x4.splat(b0);
      let bp = bm + (<usize>p << 2);
      let ap = ar;
      for (let j = 0; j < J; j++) {
        c0 = fmadd(v128.load32_splat(ap), v128.load(bp), c0);
        bp += rs; ap += sj;
      }
      const o = orow + (<usize>p << 2);
      if (mode == 1) c0 = f32x4.add(v128.load(o), c0);
      v128.store(o, c0);
    }
    for (; p < P; p++) {
      let s0 = b0;
      let bp = bm + (<usize>p << 2);
      let ap = ar;
      for (let j = 0; j < J; j++) { s0 += load<f32>(ap) * load<f32>(bp); bp += rs; ap += sj; }
      const o = orow + (<usize>p << 2);
      if (mode == 1) s0 = load<f32>(o) + s0;
      store<f32>(o, s0);
    }
  }
}

export function pw_fwd(x: usize, w: usize, b: usize, y: usize, N: i32, C: i32, K: i32, P: i32, s: i32, e: i32): void {
  if (s >= e) return;
  const plane = <usize>P << 2;
  let n = s / K;
  let u = s;
  while (u < e) {
    const base = n * K;
    const k0 = u - base, k1 = min(K, e - base);
    const xn = x + <usize>n * <usize>C * plane, yn = y + <usize>n * <usize>K * plane;
    if (b) gemm(w, <usize>C << 2, 4, xn, C, P, yn, k0, k1, b, 2);
    else gemm(w, <usize>C << 2, 4, xn, C, P, yn, k0, k1, 0, 0);
    u = base + k1; n++;
  }
}

export function pw_bwd_data(dy: usize, w: usize, dx: usize, N: i32, C: i32, K: i32, P: i32, acc: i32, s: i32, e: i32): void {
  if (s >= e) return;
  const plane = <usize>P << 2;
  let n = s / C;
  let u = s;
  while (u < e) {
    const base = n * C;
    const c0 = u - base, c1 = min(C, e - base);
    const dyn = dy + <usize>n * <usize>K * plane, dxn = dx + <usize>n * <usize>C * plane;
    if (acc) gemm(w, 4, <usize>C << 2, dyn, K, P, dxn, c0, c1, 0, 1);
    else gemm(w, 4, <usize>C << 2, dyn, K, P, dxn, c0, c1, 0, 0);
    u = base + c1; n++;
  }
}

// Adds one block's partial sum into dw/db (overwrite on the first block).
@inline function put(p: usize, v: f32, first: bool): void {
  store<f32>(p, first ? v : load<f32>(p) + v);
}

// dw[k][c] = sum_n sum_p dy[n][k][p] x[n][c][p]. Images are processed in blocks of nb (about 256 pixels per
// block); inside a block each (k, c) is accumulated in an f32x4 over (n, full vectors of p) plus a scalar
// over the tail pixels, reduced, and added to dw. The order per (k, c) is the same for every tile shape.
export function pw_bwd_weight(x: usize, dy: usize, dw: usize, db: usize, N: i32, C: i32, K: i32, P: i32, s: i32, e: i32): void {
  if (s >= e) return;
  const rs = <usize>P << 2;
  const P4 = P & ~3;
  const nb = max(1, (256 + P - 1) / P);
  const xstride = <usize>C * rs, dystride = <usize>K * rs;
  for (let n0 = 0; n0 < N; n0 += nb) {
    const n1 = min(N, n0 + nb);
    const first = n0 == 0;
    let k = s;
    for (; k + 4 <= e; k += 4) {
      const dyk = dy + <usize>k * rs;
      let c = 0;
      for (; c + 2 <= C; c += 2) {
        const xc = x + <usize>c * rs;
        let a00 = f32x4.splat(0), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        let t00: f32 = 0, t01: f32 = 0, t10: f32 = 0, t11: f32 = 0, t20: f32 = 0, t21: f32 = 0, t30: f32 = 0, t31: f32 = 0;
        for (let n = n0; n < n1; n++) {
          const xp0 = xc + <usize>n * xstride, xp1 = xp0 + rs;
          const dp0 = dyk + <usize>n * dystride, dp1 = dp0 + rs, dp2 = dp1 + rs, dp3 = dp2 + rs;
          let o: usize = 0;
          const end = <usize>P4 << 2;
          for (; o < end; o += 16) {
            const x0 = v128.load(xp0 + o), x1 = v128.load(xp1 + o);
            let d = v128.load(dp0 + o);
            a00 = fmadd(d, x0, a00); a01 = fmadd(d, x1, a01);
            d = v128.load(dp1 + o);
            a10 = fmadd(d, x0, a10); a11 = fmadd(d, x1, a11);
            d = v128.load(dp2 + o);
            a20 = fmadd(d, x0, a20); a21 = fmadd(d, x1, a21);
            d = v128.load(dp3 + o);
            a30 = fmadd(d, x0, a30); a31 = fmadd(d, x1, a31);
          }
          for (; o < rs; o += 4) {
            const x0 = load<f32>(xp0 + o), x1 = load<f32>(xp1 + o);
            let d = load<f32>(dp0 + o); t00 += d * x0; t01 += d * x1;
            d = load<f32>(dp1 + o); t10 += d * x0; t11 += d * x1;
            d = load<f32>(dp2 + o); t20 += d * x0; t21 += d * x1;
            d = load<f32>(dp3 + o); t30 += d * x0; t31 += d * x1;
          }
        }
        const wp = dw + ((<usize>k * <usize>C + <usize>c) << 2), ws = <usize>C << 2;
        put(wp, hsum(a00) + t00, first); put(wp + 4, hsum(a01) + t01, first);
        put(wp + ws, hsum(a10) + t10, first); put(wp + ws + 4, hsum(a11) + t11, first);
        put(wp + 2 * ws, hsum(a20) + t20, first); put(wp + 2 * ws + 4, hsum(a21) + t21, first);
        put(wp + 3 * ws, hsum(a30) + t30, first); put(wp + 3 * ws + 4, hsum(a31) + t31, first);
      }
      for (; c < C; c++) {
        const xc = x + <usize>c * rs;
        let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
        let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
        for (let n = n0; n < n1; n++) {
          const xp0 = xc + <usize>n * xstride;
          const dp0 = dyk + <usize>n * dystride, dp1 = dp0 + rs, dp2 = dp1 + rs, dp3 = dp2 + rs;
          let o: usize = 0;
          const end = <usize>P4 << 2;
          for (; o < end; o += 16) {
            const x0 = v128.load(xp0 + o);
            a0 = fmadd(v128.load(dp0 + o), x0, a0);
            a1 = fmadd(v128.load(dp1 + o), x0, a1);
            a2 = fmadd(v128.load(dp2 + o), x0, a2);
            a3 = fmadd(v128.load(dp3 + o), x0, a3);
          }
          for (; o < rs; o += 4) {
            const x0 = load<f32>(xp0 + o);
            t0 += load<f32>(dp0 + o) * x0; t1 += load<f32>(dp1 + o) * x0;
            t2 += load<f32>(dp2 + o) * x0; t3 += load<f32>(dp3 + o) * x0;
          }
        }
        const wp = dw + ((<usize>k * <usize>C + <usize>c) << 2), ws = <usize>C << 2;
        put(wp, hsum(a0) + t0, first); put(wp + ws, hsum(a1) + t1, first);
        put(wp + 2 * ws, hsum(a2) + t2, first); put(wp + 3 * ws, hsum(a3) + t3, first);
      }
    }
    for (; k < e; k++) {
      const dyk = dy + <usize>k * rs;
      for (let c = 0; c < C; c++) {
        const xc = x + <usize>c * rs;
        let a0 = f32x4.splat(0);
        let t0: f32 = 0;
        for (let n = n0; n < n1; n++) {
          const xp0 = xc + <usize>n * xstride, dp0 = dyk + <usize>n * dystride;
          let o: usize = 0;
          const end = <usize>P4 << 2;
          for (; o < end; o += 16) a0 = fmadd(v128.load(dp0 + o), v128.load(xp0 + o), a0);
          for (; o < rs; o += 4) t0 += load<f32>(dp0 + o) * load<f32>(xp0 + o);
        }
        put(dw + ((<usize>k * <usize>C + <usize>c) << 2), hsum(a0) + t0, first);
      }
    }
    if (db) {
      for (k = s; k < e; k++) {
        const dyk = dy + <usize>k * rs;
        let a0 = f32x4.splat(0);
        let t0: f32 = 0;
        for (let n = n0; n < n1; n++) {
          const dp0 = dyk + <usize>n * dystride;
          let o: usize = 0;
          const end = <usize>P4 << 2;
          for (; o < end; o += 16) a0 = f32x4.add(a0, v128.load(dp0 + o));
          for (; o < rs; o += 4) t0 += load<f32>(dp0 + o);
        }
        put(db + (<usize>k << 2), hsum(a0) + t0, first);
      }
    }
  }
}
