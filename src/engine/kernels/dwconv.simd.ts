// dwconv kernels (AssemblyScript SIMD): see ABI.md. Scalar reference: dwconv.ref.ts.
// Vectorised along the image row. Row borders (pad 1) are handled with lane shuffles on the first and
// last full vector of a row; a partial last vector (W % 4 != 0) is built with scalar loads.
import { fmadd } from './fma.simd';
import { fp } from './lanes.simd';


// Lanes l: element c0 + l of the row if it lies in [0, W), else 0.
@inline function ldz(row: usize, c0: i32, W: i32): v128 {
  let v = f32x4.splat(0);
  if (c0 >= 0 && c0 < W) v = f32x4.replace_lane(v, 0, load<f32>(fp(row, c0)));
  if (c0 + 1 >= 0 && c0 + 1 < W) v = f32x4.replace_lane(v, 1, load<f32>(fp(row, c0 + 1)));
  if (c0 + 2 >= 0 && c0 + 2 < W) v = f32x4.replace_lane(v, 2, load<f32>(fp(row, c0 + 2)));
  if (c0 + 3 >= 0 && c0 + 3 < W) v = f32x4.replace_lane(v, 3, load<f32>(fp(row, c0 + 3)));
  return v;
}

// left neighbours (col q-1..q+2) of a vector at q (mode 0: load, 1: q == 0, 2: partial)
@inline function xl(p: usize, m: i32, row: usize, q: i32, W: i32): v128 {
  if (m == 1) return v128.shuffle<f32>(f32x4.splat(0), v128.load(p), 0, 4, 5, 6);
  if (m == 2) return ldz(row, q - 1, W);
  return v128.load(p - 4);
}
@inline function xr(p: usize, m: i32, row: usize, q: i32, W: i32): v128 {
  if (m == 1) return v128.shuffle<f32>(v128.load(p), f32x4.splat(0), 1, 2, 3, 4);
  if (m == 2) return ldz(row, q + 1, W);
  return v128.load(p, 4);
}
@inline function xm(p: usize, m: i32, row: usize, q: i32, W: i32): v128 {
  if (m == 2) return ldz(row, q, W);
  return v128.load(p);
}

// One output vector at column q of row r: 3x3 taps with weights w0..w8 (row-major).
// lm/rm: left/right border modes (0 normal, 1 border shuffle, 2 scalar partial).
@inline function dwvec(xp: usize, r: i32, H: i32, W: i32, q: i32, lm: i32, rm: i32, mm: i32,
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128): v128 {
  const rowM = fp(xp, r * W), pM = fp(rowM, q);
  let sM = fmadd(xr(pM, rm, rowM, q, W), w5, fmadd(xm(pM, mm, rowM, q, W), w4, f32x4.mul(xl(pM, lm, rowM, q, W), w3)));
  if (r > 0) {
    const row = fp(xp, (r - 1) * W), p = fp(row, q);
    const sU = fmadd(xr(p, rm, row, q, W), w2, fmadd(xm(p, mm, row, q, W), w1, f32x4.mul(xl(p, lm, row, q, W), w0)));
    sM = f32x4.add(sU, sM);
  }
  if (r + 1 < H) {
    const row = fp(xp, (r + 1) * W), p = fp(row, q);
    const sD = fmadd(xr(p, rm, row, q, W), w8, fmadd(xm(p, mm, row, q, W), w7, f32x4.mul(xl(p, lm, row, q, W), w6)));
    sM = f32x4.add(sM, sD);
  }
  return sM;
}

@inline function put(p: usize, v: v128, acc: i32): void {
  v128.store(p, acc ? f32x4.add(v128.load(p), v) : v);
}

