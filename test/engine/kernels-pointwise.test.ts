import { test } from 'node:test';
import { checkKernel, checkSplitInvariant, fdCheck, refSetup } from './kernel-harness.js';
import { refKernels as R } from '../../src/engine/kernels/index.ref.js';

// [N, C, K, P]: odd sizes exercise every tile tail (k/c not multiples of 4, P not a multiple of 4 or 8)
const SHAPES: [number, number, number, number][] = [
  [1, 5, 7, 13], [2, 13, 5, 37], [3, 7, 13, 7], [1, 8, 16, 36], [2, 16, 12, 144], [2, 32, 32, 37], [1, 64, 128, 36], [1, 1, 1, 1],
];

for (const [N, C, K, P] of SHAPES) {
  for (const bias of [false, true]) {
    test(`pw_fwd N=${N} C=${C} K=${K} P=${P} bias=${bias}`, async () => {
      await checkKernel({
        name: 'pw_fwd', floats: { x: N * C * P, w: K * C, b: K, y: N * K * P }, outputs: ['y'], units: N * K,
        args: (p) => [p.x, p.w, bias ? p.b : 0, p.y, N, C, K, P],
      });
    });
  }
  for (const acc of [0, 1]) {
    test(`pw_bwd_data N=${N} C=${C} K=${K} P=${P} acc=${acc}`, async () => {
      await checkKernel({
        name: 'pw_bwd_data', floats: { dy: N * K * P, w: K * C, dx: N * C * P }, outputs: ['dx'], units: N * C,
        args: (p) => [p.dy, p.w, p.dx, N, C, K, P, acc],
      });
    });
  }
  for (const db of [false, true]) {
    test(`pw_bwd_weight N=${N} C=${C} K=${K} P=${P} db=${db}`, async () => {
      await checkKernel({
        name: 'pw_bwd_weight', floats: { x: N * C * P, dy: N * K * P, dw: K * C, db: K },
        outputs: db ? ['dw', 'db'] : ['dw'], units: K,
        args: (p) => [p.x, p.dy, p.dw, db ? p.db : 0, N, C, K, P],
      });
    });
  }
}

test('pw_bwd_weight over a large batch (accuracy of long reductions)', async () => {
  const N = 64, C = 8, K = 16, P = 2304;
  await checkKernel({
    name: 'pw_bwd_weight', floats: { x: N * C * P, dy: N * K * P, dw: K * C, db: K }, outputs: ['dw', 'db'], units: K,
    args: (p) => [p.x, p.dy, p.dw, p.db, N, C, K, P],
  });
});

test('pointwise reference gradients match finite differences', () => {
  const N = 2, C = 5, K = 7, P = 13;
  const { h, ptr, view } = refSetup({ x: N * C * P, w: K * C, b: K, y: N * K * P, r: N * K * P, dx: N * C * P, dw: K * C, db: K });
  const loss = () => {
    R.pw_fwd(h, ptr.x, ptr.w, ptr.b, ptr.y, N, C, K, P, 0, N * K);
    const y = view('y'), r = view('r');
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * r[i];
    return s;
  };
  R.pw_bwd_data(h, ptr.r, ptr.w, ptr.dx, N, C, K, P, 0, 0, N * C);
  R.pw_bwd_weight(h, ptr.x, ptr.r, ptr.dw, ptr.db, N, C, K, P, 0, K);
  fdCheck('dx', loss, view('x'), view('dx').slice());
  fdCheck('dw', loss, view('w'), view('dw').slice());
  fdCheck('db', loss, view('b'), view('db').slice());
});

test('pointwise SIMD results are bit-identical for any split of the units', async () => {
  for (const [N, C, K, P] of [[2, 13, 11, 37], [3, 9, 6, 36]] as [number, number, number, number][]) {
    for (const step of [1, 2, 3, 5]) {
      await checkSplitInvariant({ name: 'pw_fwd', floats: { x: N * C * P, w: K * C, b: K, y: N * K * P }, outputs: ['y'], units: N * K, args: (p) => [p.x, p.w, p.b, p.y, N, C, K, P] }, step);
      await checkSplitInvariant({ name: 'pw_bwd_data', floats: { dy: N * K * P, w: K * C, dx: N * C * P }, outputs: ['dx'], units: N * C, args: (p) => [p.dy, p.w, p.dx, N, C, K, P, 1] }, step);
      await checkSplitInvariant({ name: 'pw_bwd_weight', floats: { x: N * C * P, dy: N * K * P, dw: K * C, db: K }, outputs: ['dw', 'db'], units: K, args: (p) => [p.x, p.dy, p.dw, p.db, N, C, K, P] }, step);
    }
  }
});
