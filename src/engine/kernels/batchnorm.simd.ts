// batchnorm kernels (AssemblyScript SIMD): see ABI.md. Scalar reference: batchnorm.ref.ts.
// Memory-bound: one pass over each plane, ReLU fused. Per-plane partial sums are f32x4 and are combined
// across planes in float64, so channel statistics over large N*P stay accurate.
// The ReLU mask is always computed as (x - mean)*(invstd*gamma) + beta > 0, identically in the forward
// and backward kernels, so the backward mask matches the forward output exactly.
import { fmadd } from './fma.simd';

@inline function hsum(v: v128): f64 {
  return <f64>((f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3)));
}
@inline function ldf(p: usize, c: i32): f32 { return load<f32>(p + (<usize>c << 2)); }

// The shift for the channel's sums: mean of its first plane (close to the batch mean, so (x - k)^2 sums
// do not cancel even when |mean| >> std).
@inline function planeMean(xp: usize, P: i32): f32 {
  let t: f64 = 0;
  for (let p = 0; p < P; p++) t += <f64>load<f32>(xp + (<usize>p << 2));
  return <f32>(t / <f64>P);
}

@inline function finishStats(mean: usize, invstd: usize, runMean: usize, runVar: usize, M: i32, momentum: f32, eps: f32,
  c: i32, k0: f32, S1: f64, S2: f64): void {
  const m = S1 / <f64>M;
  let v = S2 / <f64>M - m * m;
  if (v < 0) v = 0;
  const mu = <f64>k0 + m;
  store<f32>(mean + (<usize>c << 2), <f32>mu);
  store<f32>(invstd + (<usize>c << 2), <f32>(1.0 / Math.sqrt(v + <f64>eps)));
  const unb = M > 1 ? v * <f64>M / <f64>(M - 1) : v;
  const mo = <f64>momentum;
  const rm = runMean + (<usize>c << 2), rv = runVar + (<usize>c << 2);
  store<f32>(rm, <f32>((1 - mo) * <f64>load<f32>(rm) + mo * mu));
  store<f32>(rv, <f32>((1 - mo) * <f64>load<f32>(rv) + mo * unb));
}

