// conv2d kernels (AssemblyScript SIMD): see ABI.md. Scalar reference: conv2d.ref.ts.
//
// Forward and (stride-1) backward-data are the same direct correlation, `corr`: vectorised along the
// output row (4 pixels a vector, 2 vectors at a time in the interior) and blocked over 4 output channels
// that share every input load (a unit range [s, e) is walked in blocks of up to 4 consecutive units; each
// output element gets the same arithmetic whatever the block, so results never depend on the split).
// Border vectors (padding, row tails) load a clamped 16-byte window and zero the padding lanes with a
// swizzle. Weight gradients: one unit sums over the whole batch in a fixed order.
import { fmadd } from './fma.simd';
import { fp, ldf } from './lanes.simd';
import { wgrad3x3p1 } from './dwconv.simd';


// stride-2 gather of columns c, c+2, c+4, c+6 (reads exactly c .. c+6)
@inline function ld2(p: usize): v128 { return v128.shuffle<f32>(v128.load(p), v128.load(p, 12), 0, 2, 5, 7); }

// Lanes l < nv: element c0 + l*s of the row if it lies in [0, W), else 0 (zero padding).
@inline function ldz(row: usize, c0: i32, s: i32, W: i32, nv: i32): v128 { return ldf(row, c0, s, W, nv, 0); }

@inline function madd(a: v128, x: v128, w: v128): v128 { return fmadd(x, w, a); }

@inline function put4(p: usize, v: v128, acc: i32): void {
  v128.store(p, acc ? f32x4.add(v128.load(p), v) : v);
}
@inline function putn(p: usize, v: v128, nv: i32, acc: i32): void {
  if (nv == 4) { put4(p, v, acc); return; }
  store<f32>(p, (acc ? load<f32>(p) : 0) + f32x4.extract_lane(v, 0));
  if (nv > 1) store<f32>(p, (acc ? load<f32>(p, 4) : 0) + f32x4.extract_lane(v, 1), 4);
  if (nv > 2) store<f32>(p, (acc ? load<f32>(p, 8) : 0) + f32x4.extract_lane(v, 2), 8);
}

// Interior: 2 vectors (8 output pixels) x 4 output channels, all taps in bounds. S = stride (1 or 2).
@inline function blk2(xr0: usize, Cin: i32, HW4: usize, W4: usize, ni: i32, kw: i32,
  wr0: usize, wc4: i32, wi4: i32, wj4: i32, q1: usize, q2: usize, q3: usize, S: i32,
  outp: usize, OP4: usize, nb: i32, b0: v128, b1: v128, b2: v128, b3: v128, acc: i32): void {
  let a0 = b0, a1 = b1, a2 = b2, a3 = b3, c0 = b0, c1 = b1, c2 = b2, c3 = b3;
  let xc = xr0, wc = wr0;
  for (let c = 0; c < Cin; c++) {
    let xr = xc, wr = wc;
    for (let i = 0; i < ni; i++) {
      let xp = xr, wp = wr;
      for (let j = 0; j < kw; j++) {
        const xa = S == 1 ? v128.load(xp) : ld2(xp);
        const xb = S == 1 ? v128.load(xp, 16) : ld2(xp + 32);
        let w = v128.load32_splat(wp); a0 = madd(a0, xa, w); c0 = madd(c0, xb, w);
        w = v128.load32_splat(wp + q1); a1 = madd(a1, xa, w); c1 = madd(c1, xb, w);
        w = v128.load32_splat(wp + q2); a2 = madd(a2, xa, w); c2 = madd(c2, xb, w);
        w = v128.load32_splat(wp + q3); a3 = madd(a3, xa, w); c3 = madd(c3, xb, w);
        xp += 4; wp += <usize>wj4;
      }
      xr += W4; wr += <usize>wi4;
    }
    xc += HW4; wc += <usize>wc4;
  }
  put4(outp, a0, acc); put4(outp + 16, c0, acc);
  if (nb > 1) { put4(outp + OP4, a1, acc); put4(outp + OP4 + 16, c1, acc); }
  if (nb > 2) { put4(outp + 2 * OP4, a2, acc); put4(outp + 2 * OP4 + 16, c2, acc); }
  if (nb > 3) { put4(outp + 3 * OP4, a3, acc); put4(outp + 3 * OP4 + 16, c3, acc); }
}

