import { test } from 'node:test';
import { checkKernel, fdCheckBuf, refBuffers } from './kernel-harness.js';
import { refKernels as ref } from '../../src/engine/kernels/index.ref.js';

interface Shape { N: number; C: number; H: number; W: number; K: number; k: number; s: number; p: number; bias: boolean }
const out = (H: number, k: number, s: number, p: number) => Math.floor((H + 2 * p - k) / s) + 1;

const shapes: Shape[] = [
  { N: 2, C: 3, H: 7, W: 5, K: 5, k: 3, s: 1, p: 1, bias: true },
  { N: 1, C: 2, H: 13, W: 11, K: 6, k: 3, s: 1, p: 1, bias: false },
  { N: 2, C: 3, H: 13, W: 11, K: 4, k: 3, s: 2, p: 1, bias: true },
  { N: 2, C: 5, H: 12, W: 12, K: 7, k: 1, s: 2, p: 0, bias: false },
  { N: 2, C: 3, H: 7, W: 5, K: 5, k: 1, s: 2, p: 0, bias: true },
  { N: 3, C: 4, H: 7, W: 9, K: 3, k: 1, s: 1, p: 0, bias: false },
  { N: 2, C: 3, H: 9, W: 10, K: 5, k: 3, s: 1, p: 0, bias: true },
  { N: 2, C: 6, H: 3, W: 3, K: 7, k: 3, s: 1, p: 1, bias: true },
  { N: 2, C: 3, H: 17, W: 19, K: 9, k: 3, s: 2, p: 0, bias: false },
  { N: 1, C: 1, H: 48, W: 48, K: 8, k: 3, s: 1, p: 1, bias: false },
  { N: 2, C: 8, H: 24, W: 20, K: 8, k: 3, s: 1, p: 1, bias: false },
  { N: 1, C: 2, H: 11, W: 9, K: 3, k: 5, s: 1, p: 2, bias: true },
  { N: 1, C: 2, H: 10, W: 11, K: 3, k: 3, s: 3, p: 1, bias: false },
  { N: 2, C: 16, H: 6, W: 6, K: 9, k: 1, s: 2, p: 0, bias: false },
];

function dims(sh: Shape) {
  const OH = out(sh.H, sh.k, sh.s, sh.p), OW = out(sh.W, sh.k, sh.s, sh.p);
  return {
    OH, OW,
    floats: { x: sh.N * sh.C * sh.H * sh.W, w: sh.K * sh.C * sh.k * sh.k, b: sh.K, y: sh.N * sh.K * OH * OW },
    geo: (p: Record<string, number>) => [sh.N, sh.C, sh.H, sh.W, sh.K, sh.k, sh.k, sh.s, sh.p, OH, OW],
  };
}
const tag = (sh: Shape) => `N${sh.N} C${sh.C} ${sh.H}x${sh.W} K${sh.K} k${sh.k} s${sh.s} p${sh.p}${sh.bias ? ' bias' : ''}`;

for (const sh of shapes) {
  const d = dims(sh);
  test(`conv2d_fwd ${tag(sh)}`, async () => {
    await checkKernel({ name: 'conv2d_fwd', floats: d.floats, outputs: ['y'], units: sh.N * sh.K,
      args: (p) => [p.x, p.w, sh.bias ? p.b : 0, p.y, ...d.geo(p)] });
  });
  for (const acc of [0, 1]) {
    test(`conv2d_bwd_data acc=${acc} ${tag(sh)}`, async () => {
      await checkKernel({ name: 'conv2d_bwd_data', floats: { dy: d.floats.y, w: d.floats.w, dx: d.floats.x }, outputs: ['dx'],
        units: sh.N * sh.C, args: (p) => [p.dy, p.w, p.dx, ...d.geo(p), acc] });
    });
  }
  test(`conv2d_bwd_weight ${tag(sh)}`, async () => {
    await checkKernel({ name: 'conv2d_bwd_weight', floats: { x: d.floats.x, dy: d.floats.y, dw: d.floats.w, db: sh.K },
      outputs: sh.bias ? ['dw', 'db'] : ['dw'], units: sh.K * sh.C, args: (p) => [p.x, p.dy, p.dw, sh.bias ? p.db : 0, ...d.geo(p)] });
  });
}

const fdShapes: Shape[] = [
  { N: 2, C: 3, H: 5, W: 4, K: 2, k: 3, s: 1, p: 1, bias: true },
  { N: 2, C: 2, H: 7, W: 5, K: 3, k: 3, s: 2, p: 1, bias: true },
  { N: 2, C: 3, H: 6, W: 5, K: 2, k: 1, s: 2, p: 0, bias: false },
  { N: 1, C: 2, H: 6, W: 7, K: 2, k: 3, s: 1, p: 0, bias: true },
  { N: 1, C: 2, H: 8, W: 7, K: 2, k: 3, s: 3, p: 1, bias: false },
];
for (const sh of fdShapes) {
  test(`conv2d reference gradients match finite differences: ${tag(sh)}`, () => {
    const d = dims(sh);
    const { h, p } = refBuffers({ x: d.floats.x, w: d.floats.w, b: sh.K, y: d.floats.y, r: d.floats.y, dx: d.floats.x, dw: d.floats.w, db: sh.K });
    const g = d.geo(p) as [number, number, number, number, number, number, number, number, number, number, number];
    const fwd = () => ref.conv2d_fwd(h, p.x, p.w, sh.bias ? p.b : 0, p.y, ...g, 0, sh.N * sh.K);
    ref.conv2d_bwd_data(h, p.r, p.w, p.dx, ...g, 0, 0, sh.N * sh.C);
    ref.conv2d_bwd_weight(h, p.x, p.r, p.dw, sh.bias ? p.db : 0, ...g, 0, sh.K * sh.C);
    fdCheckBuf(h, fwd, p.y, d.floats.y, p.r, p.x, d.floats.x, p.dx, 'dx');
    fdCheckBuf(h, fwd, p.y, d.floats.y, p.r, p.w, d.floats.w, p.dw, 'dw');
    if (sh.bias) fdCheckBuf(h, fwd, p.y, d.floats.y, p.r, p.b, sh.K, p.db, 'db');
  });
}