// Per channel: sums of (x - k) and (x - k)^2 around k = the mean of the channel's first plane (accurate
// even when |mean| >> std), f32x4 partials over groups of planes folded into float64. Channels are done four at a time
// (same per-channel arithmetic as one at a time, so the result does not depend on the split).
// 4 adjacent channels at once: their planes are contiguous within an image, so the sweep is sequential.
@inline function stats4(x: usize, mean: usize, invstd: usize, runMean: usize, runVar: usize,
  N: i32, C: i32, P: i32, momentum: f32, eps: f32, c: i32): void {
  const rs = <usize>P << 2, end8 = <usize>(P & ~7) << 2, end4 = <usize>(P & ~3) << 2;
  const G = max(1, 1024 / P); // planes per f32x4 partial sum (<= ~256 terms a lane), then folded into f64
  const k0 = planeMean(x + <usize>(c + 0) * rs, P), kv0 = f32x4.splat(k0); // shift: mean of the first plane
  let S1_0: f64 = 0, S2_0: f64 = 0;
  const k1 = planeMean(x + <usize>(c + 1) * rs, P), kv1 = f32x4.splat(k1); // shift: mean of the first plane
  let S1_1: f64 = 0, S2_1: f64 = 0;
  const k2 = planeMean(x + <usize>(c + 2) * rs, P), kv2 = f32x4.splat(k2); // shift: mean of the first plane
  let S1_2: f64 = 0, S2_2: f64 = 0;
  const k3 = planeMean(x + <usize>(c + 3) * rs, P), kv3 = f32x4.splat(k3); // shift: mean of the first plane
  let S1_3: f64 = 0, S2_3: f64 = 0;
  for (let n0 = 0; n0 < N; n0 += G) {
    const n1 = min(N, n0 + G);
    let a0 = f32x4.splat(0), b0 = a0, q0 = a0, r0 = a0;
    let t0: f32 = 0, u0: f32 = 0;
    let a1 = f32x4.splat(0), b1 = a1, q1 = a1, r1 = a1;
    let t1: f32 = 0, u1: f32 = 0;
    let a2 = f32x4.splat(0), b2 = a2, q2 = a2, r2 = a2;
    let t2: f32 = 0, u2: f32 = 0;
    let a3 = f32x4.splat(0), b3 = a3, q3 = a3, r3 = a3;
    let t3: f32 = 0, u3: f32 = 0;
    for (let n = n0; n < n1; n++) {
      const base = x + (<usize>n * <usize>C + <usize>c) * rs;
      {
        const xp = base;
        let o: usize = 0;
        for (; o < end8; o += 32) {
          const d0 = f32x4.sub(v128.load(xp + o), kv0), d1 = f32x4.sub(v128.load(xp + o, 16), kv0);
          a0 = f32x4.add(a0, d0); b0 = f32x4.add(b0, d1);
          q0 = fmadd(d0, d0, q0); r0 = fmadd(d1, d1, r0);
        }
        if (o < end4) { const d0 = f32x4.sub(v128.load(xp + o), kv0); a0 = f32x4.add(a0, d0); q0 = fmadd(d0, d0, q0); o += 16; }
        for (; o < rs; o += 4) { const d = load<f32>(xp + o) - k0; t0 += d; u0 += d * d; }
      }
      {
        const xp = base + 1 * rs;
        let o: usize = 0;
        for (; o < end8; o += 32) {
          const d0 = f32x4.sub(v128.load(xp + o), kv1), d1 = f32x4.sub(v128.load(xp + o, 16), kv1);
          a1 = f32x4.add(a1, d0); b1 = f32x4.add(b1, d1);
          q1 = fmadd(d0, d0, q1); r1 = fmadd(d1, d1, r1);
        }
        if (o < end4) { const d0 = f32x4.sub(v128.load(xp + o), kv1); a1 = f32x4.add(a1, d0); q1 = fmadd(d0, d0, q1); o += 16; }
        for (; o < rs; o += 4) { const d = load<f32>(xp + o) - k1; t1 += d; u1 += d * d; }
      }
      {
        const xp = base + 2 * rs;
        let o: usize = 0;
        for (; o < end8; o += 32) {
          const d0 = f32x4.sub(v128.load(xp + o), kv2), d1 = f32x4.sub(v128.load(xp + o, 16), kv2);
          a2 = f32x4.add(a2, d0); b2 = f32x4.add(b2, d1);
          q2 = fmadd(d0, d0, q2); r2 = fmadd(d1, d1, r2);
        }
        if (o < end4) { const d0 = f32x4.sub(v128.load(xp + o), kv2); a2 = f32x4.add(a2, d0); q2 = fmadd(d0, d0, q2); o += 16; }
        for (; o < rs; o += 4) { const d = load<f32>(xp + o) - k2; t2 += d; u2 += d * d; }
      }
      {
        const xp = base + 3 * rs;
        let o: usize = 0;
        for (; o < end8; o += 32) {
          const d0 = f32x4.sub(v128.load(xp + o), kv3), d1 = f32x4.sub(v128.load(xp + o, 16), kv3);
          a3 = f32x4.add(a3, d0); b3 = f32x4.add(b3, d1);
          q3 = fmadd(d0, d0, q3); r3 = fmadd(d1, d1, r3);
        }
        if (o < end4) { const d0 = f32x4.sub(v128.load(xp + o), kv3); a3 = f32x4.add(a3, d0); q3 = fmadd(d0, d0, q3); o += 16; }
        for (; o < rs; o += 4) { const d = load<f32>(xp + o) - k3; t3 += d; u3 += d * d; }
      }
    }
    S1_0 += hsum(f32x4.add(a0, b0)) + <f64>t0; S2_0 += hsum(f32x4.add(q0, r0)) + <f64>u0;
    S1_1 += hsum(f32x4.add(a1, b1)) + <f64>t1; S2_1 += hsum(f32x4.add(q1, r1)) + <f64>u1;
    S1_2 += hsum(f32x4.add(a2, b2)) + <f64>t2; S2_2 += hsum(f32x4.add(q2, r2)) + <f64>u2;
    S1_3 += hsum(f32x4.add(a3, b3)) + <f64>t3; S2_3 += hsum(f32x4.add(q3, r3)) + <f64>u3;
  }
  finishStats(mean, invstd, runMean, runVar, N * P, momentum, eps, c + 0, k0, S1_0, S2_0);
  finishStats(mean, invstd, runMean, runVar, N * P, momentum, eps, c + 1, k1, S1_1, S2_1);
  finishStats(mean, invstd, runMean, runVar, N * P, momentum, eps, c + 2, k2, S1_2, S2_2);
  finishStats(mean, invstd, runMean, runVar, N * P, momentum, eps, c + 3, k3, S1_3, S2_3);
}