// Border / tail vector: nv valid lanes, any stride; loops j outermost so the lane mask is built once per tap
// column. Stride 1: one clamped 16-byte load + swizzle (padding lanes -> 0). Other strides: scalar gather.
function edgeBlk(xin: usize, Cin: i32, HW: i32, ihb: i32, i0: i32, i1: i32, W: i32, col0: i32, nv: i32, kw: i32,
  wb: usize, wc4: i32, wi4: i32, wj4: i32, q1: usize, q2: usize, q3: usize, S: i32,
  outp: usize, OP4: usize, nb: i32, b0: v128, b1: v128, b2: v128, b3: v128, acc: i32): void {
  let a0 = b0, a1 = b1, a2 = b2, a3 = b3;
  for (let j = 0; j < kw; j++) {
    const col = col0 + j;
    const wj = wb + <usize>(j * wj4);
    if (S == 1) {
      const A = min(max(col, 0), W - 4);
      let idx = i32x4.splat(0x80808080);
      let cl = col;
      if (cl >= 0 && cl < W) idx = i32x4.replace_lane(idx, 0, 0x03020100 + (cl - A) * 0x04040404);
      cl++;
      if (nv > 1 && cl >= 0 && cl < W) idx = i32x4.replace_lane(idx, 1, 0x03020100 + (cl - A) * 0x04040404);
      cl++;
      if (nv > 2 && cl >= 0 && cl < W) idx = i32x4.replace_lane(idx, 2, 0x03020100 + (cl - A) * 0x04040404);
      cl++;
      if (nv > 3 && cl >= 0 && cl < W) idx = i32x4.replace_lane(idx, 3, 0x03020100 + (cl - A) * 0x04040404);
      for (let c = 0; c < Cin; c++) {
        const xc = fp(xin, c * HW + A), wc = wj + <usize>(c * wc4);
        for (let i = i0; i < i1; i++) {
          const xv = v128.swizzle(v128.load(fp(xc, (ihb + i) * W)), idx);
          const wp = wc + <usize>(i * wi4);
          a0 = madd(a0, xv, v128.load32_splat(wp)); a1 = madd(a1, xv, v128.load32_splat(wp + q1));
          a2 = madd(a2, xv, v128.load32_splat(wp + q2)); a3 = madd(a3, xv, v128.load32_splat(wp + q3));
        }
      }
    } else {
      for (let c = 0; c < Cin; c++) {
        const xc = fp(xin, c * HW), wc = wj + <usize>(c * wc4);
        for (let i = i0; i < i1; i++) {
          const xv = ldz(fp(xc, (ihb + i) * W), col, S, W, nv);
          const wp = wc + <usize>(i * wi4);
          a0 = madd(a0, xv, v128.load32_splat(wp)); a1 = madd(a1, xv, v128.load32_splat(wp + q1));
          a2 = madd(a2, xv, v128.load32_splat(wp + q2)); a3 = madd(a3, xv, v128.load32_splat(wp + q3));
        }
      }
    }
  }
  putn(outp, a0, nv, acc);
  if (nb > 1) putn(outp + OP4, a1, nv, acc);
  if (nb > 2) putn(outp + 2 * OP4, a2, nv, acc);
  if (nb > 3) putn(outp + 3 * OP4, a3, nv, acc);
}

// Correlation of one image: out[o][oh][ow] (+)= bias[o] + sum_{c,i,j} wt(o,c,i,j) * in[c][oh*S-pad+i][ow*S-pad+j]
// for nb (1..4) consecutive output channels o. Weight of (o, c, i, j) at wb + 4*(o*wo + c*wc + i*wi + j*wj).
function corr(xin: usize, Cin: i32, H: i32, W: i32, wb: usize, wo: i32, wc: i32, wi: i32, wj: i32,
  out: usize, OH: i32, OW: i32, nb: i32, kh: i32, kw: i32, S: i32, pad: i32, bias: usize, acc: i32): void {
  const HW = H * W, OP4 = <usize>(OH * OW) << 2, W4 = <usize>W << 2, HW4 = <usize>HW << 2;
  const q1 = <usize>(min(1, nb - 1) * wo) << 2, q2 = <usize>(min(2, nb - 1) * wo) << 2, q3 = <usize>(min(3, nb - 1) * wo) << 2;
  const z = f32x4.splat(0);
  const b0 = bias ? v128.load32_splat(bias) : z;
  const b1 = bias ? v128.load32_splat(fp(bias, min(1, nb - 1))) : z;
  const b2 = bias ? v128.load32_splat(fp(bias, min(2, nb - 1))) : z;
  const b3 = bias ? v128.load32_splat(fp(bias, min(3, nb - 1))) : z;
  const wc4 = wc << 2, wi4 = wi << 2, wj4 = wj << 2;
  const span = S == 1 ? 4 : 7;
  for (let oh = 0; oh < OH; oh++) {
    const ihb = oh * S - pad;
    const i0 = max(0, -ihb), i1 = max(i0, min(kh, H - ihb)), ni = i1 - i0;
    const orow = fp(out, oh * OW);
    const wbi = wb + <usize>(i0 * wi4);
    let ow0 = 0;
    while (ow0 < OW) {
      const col0 = ow0 * S - pad, nv = min(4, OW - ow0);
      if (S <= 2 && nv == 4 && col0 >= 0 && ow0 + 8 <= OW && col0 + 4 * S + kw - 1 + span <= W) {
        const xr0 = fp(xin, (ihb + i0) * W + col0);
        if (S == 1) blk2(xr0, Cin, HW4, W4, ni, kw, wbi, wc4, wi4, wj4, q1, q2, q3, 1, fp(orow, ow0), OP4, nb, b0, b1, b2, b3, acc);
        else blk2(xr0, Cin, HW4, W4, ni, kw, wbi, wc4, wi4, wj4, q1, q2, q3, 2, fp(orow, ow0), OP4, nb, b0, b1, b2, b3, acc);
        ow0 += 8;
      } else {
        edgeBlk(xin, Cin, HW, ihb, i0, i1, W, col0, nv, kw, wb, wc4, wi4, wj4, q1, q2, q3, S, fp(orow, ow0), OP4, nb, b0, b1, b2, b3, acc);
        ow0 += 4;
      }
    }
  }
}