// y = 3x3 correlation of one plane (pad 1); flip = use the kernel rotated by 180 degrees.
function dwPlane(xp: usize, wp: usize, yp: usize, H: i32, W: i32, flip: bool, acc: i32): void {
  let w0 = v128.load32_splat(wp), w1 = v128.load32_splat(wp, 4), w2 = v128.load32_splat(wp, 8);
  let w3 = v128.load32_splat(wp, 12), w4 = v128.load32_splat(wp, 16), w5 = v128.load32_splat(wp, 20);
  let w6 = v128.load32_splat(wp, 24), w7 = v128.load32_splat(wp, 28), w8 = v128.load32_splat(wp, 32);
  if (flip) {
    let t = w0; w0 = w8; w8 = t; t = w1; w1 = w7; w7 = t; t = w2; w2 = w6; w6 = t; t = w3; w3 = w5; w5 = t;
  }
  for (let r = 0; r < H; r++) {
    const yr = fp(yp, r * W);
    let q = 0;
    if (W >= 5) {
      put(yr, dwvec(xp, r, H, W, 0, 1, 0, 0, w0, w1, w2, w3, w4, w5, w6, w7, w8), acc);
      q = 4;
      for (; q + 9 <= W; q += 8) {
        const a = dwvec(xp, r, H, W, q, 0, 0, 0, w0, w1, w2, w3, w4, w5, w6, w7, w8);
        const b = dwvec(xp, r, H, W, q + 4, 0, 0, 0, w0, w1, w2, w3, w4, w5, w6, w7, w8);
        put(fp(yr, q), a, acc); put(fp(yr, q + 4), b, acc);
      }
      for (; q + 5 <= W; q += 4) put(fp(yr, q), dwvec(xp, r, H, W, q, 0, 0, 0, w0, w1, w2, w3, w4, w5, w6, w7, w8), acc);
      if (q + 4 == W) {
        put(fp(yr, q), dwvec(xp, r, H, W, q, 0, 1, 0, w0, w1, w2, w3, w4, w5, w6, w7, w8), acc);
        q += 4;
      }
    } else if (W == 4) {
      put(yr, dwvec(xp, r, H, W, 0, 1, 1, 0, w0, w1, w2, w3, w4, w5, w6, w7, w8), acc);
      q = 4;
    }
    if (q < W) {
      const v = dwvec(xp, r, H, W, q, 2, 2, 2, w0, w1, w2, w3, w4, w5, w6, w7, w8);
      const nv = W - q, o = fp(yr, q);
      store<f32>(o, (acc ? load<f32>(o) : 0) + f32x4.extract_lane(v, 0));
      if (nv > 1) store<f32>(o, (acc ? load<f32>(o, 4) : 0) + f32x4.extract_lane(v, 1), 4);
      if (nv > 2) store<f32>(o, (acc ? load<f32>(o, 8) : 0) + f32x4.extract_lane(v, 2), 8);
    }
  }
}

export function dw3x3_fwd(x: usize, w: usize, y: usize, N: i32, C: i32, H: i32, W: i32, s: i32, e: i32): void {
  const P = H * W;
  for (let u = s; u < e; u++) dwPlane(fp(x, u * P), fp(w, (u % C) * 9), fp(y, u * P), H, W, false, 0);
}

export function dw3x3_bwd_data(dy: usize, w: usize, dx: usize, N: i32, C: i32, H: i32, W: i32, acc: i32, s: i32, e: i32): void {
  const P = H * W;
  if (acc) for (let u = s; u < e; u++) dwPlane(fp(dy, u * P), fp(w, (u % C) * 9), fp(dx, u * P), H, W, true, 1);
  else for (let u = s; u < e; u++) dwPlane(fp(dy, u * P), fp(w, (u % C) * 9), fp(dx, u * P), H, W, true, 0);
}

