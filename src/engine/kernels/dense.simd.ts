// dense kernels (AssemblyScript SIMD): see ABI.md. Scalar reference: dense.ref.ts.
// x[N][I], w[O][I], y[N][O]. Each output element is summed in one fixed order whatever the split.
import { fmadd, fmaddf } from './fma.simd';

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// Dot product of two rows of length I: four f32x4 partial sums (16 floats a step), then 4s, then scalars.
@inline function dot(a: usize, b: usize, I: i32): f32 {
  let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
  let i = 0;
  for (; i + 16 <= I; i += 16) {
    const o = <usize>i << 2;
    s0 = fmadd(v128.load(a + o), v128.load(b + o), s0);
    s1 = fmadd(v128.load(a + o, 16), v128.load(b + o, 16), s1);
    s2 = fmadd(v128.load(a + o, 32), v128.load(b + o, 32), s2);
    s3 = fmadd(v128.load(a + o, 48), v128.load(b + o, 48), s3);
  }
  for (; i + 4 <= I; i += 4) {
    const o = <usize>i << 2;
    s0 = fmadd(v128.load(a + o), v128.load(b + o), s0);
  }
  let t: f32 = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  for (; i < I; i++) t += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return t;
}

export function dense_fwd(x: usize, w: usize, b: usize, y: usize, N: i32, I: i32, O: i32, s: i32, e: i32): void {
  const rs = <usize>I << 2;
  for (let u = s; u < e; u++) {
    const n = u / O, o = u - n * O;
    let v = dot(x + <usize>n * rs, w + <usize>o * rs, I);
    if (b) v = load<f32>(b + (<usize>o << 2)) + v;
    store<f32>(y + (<usize>u << 2), v);
  }
}

// dx[n][i] (+)= sum_o dy[n][o] w[o][i]: vectorised along i inside one row n (lanes are independent elements,
// each summed over o in order, so vector and scalar paths agree bit for bit).
export function dense_bwd_data(dy: usize, w: usize, dx: usize, N: i32, I: i32, O: i32, acc: i32, s: i32, e: i32): void {
  const rs = <usize>I << 2;
  let u = s;
  while (u < e) {
    const n = u / I, base = n * I;
    const i1 = min(I, e - base);
    let i = u - base;
    const dyn = dy + ((<usize>n * <usize>O) << 2), dxn = dx + <usize>n * rs;
    for (; i + 16 <= i1; i += 16) {
      let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
      let wp = w + (<usize>i << 2);
      for (let o = 0; o < O; o++) {
        const d = v128.load32_splat(dyn + (<usize>o << 2));
        c0 = fmadd(d, v128.load(wp), c0); c1 = fmadd(d, v128.load(wp, 16), c1);
        c2 = fmadd(d, v128.load(wp, 32), c2); c3 = fmadd(d, v128.load(wp, 48), c3);
        wp += rs;
      }
      const q = dxn + (<usize>i << 2);
      if (acc) {
        c0 = f32x4.add(v128.load(q), c0); c1 = f32x4.add(v128.load(q, 16), c1);
        c2 = f32x4.add(v128.load(q, 32), c2); c3 = f32x4.add(v128.load(q, 48), c3);
      }
      v128.store(q, c0); v128.store(q, c1, 16); v128.store(q, c2, 32); v128.store(q, c3, 48);
    }
    for (; i + 4 <= i1; i += 4) {
      let c0 = f32x4.splat(0);
      let wp = w + (<usize>i << 2);
      for (let o = 0; o < O; o++) {
        c0 = fmadd(v128.load32_splat(dyn + (<usize>o << 2)), v128.load(wp), c0);
        wp += rs;
      }
      const q = dxn + (<usize>i << 2);
      if (acc) c0 = f32x4.add(v128.load(q), c0);
      v128.store(q, c0);
    }
    for (; i < i1; i++) {
      let t: f32 = 0;
      let wp = w + (<usize>i << 2);
      for (let o = 0; o < O; o++) { t = fmaddf(load<f32>(dyn + (<usize>o << 2)), load<f32>(wp), t); wp += rs; }
      const q = dxn + (<usize>i << 2);
      store<f32>(q, acc ? load<f32>(q) + t : t);
    }
    u = base + i1;
  }
}

// dw[o][i] = sum_n dy[n][o] x[n][i], db[o] = sum_n dy[n][o]: vectorised along i, summed over n in order.
export function dense_bwd_weight(x: usize, dy: usize, dw: usize, db: usize, N: i32, I: i32, O: i32, s: i32, e: i32): void {
  const rs = <usize>I << 2, os = <usize>O << 2;
  for (let o = s; o < e; o++) {
    const dyo = dy + (<usize>o << 2), dwo = dw + <usize>o * rs;
    let i = 0;
    for (; i + 16 <= I; i += 16) {
      let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
      let xp = x + (<usize>i << 2), dp = dyo;
      for (let n = 0; n < N; n++) {
        const d = v128.load32_splat(dp);
        c0 = fmadd(d, v128.load(xp), c0); c1 = fmadd(d, v128.load(xp, 16), c1);
        c2 = fmadd(d, v128.load(xp, 32), c2); c3 = fmadd(d, v128.load(xp, 48), c3);
        xp += rs; dp += os;
      }
      const q = dwo + (<usize>i << 2);
      v128.store(q, c0); v128.store(q, c1, 16); v128.store(q, c2, 32); v128.store(q, c3, 48);
    }
    for (; i + 4 <= I; i += 4) {
      let c0 = f32x4.splat(0);
      let xp = x + (<usize>i << 2), dp = dyo;
      for (let n = 0; n < N; n++) { c0 = fmadd(v128.load32_splat(dp), v128.load(xp), c0); xp += rs; dp += os; }
      v128.store(dwo + (<usize>i << 2), c0);
    }
    for (; i < I; i++) {
      let t: f32 = 0;
      let xp = x + (<usize>i << 2), dp = dyo;
      for (let n = 0; n < N; n++) { t += load<f32>(dp) * load<f32>(xp); xp += rs; dp += os; }
      store<f32>(dwo + (<usize>i << 2), t);
    }
    if (db) {
      let t: f32 = 0;
      let dp = dyo;
      for (let n = 0; n < N; n++) { t += load<f32>(dp); dp += os; }
      store<f32>(db + (<usize>o << 2), t);
    }
  }
}
