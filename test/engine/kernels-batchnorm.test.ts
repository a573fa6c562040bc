import { test } from 'node:test';
import { checkKernel, checkSplitInvariant, fdCheck, refSetup } from './kernel-harness.js';
import { refKernels as R } from '../../src/engine/kernels/index.ref.js';

// [N, C, P]
const SHAPES: [number, number, number][] = [[1, 5, 13], [2, 7, 37], [3, 13, 7], [2, 8, 36], [1, 3, 1], [4, 16, 144]];
const pos = (i: number) => 0.5 + 0.25 * Math.abs(Math.sin(i * 3.1)); // positive invstd / running variance

for (const [N, C, P] of SHAPES) {
  const M = N * P;
  test(`bn_stats N=${N} C=${C} P=${P} (mean, invstd, running stats)`, async () => {
    await checkKernel({
      name: 'bn_stats', floats: { x: M * C, mean: C, invstd: C, rm: C, rv: C }, outputs: ['mean', 'invstd', 'rm', 'rv'], units: C,
      init: { x: (i) => 0.3 * Math.sin(i * 0.37) + Math.cos(i * 1.3) + (Math.floor(i / P) % C) * 0.25, rv: pos },
      args: (p) => [p.x, p.mean, p.invstd, p.rm, p.rv, N, C, P, 0.1, 1e-5], tol: 1e-5,
    });
  });
  for (const relu of [0, 1]) {
    test(`bn_act_fwd N=${N} C=${C} P=${P} relu=${relu}`, async () => {
      await checkKernel({
        name: 'bn_act_fwd', floats: { x: M * C, mean: C, invstd: C, g: C, b: C, y: M * C }, outputs: ['y'], units: N * C,
        init: { invstd: pos }, args: (p) => [p.x, p.mean, p.invstd, p.g, p.b, p.y, N, C, P, relu], tol: 1e-6,
      });
    });
    test(`affine_act_fwd N=${N} C=${C} P=${P} relu=${relu}`, async () => {
      await checkKernel({
        name: 'affine_act_fwd', floats: { x: M * C, sc: C, sh: C, y: M * C }, outputs: ['y'], units: N * C,
        args: (p) => [p.x, p.sc, p.sh, p.y, N, C, P, relu], tol: 1e-6,
      });
    });
    test(`bn_act_bwd_reduce N=${N} C=${C} P=${P} relu=${relu}`, async () => {
      await checkKernel({
        name: 'bn_act_bwd_reduce', floats: { x: M * C, dy: M * C, mean: C, invstd: C, g: C, b: C, dg: C, db: C },
        outputs: ['dg', 'db'], units: C, init: { invstd: pos },
        args: (p) => [p.x, p.dy, p.mean, p.invstd, p.g, p.b, p.dg, p.db, N, C, P, relu],
      });
    });
    for (const acc of [0, 1]) {
      test(`bn_act_bwd_data N=${N} C=${C} P=${P} relu=${relu} acc=${acc}`, async () => {
        await checkKernel({
          name: 'bn_act_bwd_data', floats: { x: M * C, dy: M * C, mean: C, invstd: C, g: C, b: C, dg: C, db: C, dx: M * C },
          outputs: ['dx'], units: N * C, init: { invstd: pos },
          args: (p) => [p.x, p.dy, p.mean, p.invstd, p.g, p.b, p.dg, p.db, p.dx, N, C, P, relu, acc],
        });
      });
    }
  }
}

test('bn_stats is accurate over a large batch with a large mean (M = 64*2304)', async () => {
  const N = 64, C = 3, P = 2304;
  await checkKernel({
    name: 'bn_stats', floats: { x: N * C * P, mean: C, invstd: C, rm: C, rv: C }, outputs: ['mean', 'invstd', 'rm', 'rv'], units: C,
    init: { x: (i) => 20 + 3 * (Math.floor(i / P) % C) + 0.5 * Math.sin(i * 0.7) + 0.1 * Math.cos(i * 0.013), rv: pos },
    args: (p) => [p.x, p.mean, p.invstd, p.rm, p.rv, N, C, P, 0.1, 1e-5], tol: 1e-5,
  });
});

