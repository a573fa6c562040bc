// loss kernels (AssemblyScript SIMD): see ABI.md. Scalar reference: loss.ref.ts.
// K (classes) is small (7 for facial expressions), so this is scalar code computed in float64.

/** log(sum_k exp(scale * z[k])) over K floats, shifted by their maximum so that exp cannot overflow */
@inline function logSumExp(z: usize, K: i32, scale: f64 = 1.0): f64 {
  let mx: f64 = -Infinity;
  for (let k = 0; k < K; k++) mx = Math.max(mx, scale * <f64>load<f32>(z + (<usize>k << 2)));
  let sum: f64 = 0;
  for (let k = 0; k < K; k++) sum += Math.exp(scale * <f64>load<f32>(z + (<usize>k << 2)) - mx);
  return mx + Math.log(sum);
}

export function softmax_ce(logits: usize, labels: usize, classWeight: usize, prob: usize, dlogits: usize, lossOut: usize,
  N: i32, K: i32, smoothing: f32, gradScale: f32, s: i32, e: i32): void {
  const sm = <f64>smoothing, gs = <f64>gradScale, su = sm / <f64>K;
  for (let n = s; n < e; n++) {
    const label = load<i32>(labels + (<usize>n << 2));
    const w: f64 = classWeight ? <f64>load<f32>(classWeight + (<usize>label << 2)) : 1.0;
    const z = logits + ((<usize>n * <usize>K) << 2);
    const pr = prob + ((<usize>n * <usize>K) << 2), dl = dlogits + ((<usize>n * <usize>K) << 2);
    const lse = logSumExp(z, K);
    let loss: f64 = 0;
    for (let k = 0; k < K; k++) {
      const logp = <f64>load<f32>(z + (<usize>k << 2)) - lse;
      const p = Math.exp(logp);
      const t = (k == label ? 1 - sm : 0) + su;
      loss -= t * logp;
      store<f32>(pr + (<usize>k << 2), <f32>p);
      store<f32>(dl + (<usize>k << 2), <f32>(gs * w * (p - t)));
    }
    store<f32>(lossOut + (<usize>n << 2), <f32>(w * loss));
  }
}

export function softmax_ce_soft(logits: usize, targets: usize, labels: usize, classWeight: usize, prob: usize, dlogits: usize, lossOut: usize,
  N: i32, K: i32, gradScale: f32, s: i32, e: i32): void {
  const gs = <f64>gradScale;
  for (let n = s; n < e; n++) {
    const w: f64 = classWeight ? <f64>load<f32>(classWeight + (<usize>load<i32>(labels + (<usize>n << 2)) << 2)) : 1.0;
    const row = (<usize>n * <usize>K) << 2;
    const z = logits + row, tg = targets + row, pr = prob + row, dl = dlogits + row;
    const lse = logSumExp(z, K);
    let loss: f64 = 0;
    for (let k = 0; k < K; k++) {
      const logp = <f64>load<f32>(z + (<usize>k << 2)) - lse;
      const p = Math.exp(logp);
      const t = <f64>load<f32>(tg + (<usize>k << 2));
      loss -= t * logp;
      store<f32>(pr + (<usize>k << 2), <f32>p);
      store<f32>(dl + (<usize>k << 2), <f32>(gs * w * (p - t)));
    }
    store<f32>(lossOut + (<usize>n << 2), <f32>(w * loss));
  }
}

export function softmax_ce_distill(logits: usize, targets: usize, labels: usize, classWeight: usize, prob: usize, dlogits: usize, lossOut: usize,
  N: i32, K: i32, invTemp: f32, gradScale: f32, s: i32, e: i32): void {
  const gs = <f64>gradScale, it = <f64>invTemp, T = 1.0 / it;
  for (let n = s; n < e; n++) {
    const w: f64 = classWeight ? <f64>load<f32>(classWeight + (<usize>load<i32>(labels + (<usize>n << 2)) << 2)) : 1.0;
    const row = (<usize>n * <usize>K) << 2;
    const z = logits + row, pr = prob + row, dl = dlogits + row;
    const ta = targets + (row << 1), tb = ta + (<usize>K << 2);
    const lse = logSumExp(z, K), lseT = logSumExp(z, K, it);
    let sa: f64 = 0, sb: f64 = 0;
    for (let k = 0; k < K; k++) { sa += <f64>load<f32>(ta + (<usize>k << 2)); sb += <f64>load<f32>(tb + (<usize>k << 2)); }
    let loss: f64 = 0;
    for (let k = 0; k < K; k++) {
      const zk = <f64>load<f32>(z + (<usize>k << 2));
      const logp = zk - lse, logq = it * zk - lseT;
      const p = Math.exp(logp), q = Math.exp(logq);
      const a = <f64>load<f32>(ta + (<usize>k << 2)), b = <f64>load<f32>(tb + (<usize>k << 2));
      loss -= a * logp + T * T * b * logq;
      store<f32>(pr + (<usize>k << 2), <f32>p);
      store<f32>(dl + (<usize>k << 2), <f32>(gs * w * (sa * p - a + T * (sb * q - b))));
    }
    store<f32>(lossOut + (<usize>n << 2), <f32>(w * loss));
  }
}
