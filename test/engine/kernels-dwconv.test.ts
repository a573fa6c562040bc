import { test } from 'node:test';
import { checkKernel, fdCheckBuf, refBuffers } from './kernel-harness.js';
import { refKernels as ref } from '../../src/engine/kernels/index.ref.js';

const shapes: [number, number, number, number][] = [
  [2, 3, 7, 5], [1, 2, 13, 11], [2, 4, 8, 8], [2, 3, 3, 3], [1, 2, 4, 4], [2, 2, 6, 6], [1, 1, 1, 1],
  [2, 3, 2, 9], [1, 2, 48, 48], [1, 1, 5, 17], [3, 5, 12, 12], [1, 3, 9, 13],
];

for (const [N, C, H, W] of shapes) {
  const len = N * C * H * W, tag = `N${N} C${C} ${H}x${W}`;
  test(`dw3x3_fwd ${tag}`, async () => {
    await checkKernel({ name: 'dw3x3_fwd', floats: { x: len, w: C * 9, y: len }, outputs: ['y'], units: N * C,
      args: (p) => [p.x, p.w, p.y, N, C, H, W] });
  });
  for (const acc of [0, 1]) {
    test(`dw3x3_bwd_data acc=${acc} ${tag}`, async () => {
      await checkKernel({ name: 'dw3x3_bwd_data', floats: { dy: len, w: C * 9, dx: len }, outputs: ['dx'], units: N * C,
        args: (p) => [p.dy, p.w, p.dx, N, C, H, W, acc] });
    });
  }
  test(`dw3x3_bwd_weight ${tag}`, async () => {
    await checkKernel({ name: 'dw3x3_bwd_weight', floats: { x: len, dy: len, dw: C * 9 }, outputs: ['dw'], units: C,
      args: (p) => [p.x, p.dy, p.dw, N, C, H, W] });
  });
}

for (const [N, C, H, W] of [[2, 3, 5, 4], [1, 2, 3, 7], [2, 1, 1, 2]] as const) {
  test(`dw3x3 reference gradients match finite differences: N${N} C${C} ${H}x${W}`, () => {
    const len = N * C * H * W;
    const { h, p } = refBuffers({ x: len, w: C * 9, y: len, r: len, dx: len, dw: C * 9 });
    const fwd = () => ref.dw3x3_fwd(h, p.x, p.w, p.y, N, C, H, W, 0, N * C);
    ref.dw3x3_bwd_data(h, p.r, p.w, p.dx, N, C, H, W, 0, 0, N * C);
    ref.dw3x3_bwd_weight(h, p.x, p.r, p.dw, N, C, H, W, 0, C);
    fdCheckBuf(h, fwd, p.y, len, p.r, p.x, len, p.dx, 'dx');
    fdCheckBuf(h, fwd, p.y, len, p.r, p.w, C * 9, p.dw, 'dw');
  });
}