export function conv2d_fwd(x: usize, w: usize, b: usize, y: usize, N: i32, C: i32, H: i32, W: i32,
  K: i32, kh: i32, kw: i32, stride: i32, pad: i32, OH: i32, OW: i32, s: i32, e: i32): void {
  const khw = kh * kw;
  let u = s;
  while (u < e) {
    const n = u / K, k = u % K, nb = min(4, min(K - k, e - u));
    corr(fp(x, n * C * H * W), C, H, W, fp(w, k * C * khw), C * khw, khw, kw, 1,
      fp(y, u * OH * OW), OH, OW, nb, kh, kw, stride, pad, b ? fp(b, k) : 0, 0);
    u += nb;
  }
}

export function conv2d_bwd_data(dy: usize, w: usize, dx: usize, N: i32, C: i32, H: i32, W: i32,
  K: i32, kh: i32, kw: i32, stride: i32, pad: i32, OH: i32, OW: i32, acc: i32, s: i32, e: i32): void {
  const khw = kh * kw, OP = OH * OW, HW = H * W;
  if (stride == 1 && kh == kw && pad <= kh - 1) {
    // transposed correlation = correlation of dy with the rotated kernel, padding kh-1-pad
    let u = s;
    while (u < e) {
      const n = u / C, c = u % C, nb = min(4, min(C - c, e - u));
      corr(fp(dy, n * K * OP), K, OH, OW, fp(w, c * khw + khw - 1), khw, C * khw, -kw, -1,
        fp(dx, u * HW), H, W, nb, kh, kw, 1, kh - 1 - pad, 0, acc);
      u += nb;
    }
  } else if (kh == 1 && kw == 1 && pad == 0) {
    // strided 1x1: g = W^T dy on the output grid, scattered to every stride-th input pixel
    let u = s;
    while (u < e) {
      const n = u / C, c = u % C, nb = min(4, min(C - c, e - u));
      const q1 = <usize>min(1, nb - 1) << 2, q2 = <usize>min(2, nb - 1) << 2, q3 = <usize>min(3, nb - 1) << 2;
      const dx0 = fp(dx, u * HW), HW4 = <usize>HW << 2;
      if (!acc) memory.fill(dx0, 0, <usize>(nb * HW) << 2);
      const dyn = fp(dy, n * K * OP), wc = fp(w, c);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow0 = 0; ow0 < OW; ow0 += 4) {
          const nv = min(4, OW - ow0);
          let g0 = f32x4.splat(0), g1 = g0, g2 = g0, g3 = g0;
          let dp = fp(dyn, oh * OW + ow0), wp = wc;
          const OP4 = <usize>OP << 2, C4 = <usize>C << 2;
          if (nv == 4) {
            for (let k = 0; k < K; k++) {
              const d = v128.load(dp);
              g0 = madd(g0, d, v128.load32_splat(wp)); g1 = madd(g1, d, v128.load32_splat(wp + q1));
              g2 = madd(g2, d, v128.load32_splat(wp + q2)); g3 = madd(g3, d, v128.load32_splat(wp + q3));
              dp += OP4; wp += C4;
            }
          } else {
            for (let k = 0; k < K; k++) {
              const d = ldz(dp, 0, 1, nv, nv);
              g0 = madd(g0, d, v128.load32_splat(wp)); g1 = madd(g1, d, v128.load32_splat(wp + q1));
              g2 = madd(g2, d, v128.load32_splat(wp + q2)); g3 = madd(g3, d, v128.load32_splat(wp + q3));
              dp += OP4; wp += C4;
            }
          }
          const base = fp(dx0, oh * stride * W + ow0 * stride), st = <usize>stride << 2;
          for (let t = 0; t < nb; t++) {
            const g = t == 0 ? g0 : t == 1 ? g1 : t == 2 ? g2 : g3;
            let p = base + <usize>t * HW4;
            store<f32>(p, load<f32>(p) + f32x4.extract_lane(g, 0));
            if (nv > 1) { p += st; store<f32>(p, load<f32>(p) + f32x4.extract_lane(g, 1)); }
            if (nv > 2) { p += st; store<f32>(p, load<f32>(p) + f32x4.extract_lane(g, 2)); }
            if (nv > 3) { p += st; store<f32>(p, load<f32>(p) + f32x4.extract_lane(g, 3)); }
          }
        }
      }
      u += nb;
    }
  } else {
    // general strided transposed convolution (not on the hot path): scalar gather per input pixel
    for (let u = s; u < e; u++) {
      const n = u / C, c = u % C;
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++) {
          let sum: f32 = 0;
          for (let k = 0; k < K; k++) {
            for (let i = 0; i < kh; i++) {
              const th = ih + pad - i;
              if (th < 0 || th % stride != 0) continue;
              const oh = th / stride;
              if (oh >= OH) continue;
              for (let j = 0; j < kw; j++) {
                const tw = iw + pad - j;
                if (tw < 0 || tw % stride != 0) continue;
                const ow = tw / stride;
                if (ow >= OW) continue;
                sum += load<f32>(fp(w, ((k * C + c) * kh + i) * kw + j)) * load<f32>(fp(dy, ((n * K + k) * OH + oh) * OW + ow));
              }
            }
          }
          const o = fp(dx, u * HW + ih * W + iw);
          store<f32>(o, acc ? load<f32>(o) + sum : sum);
        }
      }
    }
  }
}

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