// 1 adjacent channels at once: their planes are contiguous within an image, so the sweep is sequential.
@inline function stats1(x: usize, mean: usize, invstd: usize, runMean: usize, runVar: usize,
  N: i32, C: i32, P: i32, momentum: f32, eps: f32, c: i32): void {
  const rs = <usize>P << 2, end8 = <usize>(P & ~7) << 2, end4 = <usize>(P & ~3) << 2;
  const G = max(1, 1024 / P); // planes per f32x4 partial sum (<= ~256 terms a lane), then folded into f64
  const k0 = planeMean(x + <usize>(c + 0) * rs, P), kv0 = f32x4.splat(k0); // shift: mean of the first plane
  let S1_0: f64 = 0, S2_0: f64 = 0;
  for (let n0 = 0; n0 < N; n0 += G) {
    const n1 = min(N, n0 + G);
    let a0 = f32x4.splat(0), b0 = a0, q0 = a0, r0 = a0;
    let t0: f32 = 0, u0: f32 = 0;
    for (let n = n0; n < n1; n++) {
      const base = x + (<usize>n * <usize>C + <usize>c) * rs;
      {
        const xp = base;
        let o: usize = 0;
        for (; o < end8; o += 32) {
          const d0 = f32x4.sub(v128.load(xp + o), kv0), d1 = f32x4.sub(v128.load(xp + o, 16), kv0);
          a0 = f32x4.add(a0, d0); b0 = f32x4.add(b0, d1);
          q0 = fmadd(d0, d0, q0); r0 = fmadd(d1, d1, r0);
        }
        if (o < end4) { const d0 = f32x4.sub(v128.load(xp + o), kv0); a0 = f32x4.add(a0, d0); q0 = fmadd(d0, d0, q0); o += 16; }
        for (; o < rs; o += 4) { const d = load<f32>(xp + o) - k0; t0 += d; u0 += d * d; }
      }
    }
    S1_0 += hsum(f32x4.add(a0, b0)) + <f64>t0; S2_0 += hsum(f32x4.add(q0, r0)) + <f64>u0;
  }
  finishStats(mean, invstd, runMean, runVar, N * P, momentum, eps, c + 0, k0, S1_0, S2_0);
}

export function bn_stats(x: usize, mean: usize, invstd: usize, runMean: usize, runVar: usize,
  N: i32, C: i32, P: i32, momentum: f32, eps: f32, s: i32, e: i32): void {
  let c = s;
  for (; c + 4 <= e; c += 4) stats4(x, mean, invstd, runMean, runVar, N, C, P, momentum, eps, c);
  for (; c < e; c++) stats1(x, mean, invstd, runMean, runVar, N, C, P, momentum, eps, c);
}

