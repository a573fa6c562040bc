import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKernel, fdCheck, refSetup } from './kernel-harness.js';
import { refKernels as R } from '../../src/engine/kernels/index.ref.js';

for (const [N, K] of [[64, 7], [1, 7], [13, 5], [5, 1]] as [number, number][]) {
  for (const weighted of [false, true]) {
    for (const smoothing of [0, 0.1]) {
      test(`softmax_ce N=${N} K=${K} weighted=${weighted} smoothing=${smoothing}`, async () => {
        await checkKernel({
          name: 'softmax_ce', floats: { z: N * K, cw: K, prob: N * K, dl: N * K, loss: N }, ints: { lab: [N, K] },
          init: { z: (i) => 4 * Math.sin(i * 1.7), cw: (i) => 0.5 + (i % 3) * 0.4 },
          outputs: ['prob', 'dl', 'loss'], units: N, tol: 1e-5,
          args: (p) => [p.z, p.lab, weighted ? p.cw : 0, p.prob, p.dl, p.loss, N, K, smoothing, 1 / N],
        });
      });
    }
  }
}

test('softmax_ce reference: dlogits matches finite differences of gradScale * sum(loss)', () => {
  const N = 6, K = 7, smoothing = 0.15;
  const { h, ptr, view } = refSetup({ z: N * K, cw: K, prob: N * K, dl: N * K, loss: N }, {
    ints: { lab: [N, K] }, init: { z: (i) => 3 * Math.cos(i * 2.3), cw: (i) => 0.4 + 0.3 * i },
  });
  let wsum = 0;
  for (let n = 0; n < N; n++) wsum += view('cw')[h.i[(ptr.lab >> 2) + n]];
  const gradScale = 1 / wsum;
  const loss = () => {
    R.softmax_ce(h, ptr.z, ptr.lab, ptr.cw, ptr.prob, ptr.dl, ptr.loss, N, K, smoothing, gradScale, 0, N);
    return gradScale * view('loss').reduce((a, b) => a + b, 0);
  };
  loss();
  const dl = view('dl').slice();
  // probabilities sum to one, per-sample loss is positive
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += view('prob')[n * K + k];
    assert.ok(Math.abs(s - 1) < 1e-12);
    assert.ok(view('loss')[n] > 0);
  }
  fdCheck('dlogits', loss, view('z'), dl);
});

// positive target values; SIMD and reference must agree whether or not rows sum to one (the derivative
// check below uses proper distributions)
const softTarget = (i: number) => 0.05 + 0.9 * ((i * 0.618) % 1);

for (const [N, K] of [[64, 7], [1, 7], [13, 5], [5, 1]] as [number, number][]) {
  for (const weighted of [false, true]) {
    test(`softmax_ce_soft N=${N} K=${K} weighted=${weighted}`, async () => {
      await checkKernel({
        name: 'softmax_ce_soft', floats: { z: N * K, t: N * K, cw: K, prob: N * K, dl: N * K, loss: N }, ints: { lab: [N, K] },
        init: { z: (i) => 4 * Math.sin(i * 1.7), t: softTarget, cw: (i) => 0.5 + (i % 3) * 0.4 },
        outputs: ['prob', 'dl', 'loss'], units: N, tol: 1e-5,
        args: (p) => [p.z, p.t, p.lab, weighted ? p.cw : 0, p.prob, p.dl, p.loss, N, K, 1 / N],
      });
    });
  }
}

test('softmax_ce_soft reference: dlogits matches finite differences, and a smoothed one-hot target gives softmax_ce\'s results', () => {
  const N = 6, K = 7, smoothing = 0.15;
  const { h, ptr, view } = refSetup({ z: N * K, t: N * K, cw: K, prob: N * K, dl: N * K, loss: N, prob2: N * K, dl2: N * K, loss2: N }, {
    ints: { lab: [N, K] }, init: { z: (i) => 3 * Math.cos(i * 2.3), cw: (i) => 0.4 + 0.3 * i },
  });
  const t = view('t');
  for (let n = 0; n < N; n++) { // a teacher-like distribution per row
    let s = 0;
    for (let k = 0; k < K; k++) { t[n * K + k] = Math.exp(Math.sin(n * 3 + k)); s += t[n * K + k]; }
    for (let k = 0; k < K; k++) t[n * K + k] /= s;
  }
  const gradScale = 0.2;
  const loss = () => {
    R.softmax_ce_soft(h, ptr.z, ptr.t, ptr.lab, ptr.cw, ptr.prob, ptr.dl, ptr.loss, N, K, gradScale, 0, N);
    return gradScale * view('loss').reduce((a, b) => a + b, 0);
  };
  loss();
  fdCheck('dlogits', loss, view('z'), view('dl').slice());

  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) t[n * K + k] = (k === h.i[(ptr.lab >> 2) + n] ? 1 - smoothing : 0) + smoothing / K;
  loss();
  R.softmax_ce(h, ptr.z, ptr.lab, ptr.cw, ptr.prob2, ptr.dl2, ptr.loss2, N, K, smoothing, gradScale, 0, N);
  for (const [a, b] of [['prob', 'prob2'], ['dl', 'dl2'], ['loss', 'loss2']]) {
    view(a).forEach((v, i) => assert.ok(Math.abs(v - view(b)[i]) < 1e-12, `${a}[${i}]: ${v} vs ${view(b)[i]}`));
  }
});

