import { test } from 'node:test';
import { checkKernel, checkSplitInvariant, fdCheck, refSetup } from './kernel-harness.js';
import { refKernels as R } from '../../src/engine/kernels/index.ref.js';

// [N, I, O]
const SHAPES: [number, number, number][] = [[1, 5, 7], [3, 13, 5], [64, 256, 7], [7, 37, 13], [2, 64, 33], [1, 1, 1]];

for (const [N, I, O] of SHAPES) {
  for (const bias of [false, true]) {
    test(`dense_fwd N=${N} I=${I} O=${O} bias=${bias}`, async () => {
      await checkKernel({
        name: 'dense_fwd', floats: { x: N * I, w: O * I, b: O, y: N * O }, outputs: ['y'], units: N * O,
        args: (p) => [p.x, p.w, bias ? p.b : 0, p.y, N, I, O],
      });
    });
  }
  for (const acc of [0, 1]) {
    test(`dense_bwd_data N=${N} I=${I} O=${O} acc=${acc}`, async () => {
      await checkKernel({
        name: 'dense_bwd_data', floats: { dy: N * O, w: O * I, dx: N * I }, outputs: ['dx'], units: N * I,
        args: (p) => [p.dy, p.w, p.dx, N, I, O, acc],
      });
    });
  }
  for (const db of [false, true]) {
    test(`dense_bwd_weight N=${N} I=${I} O=${O} db=${db}`, async () => {
      await checkKernel({
        name: 'dense_bwd_weight', floats: { x: N * I, dy: N * O, dw: O * I, db: O }, outputs: db ? ['dw', 'db'] : ['dw'], units: O,
        args: (p) => [p.x, p.dy, p.dw, db ? p.db : 0, N, I, O],
      });
    });
  }
}

test('dense reference gradients match finite differences', () => {
  const N = 3, I = 11, O = 5;
  const { h, ptr, view } = refSetup({ x: N * I, w: O * I, b: O, y: N * O, r: N * O, dx: N * I, dw: O * I, db: O });
  const loss = () => {
    R.dense_fwd(h, ptr.x, ptr.w, ptr.b, ptr.y, N, I, O, 0, N * O);
    const y = view('y'), r = view('r');
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * r[i];
    return s;
  };
  R.dense_bwd_data(h, ptr.r, ptr.w, ptr.dx, N, I, O, 0, 0, N * I);
  R.dense_bwd_weight(h, ptr.x, ptr.r, ptr.dw, ptr.db, N, I, O, 0, O);
  fdCheck('dx', loss, view('x'), view('dx').slice());
  fdCheck('dw', loss, view('w'), view('dw').slice());
  fdCheck('db', loss, view('b'), view('db').slice());
});

test('dense SIMD results are bit-identical for any split of the units', async () => {
  const N = 5, I = 37, O = 6;
  for (const step of [1, 3, 7]) {
    await checkSplitInvariant({ name: 'dense_fwd', floats: { x: N * I, w: O * I, b: O, y: N * O }, outputs: ['y'], units: N * O, args: (p) => [p.x, p.w, p.b, p.y, N, I, O] }, step);
    await checkSplitInvariant({ name: 'dense_bwd_data', floats: { dy: N * O, w: O * I, dx: N * I }, outputs: ['dx'], units: N * I, args: (p) => [p.dy, p.w, p.dx, N, I, O, 1] }, step);
    await checkSplitInvariant({ name: 'dense_bwd_weight', floats: { x: N * I, dy: N * O, dw: O * I, db: O }, outputs: ['dw', 'db'], units: O, args: (p) => [p.x, p.dy, p.dw, p.db, N, I, O] }, step);
  }
});
