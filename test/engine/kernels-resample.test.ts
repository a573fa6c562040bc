import { test } from 'node:test';
import { checkKernel } from './kernel-harness.js';

for (const [N, C, H, W, st] of [[2, 3, 48, 48, 2], [1, 5, 13, 11, 2], [3, 2, 7, 9, 3], [2, 4, 6, 6, 2]]) {
  const OH = Math.floor((H - 1) / st) + 1, OW = Math.floor((W - 1) / st) + 1;
  test(`subsample_fwd ${N}x${C}x${H}x${W} stride ${st}`, async () => {
    await checkKernel({ name: 'subsample_fwd', floats: { x: N * C * H * W, y: N * C * OH * OW }, outputs: ['y'], units: N * C,
      args: (p) => [p.x, p.y, N, C, H, W, OH, OW, st], tol: 0 });
  });
  for (const acc of [0, 1]) {
    test(`subsample_bwd ${N}x${C}x${H}x${W} stride ${st} acc=${acc}`, async () => {
      await checkKernel({ name: 'subsample_bwd', floats: { dy: N * C * OH * OW, dx: N * C * H * W }, outputs: ['dx'], units: N * C,
        args: (p) => [p.dy, p.dx, N, C, H, W, OH, OW, st, acc], tol: 1e-7 });
    });
  }
}
