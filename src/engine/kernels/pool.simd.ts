// pool kernels (AssemblyScript SIMD): see ABI.md. Scalar reference: pool.ref.ts.

import { fp, ldf } from './lanes.simd';

// stride-2 gather of columns c, c+2, c+4, c+6 (reads exactly c .. c+6)
@inline function ld2(p: usize): v128 { return v128.shuffle<f32>(v128.load(p), v128.load(p, 12), 0, 2, 5, 7); }

// One output of a 3x3 / stride 2 / pad 1 window at (oh, ow), scalar and branch-free. Out-of-range rows and
// columns are clamped to the nearest in-range one: that only repeats an element right after (or right
// before, at the top/left) its own copy in the reference's scan order, and a repeat never wins under
// strict '>' (the first element is taken unconditionally), so value and index equal the reference's.
function mp1(xp: usize, H: i32, W: i32, oh: i32, ow: i32, yo: usize, io: usize): void {
  const ra = max(0, 2 * oh - 1) * W, rb = 2 * oh * W, rc = min(H - 1, 2 * oh + 1) * W;
  const ca = max(0, 2 * ow - 1), cb = 2 * ow, cc = min(W - 1, 2 * ow + 1);
  let bi = ra + ca, best = load<f32>(fp(xp, bi));
  let i = ra + cb, v = load<f32>(fp(xp, i)), g = v > best; best = select<f32>(v, best, g); bi = select<i32>(i, bi, g);
  i = ra + cc; v = load<f32>(fp(xp, i)); g = v > best; best = select<f32>(v, best, g); bi = select<i32>(i, bi, g);
  i = rb + ca; v = load<f32>(fp(xp, i)); g = v > best; best = select<f32>(v, best, g); bi = select<i32>(i, bi, g);
  i = rb + cb; v = load<f32>(fp(xp, i)); g = v > best; best = select<f32>(v, best, g); bi = select<i32>(i, bi, g);
  i = rb + cc; v = load<f32>(fp(xp, i)); g = v > best; best = select<f32>(v, best, g); bi = select<i32>(i, bi, g);
  i = rc + ca; v = load<f32>(fp(xp, i)); g = v > best; best = select<f32>(v, best, g); bi = select<i32>(i, bi, g);
  i = rc + cb; v = load<f32>(fp(xp, i)); g = v > best; best = select<f32>(v, best, g); bi = select<i32>(i, bi, g);
  i = rc + cc; v = load<f32>(fp(xp, i)); g = v > best; best = select<f32>(v, best, g); bi = select<i32>(i, bi, g);
  store<f32>(yo, best); store<i32>(io, bi);
}