export function conv2d_bwd_weight(x: usize, dy: usize, dw: usize, db: usize, N: i32, C: i32, H: i32,
  W: i32, K: i32, kh: i32, kw: i32, stride: i32, pad: i32, OH: i32, OW: i32, s: i32, e: i32): void {
  const HW = H * W, OP = OH * OW, khw = kh * kw;
  if (kh == 3 && kw == 3 && stride == 1 && pad == 1) {
    for (let u = s; u < e; u++) {
      const k = u / C, c = u % C;
      wgrad3x3p1(fp(x, c * HW), C * HW, fp(dy, k * OP), K * OP, N, H, W, fp(dw, u * 9));
    }
  } else if (kh == 1 && kw == 1 && pad == 0 && OW < 8) {
    // small strided 1x1 planes: vectors over the flattened output plane (dy is contiguous), x gathered
    // with per-lane offsets computed once per pixel block; pixel blocks outermost, then images.
    let u = s;
    while (u < e) {
      const k = u / C, c = u % C, nb = min(4, min(C - c, e - u));
      const q1 = <usize>(min(1, nb - 1) * HW) << 2, q2 = <usize>(min(2, nb - 1) * HW) << 2, q3 = <usize>(min(3, nb - 1) * HW) << 2;
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      const xs = <usize>(C * HW) << 2, ds = <usize>(K * OP) << 2;
      for (let p0 = 0; p0 < OP; p0 += 4) {
        const nv = min(4, OP - p0);
        let pp = p0;
        const o0 = <usize>((pp / OW) * stride * W + (pp % OW) * stride) << 2;
        pp = min(p0 + 1, OP - 1); const o1 = <usize>((pp / OW) * stride * W + (pp % OW) * stride) << 2;
        pp = min(p0 + 2, OP - 1); const o2 = <usize>((pp / OW) * stride * W + (pp % OW) * stride) << 2;
        pp = min(p0 + 3, OP - 1); const o3 = <usize>((pp / OW) * stride * W + (pp % OW) * stride) << 2;
        let xp = fp(x, c * HW), dp = fp(dy, k * OP + p0);
        for (let n = 0; n < N; n++) {
          const d = nv == 4 ? v128.load(dp) : ldz(dp, 0, 1, nv, nv);
          let xq = xp;
          a0 = madd(a0, f32x4(load<f32>(xq + o0), load<f32>(xq + o1), load<f32>(xq + o2), load<f32>(xq + o3)), d);
          xq = xp + q1;
          a1 = madd(a1, f32x4(load<f32>(xq + o0), load<f32>(xq + o1), load<f32>(xq + o2), load<f32>(xq + o3)), d);
          xq = xp + q2;
          a2 = madd(a2, f32x4(load<f32>(xq + o0), load<f32>(xq + o1), load<f32>(xq + o2), load<f32>(xq + o3)), d);
          xq = xp + q3;
          a3 = madd(a3, f32x4(load<f32>(xq + o0), load<f32>(xq + o1), load<f32>(xq + o2), load<f32>(xq + o3)), d);
          xp += xs; dp += ds;
        }
      }
      const o = fp(dw, k * C + c);
      store<f32>(o, hsum(a0));
      if (nb > 1) store<f32>(o, hsum(a1), 4);
      if (nb > 2) store<f32>(o, hsum(a2), 8);
      if (nb > 3) store<f32>(o, hsum(a3), 12);
      u += nb;
    }
  } else {
    // blocks of up to 4 consecutive input channels (same k) share every dy load; one tap at a time
    const span = stride == 1 ? 4 : 7;
    let u = s;
    while (u < e) {
      const k = u / C, c = u % C, nb = min(4, min(C - c, e - u));
      const q1 = <usize>(min(1, nb - 1) * HW) << 2, q2 = <usize>(min(2, nb - 1) * HW) << 2, q3 = <usize>(min(3, nb - 1) * HW) << 2;
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
          for (let n = 0; n < N; n++) {
            const xn = fp(x, (n * C + c) * HW), dn = fp(dy, (n * K + k) * OP);
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * stride - pad + i;
              if (ih < 0 || ih >= H) continue;
              const xrow = fp(xn, ih * W), drow = fp(dn, oh * OW);
              for (let ow0 = 0; ow0 < OW; ow0 += 4) {
                const nv = min(4, OW - ow0), col = ow0 * stride - pad + j;
                if (nv == 4 && col >= 0 && col + span <= W && stride <= 2) {
                  const d = v128.load(fp(drow, ow0)), xp = fp(xrow, col);
                  if (stride == 1) {
                    a0 = madd(a0, v128.load(xp), d); a1 = madd(a1, v128.load(xp + q1), d);
                    a2 = madd(a2, v128.load(xp + q2), d); a3 = madd(a3, v128.load(xp + q3), d);
                  } else {
                    a0 = madd(a0, ld2(xp), d); a1 = madd(a1, ld2(xp + q1), d);
                    a2 = madd(a2, ld2(xp + q2), d); a3 = madd(a3, ld2(xp + q3), d);
                  }
                } else {
                  const d = ldz(drow, ow0, 1, OW, nv);
                  a0 = madd(a0, ldz(xrow, col, stride, W, nv), d); a1 = madd(a1, ldz(xrow + q1, col, stride, W, nv), d);
                  a2 = madd(a2, ldz(xrow + q2, col, stride, W, nv), d); a3 = madd(a3, ldz(xrow + q3, col, stride, W, nv), d);
                }
              }
            }
          }
          const o = fp(dw, (k * C + c) * khw + i * kw + j), st = <usize>khw << 2;
          store<f32>(o, hsum(a0));
          if (nb > 1) store<f32>(o + st, hsum(a1));
          if (nb > 2) store<f32>(o + 2 * st, hsum(a2));
          if (nb > 3) store<f32>(o + 3 * st, hsum(a3));
        }
      }
      u += nb;
    }
  }
  if (db) {
    for (let u = s; u < e; u++) {
      if (u % C != 0) continue;
      const k = u / C;
      let a0 = f32x4.splat(0), a1 = a0;
      let t: f32 = 0;
      for (let n = 0; n < N; n++) {
        const dn = fp(dy, (n * K + k) * OP);
        let p = 0;
        for (; p + 8 <= OP; p += 8) { a0 = f32x4.add(a0, v128.load(fp(dn, p))); a1 = f32x4.add(a1, v128.load(fp(dn, p), 16)); }
        for (; p + 4 <= OP; p += 4) a0 = f32x4.add(a0, v128.load(fp(dn, p)));
        for (; p < OP; p++) t += load<f32>(fp(dn, p));
      }
      store<f32>(fp(db, k), hsum(f32x4.add(a0, a1)) + t);
    }
  }
}