export function bn_act_fwd(x: usize, mean: usize, invstd: usize, gamma: usize, beta: usize, y: usize,
  N: i32, C: i32, P: i32, relu: i32, s: i32, e: i32): void {
  const rs = <usize>P << 2, end8 = <usize>(P & ~7) << 2;
  const z = f32x4.splat(0);
  for (let u = s; u < e; u++) {
    const c = u % C;
    const mu = ldf(mean, c), sc = ldf(invstd, c) * ldf(gamma, c), be = ldf(beta, c);
    const mv = f32x4.splat(mu), sv = f32x4.splat(sc), bv = f32x4.splat(be);
    const xp = x + <usize>u * rs, yp = y + <usize>u * rs;
    let o: usize = 0;
    if (relu) {
      for (; o < end8; o += 32) {
        const v0 = fmadd(f32x4.sub(v128.load(xp + o), mv), sv, bv);
        const v1 = fmadd(f32x4.sub(v128.load(xp + o, 16), mv), sv, bv);
        v128.store(yp + o, f32x4.pmax(z, v0)); v128.store(yp + o, f32x4.pmax(z, v1), 16);
      }
      if (o + 16 <= rs) { v128.store(yp + o, f32x4.pmax(z, fmadd(f32x4.sub(v128.load(xp + o), mv), sv, bv))); o += 16; }
      for (; o < rs; o += 4) { const v = (load<f32>(xp + o) - mu) * sc + be; store<f32>(yp + o, v > 0 ? v : 0); }
    } else {
      for (; o < end8; o += 32) {
        v128.store(yp + o, fmadd(f32x4.sub(v128.load(xp + o), mv), sv, bv));
        v128.store(yp + o, fmadd(f32x4.sub(v128.load(xp + o, 16), mv), sv, bv), 16);
      }
      if (o + 16 <= rs) { v128.store(yp + o, fmadd(f32x4.sub(v128.load(xp + o), mv), sv, bv)); o += 16; }
      for (; o < rs; o += 4) store<f32>(yp + o, (load<f32>(xp + o) - mu) * sc + be);
    }
  }
}