// k=3, stride=2, pad=1 (the network's only pooling). Strips of 4 output columns, walked top to bottom.
// For each input row, a horizontal 3-tap max at stride 2 (shuffles split even/odd columns; left to right
// with strict '>', i.e. the reference's scan order inside a row) with its argmax; then the window's rows
// top to bottom with strict '>'. Every element of an earlier row precedes every element of a later row in
// the reference's scan, so this reproduces its first-max-wins rule exactly for all non-NaN inputs (ties,
// signed zeros and infinities included; with a NaN in a window the result may differ, as before).
// Input row 2*oh+1 is shared by output rows oh and oh+1 and is computed once. The left padding column is clamped to column 0 (a repeat of the scan's first element,
// which never wins under '>'); a bottom padding row is skipped. Right-border outputs (odd W) use mp1.
function maxpool3s2(xp: usize, yp: usize, ip: usize, H: i32, W: i32, OH: i32, OW: i32): void {
  const one = i32x4.splat(1), two = i32x4.splat(2), W4 = <usize>W << 2;
  if (W == 6) {
    // 3 outputs per row: columns (0,1,3) (0,2,4) (1,3,5) from two overlapping loads (cols 0-3 and 2-5)
    const colL = i32x4(0, 1, 3, 3), colM = i32x4(0, 2, 4, 4), colR = i32x4(1, 3, 5, 5);
      let cv = f32x4.splat(0), ci = cv; // horizontal result of input row 2*oh-1 (from the previous output row)
      let rpA = xp; // input row 2*oh
      let baseA = i32x4.splat(0);
      for (let oh = 0; oh < OH; oh++) {
        let bv: v128, bi: v128;
        {
          const rp = rpA, R = baseA;
          let av: v128, ai: v128;
          const v0 = v128.load(rp), v1 = v128.load(rp, 8);
          const ev = v128.shuffle<f32>(v0, v1, 0, 1, 5, 5), od = v128.shuffle<f32>(v0, v1, 0, 2, 6, 6);
          const rt = v128.shuffle<f32>(v0, v1, 1, 5, 7, 7);
          const m1 = f32x4.gt(od, ev);
          const h = v128.bitselect(od, ev, m1), m2 = f32x4.gt(rt, h);
          av = v128.bitselect(rt, h, m2);
          ai = i32x4.add(R, v128.bitselect(colR, v128.bitselect(colM, colL, m1), m2));
          if (oh == 0) { bv = av; bi = ai; }
          else { const m = f32x4.gt(av, cv); bv = v128.bitselect(av, cv, m); bi = v128.bitselect(ai, ci, m); }
        }
        if (2 * oh + 1 < H) {
          const rp = rpA + W4, R = i32x4.add(baseA, i32x4.splat(W));
          const v0 = v128.load(rp), v1 = v128.load(rp, 8);
          const ev = v128.shuffle<f32>(v0, v1, 0, 1, 5, 5), od = v128.shuffle<f32>(v0, v1, 0, 2, 6, 6);
          const rt = v128.shuffle<f32>(v0, v1, 1, 5, 7, 7);
          const m1 = f32x4.gt(od, ev);
          const h = v128.bitselect(od, ev, m1), m2 = f32x4.gt(rt, h);
          cv = v128.bitselect(rt, h, m2);
          ci = i32x4.add(R, v128.bitselect(colR, v128.bitselect(colM, colL, m1), m2));
          const m = f32x4.gt(cv, bv); bv = v128.bitselect(cv, bv, m); bi = v128.bitselect(ci, bi, m);
        }
        const yo = fp(yp, oh * 3), io = fp(ip, oh * 3);
        if (oh + 1 < OH) { v128.store(yo, bv); v128.store(io, bi); } // lane 3 is rewritten by the next row
        else { v128.store64_lane(yo, bv, 0); v128.store32_lane(yo, bv, 2, 8); v128.store64_lane(io, bi, 0); v128.store32_lane(io, bi, 2, 8); }
        rpA += W4 << 1; baseA = i32x4.add(baseA, i32x4.splat(2 * W));
      }
    return;
  }
  const owEnd = min(OW - 4, (W - 8) >> 1); // last interior start: outputs ow0..ow0+3 need cols 2ow0-1 .. 2ow0+7 < W
  let ow = 0;
  if (owEnd >= 1) {
    {
      // left strip (ow0 = 0): columns (0,1,3,5) (0,2,4,6) (1,3,5,7)
      const colL = i32x4(0, 1, 3, 5), colM = i32x4(0, 2, 4, 6), colR = i32x4(1, 3, 5, 7);
      let cv = f32x4.splat(0), ci = cv; // horizontal result of input row 2*oh-1 (from the previous output row)
      let rpA = xp; // input row 2*oh
      let baseA = i32x4.splat(0);
      for (let oh = 0; oh < OH; oh++) {
        let bv: v128, bi: v128;
        {
          const rp = rpA, R = baseA;
          let av: v128, ai: v128;
          const v0 = v128.load(rp), v1 = v128.load(rp, 16);
          const ev = v128.shuffle<f32>(v0, v1, 0, 1, 3, 5), od = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6);
          const rt = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
          const m1 = f32x4.gt(od, ev);
          const h = v128.bitselect(od, ev, m1), m2 = f32x4.gt(rt, h);
          av = v128.bitselect(rt, h, m2);
          ai = i32x4.add(R, v128.bitselect(colR, v128.bitselect(colM, colL, m1), m2));
          if (oh == 0) { bv = av; bi = ai; }
          else { const m = f32x4.gt(av, cv); bv = v128.bitselect(av, cv, m); bi = v128.bitselect(ai, ci, m); }
        }
        if (2 * oh + 1 < H) {
          const rp = rpA + W4, R = i32x4.add(baseA, i32x4.splat(W));
          const v0 = v128.load(rp), v1 = v128.load(rp, 16);
          const ev = v128.shuffle<f32>(v0, v1, 0, 1, 3, 5), od = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6);
          const rt = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
          const m1 = f32x4.gt(od, ev);
          const h = v128.bitselect(od, ev, m1), m2 = f32x4.gt(rt, h);
          cv = v128.bitselect(rt, h, m2);
          ci = i32x4.add(R, v128.bitselect(colR, v128.bitselect(colM, colL, m1), m2));
          const m = f32x4.gt(cv, bv); bv = v128.bitselect(cv, bv, m); bi = v128.bitselect(ci, bi, m);
        }
        v128.store(fp(yp, oh * OW), bv); v128.store(fp(ip, oh * OW), bi);
        rpA += W4 << 1; baseA = i32x4.add(baseA, i32x4.splat(2 * W));
      }
    }
    for (let ow0 = 4; ; ow0 += 4) {
      if (ow0 > owEnd) ow0 = owEnd;
      // interior strip: column of the left tap of each output, + 0/1/2
      let cv = f32x4.splat(0), ci = cv; // horizontal result of input row 2*oh-1 (from the previous output row)
      let rpA = fp(xp, 2 * ow0 - 1); // input row 2*oh
      let baseA = i32x4.add(i32x4(-1, 1, 3, 5), i32x4.splat(2 * ow0));
      for (let oh = 0; oh < OH; oh++) {
        let bv: v128, bi: v128;
        {
          const rp = rpA, R = baseA;
          let av: v128, ai: v128;
          const v0 = v128.load(rp), v1 = v128.load(rp, 16), v2 = v128.load32_zero(rp, 32);
          const ev = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6), od = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
          const rt = v128.shuffle<f32>(ev, v2, 1, 2, 3, 4);
          const m1 = f32x4.gt(od, ev);
          const h = v128.bitselect(od, ev, m1), m2 = f32x4.gt(rt, h);
          av = v128.bitselect(rt, h, m2);
          ai = i32x4.add(R, v128.bitselect(two, v128.and(m1, one), m2));
          if (oh == 0) { bv = av; bi = ai; }
          else { const m = f32x4.gt(av, cv); bv = v128.bitselect(av, cv, m); bi = v128.bitselect(ai, ci, m); }
        }
        if (2 * oh + 1 < H) {
          const rp = rpA + W4, R = i32x4.add(baseA, i32x4.splat(W));
          const v0 = v128.load(rp), v1 = v128.load(rp, 16), v2 = v128.load32_zero(rp, 32);
          const ev = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6), od = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
          const rt = v128.shuffle<f32>(ev, v2, 1, 2, 3, 4);
          const m1 = f32x4.gt(od, ev);
          const h = v128.bitselect(od, ev, m1), m2 = f32x4.gt(rt, h);
          cv = v128.bitselect(rt, h, m2);
          ci = i32x4.add(R, v128.bitselect(two, v128.and(m1, one), m2));
          const m = f32x4.gt(cv, bv); bv = v128.bitselect(cv, bv, m); bi = v128.bitselect(ci, bi, m);
        }
        v128.store(fp(yp, oh * OW + ow0), bv); v128.store(fp(ip, oh * OW + ow0), bi);
        rpA += W4 << 1; baseA = i32x4.add(baseA, i32x4.splat(2 * W));
      }
      if (ow0 == owEnd) break;
    }
    ow = owEnd + 4;
  }
  for (let oh = 0; oh < OH; oh++)
    for (let o = ow; o < OW; o++) mp1(xp, H, W, oh, o, fp(yp, oh * OW + o), fp(ip, oh * OW + o));
}