// ---- weight gradient: 9 vector accumulators, one per tap --------------------------------------------

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// dw[t] = sum over n < N, pixels: x[n](shifted by tap t, pad 1) * dy[n]; planes H x W, stride 1.
// Image n's planes are at x0 + n*xsN and dy0 + n*dysN (in floats).
export function wgrad3x3p1(x0: usize, xsN: i32, dy0: usize, dysN: i32, N: i32, H: i32, W: i32, out: usize): void {
  const z = f32x4.splat(0);
  let a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z, a8 = z;
  for (let n = 0; n < N; n++) {
    const xp = fp(x0, n * xsN), dp = fp(dy0, n * dysN);
    for (let r = 0; r < H; r++) {
      const dr = fp(dp, r * W), rM = fp(xp, r * W), rU = fp(xp, (r - 1) * W), rD = fp(xp, (r + 1) * W);
      const up = r > 0, dn = r + 1 < H;
      let q = 0;
      // modes: lm/rm/mm as in dwvec; dmode 2 = partial dy vector
      if (W >= 5) {
        {
          const d = v128.load(dr);
          let p = rM;
          a3 = fmadd(xl(p, 1, rM, 0, W), d, a3); a4 = fmadd(v128.load(p), d, a4); a5 = fmadd(v128.load(p, 4), d, a5);
          if (up) { p = rU; a0 = fmadd(xl(p, 1, rU, 0, W), d, a0); a1 = fmadd(v128.load(p), d, a1); a2 = fmadd(v128.load(p, 4), d, a2); }
          if (dn) { p = rD; a6 = fmadd(xl(p, 1, rD, 0, W), d, a6); a7 = fmadd(v128.load(p), d, a7); a8 = fmadd(v128.load(p, 4), d, a8); }
        }
        q = 4;
        if (up && dn) {
          for (; q + 5 <= W; q += 4) {
            const d = v128.load(fp(dr, q));
            let p = fp(rU, q);
            a0 = fmadd(v128.load(p - 4), d, a0); a1 = fmadd(v128.load(p), d, a1); a2 = fmadd(v128.load(p, 4), d, a2);
            p = fp(rM, q);
            a3 = fmadd(v128.load(p - 4), d, a3); a4 = fmadd(v128.load(p), d, a4); a5 = fmadd(v128.load(p, 4), d, a5);
            p = fp(rD, q);
            a6 = fmadd(v128.load(p - 4), d, a6); a7 = fmadd(v128.load(p), d, a7); a8 = fmadd(v128.load(p, 4), d, a8);
          }
        } else {
          for (; q + 5 <= W; q += 4) {
            const d = v128.load(fp(dr, q));
            let p = fp(rM, q);
            a3 = fmadd(v128.load(p - 4), d, a3); a4 = fmadd(v128.load(p), d, a4); a5 = fmadd(v128.load(p, 4), d, a5);
            if (up) { p = fp(rU, q); a0 = fmadd(v128.load(p - 4), d, a0); a1 = fmadd(v128.load(p), d, a1); a2 = fmadd(v128.load(p, 4), d, a2); }
            if (dn) { p = fp(rD, q); a6 = fmadd(v128.load(p - 4), d, a6); a7 = fmadd(v128.load(p), d, a7); a8 = fmadd(v128.load(p, 4), d, a8); }
          }
        }
        if (q + 4 == W) {
          const d = v128.load(fp(dr, q));
          let p = fp(rM, q);
          a3 = fmadd(v128.load(p - 4), d, a3); a4 = fmadd(v128.load(p), d, a4); a5 = fmadd(xr(p, 1, rM, q, W), d, a5);
          if (up) { p = fp(rU, q); a0 = fmadd(v128.load(p - 4), d, a0); a1 = fmadd(v128.load(p), d, a1); a2 = fmadd(xr(p, 1, rU, q, W), d, a2); }
          if (dn) { p = fp(rD, q); a6 = fmadd(v128.load(p - 4), d, a6); a7 = fmadd(v128.load(p), d, a7); a8 = fmadd(xr(p, 1, rD, q, W), d, a8); }
          q += 4;
        }
      }
      // W <= 4 or a partial tail: scalar-built vectors (exact zeros outside the plane)
      for (; q < W; q += 4) {
        const d = ldz(dr, q, W);
        a3 = fmadd(ldz(rM, q - 1, W), d, a3); a4 = fmadd(ldz(rM, q, W), d, a4); a5 = fmadd(ldz(rM, q + 1, W), d, a5);
        if (up) { a0 = fmadd(ldz(rU, q - 1, W), d, a0); a1 = fmadd(ldz(rU, q, W), d, a1); a2 = fmadd(ldz(rU, q + 1, W), d, a2); }
        if (dn) { a6 = fmadd(ldz(rD, q - 1, W), d, a6); a7 = fmadd(ldz(rD, q, W), d, a7); a8 = fmadd(ldz(rD, q + 1, W), d, a8); }
      }
    }
  }
  store<f32>(out, hsum(a0)); store<f32>(out, hsum(a1), 4); store<f32>(out, hsum(a2), 8);
  store<f32>(out, hsum(a3), 12); store<f32>(out, hsum(a4), 16); store<f32>(out, hsum(a5), 20);
  store<f32>(out, hsum(a6), 24); store<f32>(out, hsum(a7), 28); store<f32>(out, hsum(a8), 32);
}

export function dw3x3_bwd_weight(x: usize, dy: usize, dw: usize, N: i32, C: i32, H: i32, W: i32, s: i32, e: i32): void {
  const P = H * W;
  for (let c = s; c < e; c++) wgrad3x3p1(fp(x, c * P), C * P, fp(dy, c * P), C * P, N, H, W, fp(dw, c * 9));
}