@inline function reduce4(x: usize, dy: usize, mean: usize, invstd: usize, gamma: usize, beta: usize,
  dgamma: usize, dbeta: usize, N: i32, C: i32, P: i32, relu: i32, c: i32): void {
  const rs = <usize>P << 2, end4 = <usize>(P & ~3) << 2;
  const G = max(1, 1024 / P);
  const z = f32x4.splat(0);
  const mu0 = ldf(mean, c + 0), is0 = ldf(invstd, c + 0), sc0 = is0 * ldf(gamma, c + 0), be0 = ldf(beta, c + 0);
  const mv0 = f32x4.splat(mu0), sv0 = f32x4.splat(sc0), bv0 = f32x4.splat(be0);
  let SG0: f64 = 0, SGX0: f64 = 0;
  const mu1 = ldf(mean, c + 1), is1 = ldf(invstd, c + 1), sc1 = is1 * ldf(gamma, c + 1), be1 = ldf(beta, c + 1);
  const mv1 = f32x4.splat(mu1), sv1 = f32x4.splat(sc1), bv1 = f32x4.splat(be1);
  let SG1: f64 = 0, SGX1: f64 = 0;
  const mu2 = ldf(mean, c + 2), is2 = ldf(invstd, c + 2), sc2 = is2 * ldf(gamma, c + 2), be2 = ldf(beta, c + 2);
  const mv2 = f32x4.splat(mu2), sv2 = f32x4.splat(sc2), bv2 = f32x4.splat(be2);
  let SG2: f64 = 0, SGX2: f64 = 0;
  const mu3 = ldf(mean, c + 3), is3 = ldf(invstd, c + 3), sc3 = is3 * ldf(gamma, c + 3), be3 = ldf(beta, c + 3);
  const mv3 = f32x4.splat(mu3), sv3 = f32x4.splat(sc3), bv3 = f32x4.splat(be3);
  let SG3: f64 = 0, SGX3: f64 = 0;
  for (let n0 = 0; n0 < N; n0 += G) {
    const n1 = min(N, n0 + G);
    let a0 = f32x4.splat(0), b0 = a0;
    let ta0: f32 = 0, tb0: f32 = 0;
    let a1 = f32x4.splat(0), b1 = a1;
    let ta1: f32 = 0, tb1: f32 = 0;
    let a2 = f32x4.splat(0), b2 = a2;
    let ta2: f32 = 0, tb2: f32 = 0;
    let a3 = f32x4.splat(0), b3 = a3;
    let ta3: f32 = 0, tb3: f32 = 0;
    for (let n = n0; n < n1; n++) {
      const off = (<usize>n * <usize>C + <usize>c) * rs;
      {
        const xp = x + off, dp = dy + off;
        let o: usize = 0;
        if (relu) {
          for (; o < end4; o += 16) {
            const d = f32x4.sub(v128.load(xp + o), mv0);
            const g = v128.and(v128.load(dp + o), f32x4.gt(fmadd(d, sv0, bv0), z));
            a0 = f32x4.add(a0, g); b0 = fmadd(g, d, b0);
          }
        } else {
          for (; o < end4; o += 16) {
            const d = f32x4.sub(v128.load(xp + o), mv0);
            const g = v128.load(dp + o);
            a0 = f32x4.add(a0, g); b0 = fmadd(g, d, b0);
          }
        }
        for (; o < rs; o += 4) {
          const d = load<f32>(xp + o) - mu0;
          const g: f32 = relu && !(d * sc0 + be0 > 0) ? 0 : load<f32>(dp + o);
          ta0 += g; tb0 += g * d;
        }
      }
      {
        const xp = x + off + 1 * rs, dp = dy + off + 1 * rs;
        let o: usize = 0;
        if (relu) {
          for (; o < end4; o += 16) {
            const d = f32x4.sub(v128.load(xp + o), mv1);
            const g = v128.and(v128.load(dp + o), f32x4.gt(fmadd(d, sv1, bv1), z));
            a1 = f32x4.add(a1, g); b1 = fmadd(g, d, b1);
          }
        } else {
          for (; o < end4; o += 16) {
            const d = f32x4.sub(v128.load(xp + o), mv1);
            const g = v128.load(dp + o);
            a1 = f32x4.add(a1, g); b1 = fmadd(g, d, b1);
          }
        }
        for (; o < rs; o += 4) {
          const d = load<f32>(xp + o) - mu1;
          const g: f32 = relu && !(d * sc1 + be1 > 0) ? 0 : load<f32>(dp + o);
          ta1 += g; tb1 += g * d;
        }
      }
      {
        const xp = x + off + 2 * rs, dp = dy + off + 2 * rs;
        let o: usize = 0;
        if (relu) {
          for (; o < end4; o += 16) {
            const d = f32x4.sub(v128.load(xp + o), mv2);
            const g = v128.and(v128.load(dp + o), f32x4.gt(fmadd(d, sv2, bv2), z));
            a2 = f32x4.add(a2, g); b2 = fmadd(g, d, b2);
          }
        } else {
          for (; o < end4; o += 16) {
            const d = f32x4.sub(v128.load(xp + o), mv2);
            const g = v128.load(dp + o);
            a2 = f32x4.add(a2, g); b2 = fmadd(g, d, b2);
          }
        }
        for (; o < rs; o += 4) {
          const d = load<f32>(xp + o) - mu2;
          const g: f32 = relu && !(d * sc2 + be2 > 0) ? 0 : load<f32>(dp + o);
          ta2 += g; tb2 += g * d;
        }
      }
      {
        const xp = x + off + 3 * rs, dp = dy + off + 3 * rs;
        let o: usize = 0;
        if (relu) {
          for (; o < end4; o += 16) {
            const d = f32x4.sub(v128.load(xp + o), mv3);
            const g = v128.and(v128.load(dp + o), f32x4.gt(fmadd(d, sv3, bv3), z));
            a3 = f32x4.add(a3, g); b3 = fmadd(g, d, b3);
          }
        } else {
          for (; o < end4; o += 16) {
            const d = f32x4.sub(v128.load(xp + o), mv3);
            const g = v128.load(dp + o);
            a3 = f32x4.add(a3, g); b3 = fmadd(g, d, b3);
          }
        }
        for (; o < rs; o += 4) {
          const d = load<f32>(xp + o) - mu3;
          const g: f32 = relu && !(d * sc3 + be3 > 0) ? 0 : load<f32>(dp + o);
          ta3 += g; tb3 += g * d;
        }
      }
    }
    SG0 += hsum(a0) + <f64>ta0; SGX0 += hsum(b0) + <f64>tb0;
    SG1 += hsum(a1) + <f64>ta1; SGX1 += hsum(b1) + <f64>tb1;
    SG2 += hsum(a2) + <f64>ta2; SGX2 += hsum(b2) + <f64>tb2;
    SG3 += hsum(a3) + <f64>ta3; SGX3 += hsum(b3) + <f64>tb3;
  }
  store<f32>(dbeta + (<usize>(c + 0) << 2), <f32>SG0); store<f32>(dgamma + (<usize>(c + 0) << 2), <f32>(SGX0 * <f64>is0));
  store<f32>(dbeta + (<usize>(c + 1) << 2), <f32>SG1); store<f32>(dgamma + (<usize>(c + 1) << 2), <f32>(SGX1 * <f64>is1));
  store<f32>(dbeta + (<usize>(c + 2) << 2), <f32>SG2); store<f32>(dgamma + (<usize>(c + 2) << 2), <f32>(SGX2 * <f64>is2));
  store<f32>(dbeta + (<usize>(c + 3) << 2), <f32>SG3); store<f32>(dgamma + (<usize>(c + 3) << 2), <f32>(SGX3 * <f64>is3));
}