export function maxpool_fwd(x: usize, y: usize, idx: usize, N: i32, C: i32, H: i32, W: i32,
  OH: i32, OW: i32, k: i32, stride: i32, pad: i32, s: i32, e: i32): void {
  const P = H * W, Q = OH * OW;
  if (k == 3 && stride == 2 && pad == 1) {
    for (let u = s; u < e; u++) maxpool3s2(fp(x, u * P), fp(y, u * Q), fp(idx, u * Q), H, W, OH, OW);
    return;
  }
  const ninf = f32x4.splat(-Infinity);
  const lo = i32x4(0, stride, 2 * stride, 3 * stride);
  const span = stride == 1 ? 4 : 7; // columns read by one fast vector load
  for (let u = s; u < e; u++) {
    const xp = fp(x, u * P), yp = fp(y, u * Q), ip = fp(idx, u * Q);
    for (let oh = 0; oh < OH; oh++) {
      const ihb = oh * stride - pad;
      const i0 = max(0, -ihb), i1 = min(k, H - ihb);
      for (let ow0 = 0; ow0 < OW; ow0 += 4) {
        const nv = min(4, OW - ow0), col0 = ow0 * stride - pad;
        let best = ninf, bi = i32x4.splat(-1);
        const fast = stride <= 2 && nv == 4 && col0 >= 0 && col0 + k - 1 + span <= W;
        for (let i = i0; i < i1; i++) {
          const ih = ihb + i, row = fp(xp, ih * W);
          let iv = i32x4.add(i32x4.splat(ih * W + col0), lo);
          const one = i32x4.splat(1);
          if (fast) {
            if (stride == 1) {
              for (let j = 0; j < k; j++) {
                const v = v128.load(fp(row, col0 + j));
                const m = f32x4.gt(v, best);
                best = v128.bitselect(v, best, m); bi = v128.bitselect(iv, bi, m);
                iv = i32x4.add(iv, one);
              }
            } else {
              for (let j = 0; j < k; j++) {
                const v = ld2(fp(row, col0 + j));
                const m = f32x4.gt(v, best);
                best = v128.bitselect(v, best, m); bi = v128.bitselect(iv, bi, m);
                iv = i32x4.add(iv, one);
              }
            }
          } else {
            for (let j = 0; j < k; j++) {
              const v = ldf(row, col0 + j, stride, W, nv, -Infinity);
              const m = f32x4.gt(v, best);
              best = v128.bitselect(v, best, m); bi = v128.bitselect(iv, bi, m);
              iv = i32x4.add(iv, one);
            }
          }
        }
        const yo = fp(yp, oh * OW + ow0), io = fp(ip, oh * OW + ow0);
        if (nv == 4) {
          v128.store(yo, best); v128.store(io, bi);
        } else {
          store<f32>(yo, f32x4.extract_lane(best, 0)); store<i32>(io, i32x4.extract_lane(bi, 0));
          if (nv > 1) { store<f32>(yo, f32x4.extract_lane(best, 1), 4); store<i32>(io, i32x4.extract_lane(bi, 1), 4); }
          if (nv > 2) { store<f32>(yo, f32x4.extract_lane(best, 2), 8); store<i32>(io, i32x4.extract_lane(bi, 2), 8); }
        }
      }
    }
  }
}