test('bn backward (training mode) at the network shape C=16 P=2304 N=8 matches reference', async () => {
  const N = 8, C = 16, P = 2304, M = N * P;
  await checkKernel({
    name: 'bn_act_bwd_reduce', floats: { x: M * C, dy: M * C, mean: C, invstd: C, g: C, b: C, dg: C, db: C },
    outputs: ['dg', 'db'], units: C, init: { invstd: pos },
    args: (p) => [p.x, p.dy, p.mean, p.invstd, p.g, p.b, p.dg, p.db, N, C, P, 1],
  });
});

for (const relu of [0, 1]) {
  test(`batchnorm reference gradients (training mode, relu=${relu}) match finite differences`, () => {
    const N = 3, C = 4, P = 5, M = N * P;
    const { h, ptr, view } = refSetup({
      x: M * C, g: C, b: C, mean: C, invstd: C, rm: C, rv: C, y: M * C, r: M * C, dg: C, db: C, dx: M * C,
    }, { init: { g: (i) => 0.5 + 0.3 * i, b: (i) => 0.2 * (i - 1.5) } });
    const loss = () => {
      R.bn_stats(h, ptr.x, ptr.mean, ptr.invstd, ptr.rm, ptr.rv, N, C, P, 0.1, 1e-5, 0, C);
      R.bn_act_fwd(h, ptr.x, ptr.mean, ptr.invstd, ptr.g, ptr.b, ptr.y, N, C, P, relu, 0, N * C);
      const y = view('y'), r = view('r');
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i] * r[i];
      return s;
    };
    loss();
    R.bn_act_bwd_reduce(h, ptr.x, ptr.r, ptr.mean, ptr.invstd, ptr.g, ptr.b, ptr.dg, ptr.db, N, C, P, relu, 0, C);
    R.bn_act_bwd_data(h, ptr.x, ptr.r, ptr.mean, ptr.invstd, ptr.g, ptr.b, ptr.dg, ptr.db, ptr.dx, N, C, P, relu, 0, 0, N * C);
    const dx = view('dx').slice(), dg = view('dg').slice(), db = view('db').slice();
    fdCheck('dx', loss, view('x'), dx);
    fdCheck('dgamma', loss, view('g'), dg);
    fdCheck('dbeta', loss, view('b'), db);
  });
}

test('batchnorm SIMD results are bit-identical for any split of the units', async () => {
  const N = 3, C = 11, P = 37, M = N * P;
  for (const step of [1, 2, 3, 5]) {
    await checkSplitInvariant({ name: 'bn_stats', floats: { x: M * C, mean: C, invstd: C, rm: C, rv: C }, outputs: ['mean', 'invstd', 'rm', 'rv'], units: C, init: { rv: pos }, args: (p) => [p.x, p.mean, p.invstd, p.rm, p.rv, N, C, P, 0.1, 1e-5] }, step);
    for (const relu of [0, 1]) {
      await checkSplitInvariant({ name: 'bn_act_bwd_reduce', floats: { x: M * C, dy: M * C, mean: C, invstd: C, g: C, b: C, dg: C, db: C }, outputs: ['dg', 'db'], units: C, init: { invstd: pos }, args: (p) => [p.x, p.dy, p.mean, p.invstd, p.g, p.b, p.dg, p.db, N, C, P, relu] }, step);
    }
  }
});

test('bn_stats stays accurate when |mean| >> std and the first element is an outlier', async () => {
  const N = 16, C = 5, P = 576;
  await checkKernel({
    name: 'bn_stats', floats: { x: N * C * P, mean: C, invstd: C, rm: C, rv: C }, outputs: ['mean', 'invstd', 'rm', 'rv'], units: C,
    init: { x: (i) => (i % P === 0 ? 1040 : 1000) + 0.25 * Math.sin(i * 0.91) + 0.05 * Math.cos(i * 0.0173), rv: pos },
    args: (p) => [p.x, p.mean, p.invstd, p.rm, p.rv, N, C, P, 0.1, 1e-5], tol: 2e-6,
  });
});