@inline function reduce1(x: usize, dy: usize, mean: usize, invstd: usize, gamma: usize, beta: usize,
  dgamma: usize, dbeta: usize, N: i32, C: i32, P: i32, relu: i32, c: i32): void {
  const rs = <usize>P << 2, end4 = <usize>(P & ~3) << 2;
  const G = max(1, 1024 / P);
  const z = f32x4.splat(0);
  const mu0 = ldf(mean, c + 0), is0 = ldf(invstd, c + 0), sc0 = is0 * ldf(gamma, c + 0), be0 = ldf(beta, c + 0);
  const mv0 = f32x4.splat(mu0), sv0 = f32x4.splat(sc0), bv0 = f32x4.splat(be0);
  let SG0: f64 = 0, SGX0: f64 = 0;
  for (let n0 = 0; n0 < N; n0 += G) {
    const n1 = min(N, n0 + G);
    let a0 = f32x4.splat(0), b0 = a0;
    let ta0: f32 = 0, tb0: f32 = 0;
    for (let n = n0; n < n1; n++) {
      const off = (<usize>n * <usize>C + <usize>c) * rs;
      {
        const xp = x + off, dp = dy + off;
        let o: usize = 0;
        if (relu) {
          for (; o < end4; o += 16) {
            const d = f32x4.sub(v128.load(xp + o), mv0);
            const g = v128.and(v128.load(dp + o), f32x4.gt(fmadd(d, sv0, bv0), z));
            a0 = f32x4.add(a0, g); b0 = fmadd(g, d, b0);
          }
        } else {
          for (; o < end4; o += 16) {
            const d = f32x4.sub(v128.load(xp + o), mv0);
            const g = v128.load(dp + o);
            a0 = f32x4.add(a0, g); b0 = fmadd(g, d, b0);
          }
        }
        for (; o < rs; o += 4) {
          const d = load<f32>(xp + o) - mu0;
          const g: f32 = relu && !(d * sc0 + be0 > 0) ? 0 : load<f32>(dp + o);
          ta0 += g; tb0 += g * d;
        }
      }
    }
    SG0 += hsum(a0) + <f64>ta0; SGX0 += hsum(b0) + <f64>tb0;
  }
  store<f32>(dbeta + (<usize>(c + 0) << 2), <f32>SG0); store<f32>(dgamma + (<usize>(c + 0) << 2), <f32>(SGX0 * <f64>is0));
}

// dbeta = sum g, dgamma = invstd * sum g*(x - mean): f32x4 partials over groups of planes folded into float64,
// four channels at a time (identical per-channel arithmetic in both paths).
export function bn_act_bwd_reduce(x: usize, dy: usize, mean: usize, invstd: usize, gamma: usize, beta: usize,
  dgamma: usize, dbeta: usize, N: i32, C: i32, P: i32, relu: i32, s: i32, e: i32): void {
  let c = s;
  for (; c + 4 <= e; c += 4) reduce4(x, dy, mean, invstd, gamma, beta, dgamma, dbeta, N, C, P, relu, c);
  for (; c < e; c++) reduce1(x, dy, mean, invstd, gamma, beta, dgamma, dbeta, N, C, P, relu, c);
}