export function maxpool_bwd(dy: usize, idx: usize, dx: usize, N: i32, C: i32, H: i32, W: i32,
  OH: i32, OW: i32, acc: i32, s: i32, e: i32): void {
  const P = H * W, Q = OH * OW;
  for (let u = s; u < e; u++) {
    const dxp = fp(dx, u * P), dyp = fp(dy, u * Q), ip = fp(idx, u * Q);
    if (!acc) memory.fill(dxp, 0, <usize>P << 2);
    let q = 0;
    for (; q + 4 <= Q; q += 4) {
      const g = v128.load(fp(dyp, q)), ii = v128.load(fp(ip, q));
      let a = fp(dxp, i32x4.extract_lane(ii, 0)); store<f32>(a, load<f32>(a) + f32x4.extract_lane(g, 0));
      a = fp(dxp, i32x4.extract_lane(ii, 1)); store<f32>(a, load<f32>(a) + f32x4.extract_lane(g, 1));
      a = fp(dxp, i32x4.extract_lane(ii, 2)); store<f32>(a, load<f32>(a) + f32x4.extract_lane(g, 2));
      a = fp(dxp, i32x4.extract_lane(ii, 3)); store<f32>(a, load<f32>(a) + f32x4.extract_lane(g, 3));
    }
    for (; q < Q; q++) {
      const a = fp(dxp, load<i32>(fp(ip, q)));
      store<f32>(a, load<f32>(a) + load<f32>(fp(dyp, q)));
    }
  }
}

export function gap_fwd(x: usize, y: usize, N: i32, C: i32, P: i32, s: i32, e: i32): void {
  for (let u = s; u < e; u++) {
    const xp = fp(x, u * P);
    let a0 = f32x4.splat(0), a1 = a0;
    let p = 0;
    for (; p + 8 <= P; p += 8) { a0 = f32x4.add(a0, v128.load(fp(xp, p))); a1 = f32x4.add(a1, v128.load(fp(xp, p), 16)); }
    a0 = f32x4.add(a0, a1);
    let t: f32 = (f32x4.extract_lane(a0, 0) + f32x4.extract_lane(a0, 1)) + (f32x4.extract_lane(a0, 2) + f32x4.extract_lane(a0, 3));
    for (; p < P; p++) t += load<f32>(fp(xp, p));
    store<f32>(fp(y, u), t / <f32>P);
  }
}

export function gap_bwd(dy: usize, dx: usize, N: i32, C: i32, P: i32, acc: i32, s: i32, e: i32): void {
  for (let u = s; u < e; u++) {
    const g: f32 = load<f32>(fp(dy, u)) / <f32>P, gv = f32x4.splat(g), xp = fp(dx, u * P);
    let p = 0;
    if (acc) {
      for (; p + 4 <= P; p += 4) v128.store(fp(xp, p), f32x4.add(v128.load(fp(xp, p)), gv));
      for (; p < P; p++) store<f32>(fp(xp, p), load<f32>(fp(xp, p)) + g);
    } else {
      for (; p + 4 <= P; p += 4) v128.store(fp(xp, p), gv);
      for (; p < P; p++) store<f32>(fp(xp, p), g);
    }
  }
}