// distillation at a temperature: rows of 2K targets, a label part and a teacher part
for (const [N, K] of [[64, 7], [1, 7], [13, 5], [5, 1]] as [number, number][]) {
  for (const weighted of [false, true]) {
    for (const T of [1, 4]) {
      test(`softmax_ce_distill N=${N} K=${K} weighted=${weighted} T=${T}`, async () => {
        await checkKernel({
          name: 'softmax_ce_distill', floats: { z: N * K, t: 2 * N * K, cw: K, prob: N * K, dl: N * K, loss: N }, ints: { lab: [N, K] },
          init: { z: (i) => 4 * Math.sin(i * 1.7), t: softTarget, cw: (i) => 0.5 + (i % 3) * 0.4 },
          outputs: ['prob', 'dl', 'loss'], units: N, tol: 1e-5,
          args: (p) => [p.z, p.t, p.lab, weighted ? p.cw : 0, p.prob, p.dl, p.loss, N, K, 1 / T, 1 / N],
        });
      });
    }
  }
}

test('softmax_ce_distill reference: dlogits matches finite differences of CE(a, p) + T^2 CE(b, softmax(z / T)); at T = 1 it is softmax_ce_soft with target a + b', () => {
  const N = 6, K = 7, w = 0.7;
  const { h, ptr, view } = refSetup({ z: N * K, t: 2 * N * K, sum: N * K, cw: K, prob: N * K, dl: N * K, loss: N, prob2: N * K, dl2: N * K, loss2: N }, {
    ints: { lab: [N, K] }, init: { z: (i) => 3 * Math.cos(i * 2.3), cw: (i) => 0.4 + 0.3 * i },
  });
  const t = view('t'), sum = view('sum');
  for (let n = 0; n < N; n++) { // label part (1 - w) * one-hot, teacher part w * a distribution
    let s = 0;
    const e = Array.from({ length: K }, (_, k) => Math.exp(Math.sin(n * 3 + k)));
    for (const v of e) s += v;
    for (let k = 0; k < K; k++) {
      t[2 * n * K + k] = k === h.i[(ptr.lab >> 2) + n] ? 1 - w : 0;
      t[2 * n * K + K + k] = w * e[k] / s;
      sum[n * K + k] = t[2 * n * K + k] + t[2 * n * K + K + k];
    }
  }
  const gradScale = 0.2;
  for (const T of [1, 2.5]) {
    const loss = () => {
      R.softmax_ce_distill(h, ptr.z, ptr.t, ptr.lab, ptr.cw, ptr.prob, ptr.dl, ptr.loss, N, K, 1 / T, gradScale, 0, N);
      return gradScale * view('loss').reduce((a, b) => a + b, 0);
    };
    loss();
    fdCheck(`dlogits at T=${T}`, loss, view('z'), view('dl').slice());
    loss(); // fdCheck's last call saw a perturbed logit
    // prob is the plain softmax at any temperature: accuracy counts it
    R.softmax_ce_soft(h, ptr.z, ptr.sum, ptr.lab, ptr.cw, ptr.prob2, ptr.dl2, ptr.loss2, N, K, gradScale, 0, N);
    view('prob').forEach((v, i) => assert.ok(Math.abs(v - view('prob2')[i]) < 1e-12, `prob[${i}] at T=${T}`));
    const pairs = T === 1 ? [['dl', 'dl2'], ['loss', 'loss2']] : [];
    for (const [a, b] of pairs) view(a).forEach((v, i) => assert.ok(Math.abs(v - view(b)[i]) < 1e-6, `${a}[${i}]: ${v} vs ${view(b)[i]}`));
    if (T !== 1) assert.ok(view('dl').some((v, i) => Math.abs(v - view('dl2')[i]) > 1e-3), 'a temperature other than 1 must change the gradient');
  }
});