export function bn_act_bwd_data(x: usize, dy: usize, mean: usize, invstd: usize, gamma: usize, beta: usize,
  dgamma: usize, dbeta: usize, dx: usize, N: i32, C: i32, P: i32, relu: i32, acc: i32, s: i32, e: i32): void {
  const rs = <usize>P << 2, end4 = <usize>(P & ~3) << 2;
  const z = f32x4.splat(0);
  const invM: f32 = <f32>(1.0 / <f64>(N * P));
  for (let u = s; u < e; u++) {
    const c = u % C;
    const mu = ldf(mean, c), is = ldf(invstd, c), ga = ldf(gamma, c), sc = is * ga, be = ldf(beta, c);
    const kb = ldf(dbeta, c) * invM;          // dbeta/M
    const kg = ldf(dgamma, c) * is * invM;    // dgamma*invstd/M, so xhat*dgamma/M = (x-mean)*kg
    const mv = f32x4.splat(mu), sv = f32x4.splat(sc), bv = f32x4.splat(be), kbv = f32x4.splat(kb), kgv = f32x4.splat(kg);
    const off = <usize>u * rs;
    const xp = x + off, dp = dy + off, op = dx + off;
    let o: usize = 0;
    for (; o < end4; o += 16) {
      const d = f32x4.sub(v128.load(xp + o), mv);
      let g = v128.load(dp + o);
      if (relu) g = v128.and(g, f32x4.gt(fmadd(d, sv, bv), z));
      let r = f32x4.mul(sv, f32x4.sub(f32x4.sub(g, kbv), f32x4.mul(d, kgv)));
      if (acc) r = f32x4.add(v128.load(op + o), r);
      v128.store(op + o, r);
    }
    for (; o < rs; o += 4) {
      const d = load<f32>(xp + o) - mu;
      const g: f32 = relu && !(d * sc + be > 0) ? 0 : load<f32>(dp + o);
      let r = sc * ((g - kb) - d * kg);
      if (acc) r = load<f32>(op + o) + r;
      store<f32>(op + o, r);
    }
  }
}

export function affine_act_fwd(x: usize, scale: usize, shift: usize, y: usize, N: i32, C: i32, P: i32, relu: i32, s: i32, e: i32): void {
  const rs = <usize>P << 2, end8 = <usize>(P & ~7) << 2;
  const z = f32x4.splat(0);
  for (let u = s; u < e; u++) {
    const c = u % C;
    const a = ldf(scale, c), b = ldf(shift, c);
    const av = f32x4.splat(a), bv = f32x4.splat(b);
    const xp = x + <usize>u * rs, yp = y + <usize>u * rs;
    let o: usize = 0;
    if (relu) {
      for (; o < end8; o += 32) {
        v128.store(yp + o, f32x4.pmax(z, fmadd(v128.load(xp + o), av, bv)));
        v128.store(yp + o, f32x4.pmax(z, fmadd(v128.load(xp + o, 16), av, bv)), 16);
      }
      if (o + 16 <= rs) { v128.store(yp + o, f32x4.pmax(z, fmadd(v128.load(xp + o), av, bv))); o += 16; }
      for (; o < rs; o += 4) { const v = load<f32>(xp + o) * a + b; store<f32>(yp + o, v > 0 ? v : 0); }
    } else {
      for (; o < end8; o += 32) {
        v128.store(yp + o, fmadd(v128.load(xp + o), av, bv));
        v128.store(yp + o, fmadd(v128.load(xp + o, 16), av, bv), 16);
      }
      if (o + 16 <= rs) { v128.store(yp + o, fmadd(v128.load(xp + o), av, bv)); o += 16; }
      for (; o < rs; o += 4) store<f32>(yp + o, load<f32>(xp + o) * a + b);
    }
  }
}
