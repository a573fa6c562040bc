import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKernel, fdCheckBuf, refBuffers } from './kernel-harness.js';
import { refKernels as ref } from '../../src/engine/kernels/index.ref.js';
import { createRefHeap } from '../../src/engine/kernels/heap.js';
import { compileKernels, createSharedMemory, instantiateKernels } from '../../src/engine/kernels/wasm.js';

const pools: [number, number, number, number, number, number, number][] = [
  [2, 3, 48, 48, 3, 2, 1], [2, 3, 7, 5, 3, 2, 1], [1, 2, 13, 11, 3, 2, 1], [2, 2, 6, 6, 3, 2, 1], [2, 2, 3, 3, 3, 2, 1],
  [2, 2, 8, 8, 2, 2, 0], [1, 2, 9, 7, 3, 1, 1], [1, 2, 10, 9, 3, 3, 0], [2, 4, 12, 12, 3, 2, 1], [1, 3, 24, 24, 3, 2, 1],
];
const osz = (H: number, k: number, s: number, p: number) => Math.floor((H + 2 * p - k) / s) + 1;

for (const [N, C, H, W, k, s, pad] of pools) {
  const OH = osz(H, k, s, pad), OW = osz(W, k, s, pad), tag = `N${N} C${C} ${H}x${W} k${k} s${s} p${pad}`;
  const xl = N * C * H * W, yl = N * C * OH * OW;
  test(`maxpool_fwd ${tag}`, async () => {
    await checkKernel({ name: 'maxpool_fwd', floats: { x: xl, y: yl }, ints: { idx: [yl, 1] }, outputs: ['y', 'idx'], units: N * C,
      args: (p) => [p.x, p.y, p.idx, N, C, H, W, OH, OW, k, s, pad], tol: 0 });
  });
  test(`maxpool_fwd ties (first max wins) ${tag}`, async () => {
    await checkKernel({ name: 'maxpool_fwd', floats: { x: xl, y: yl }, ints: { idx: [yl, 1] }, outputs: ['y', 'idx'], units: N * C,
      init: { x: (i) => ((i * 7919) % 3) - 1 }, args: (p) => [p.x, p.y, p.idx, N, C, H, W, OH, OW, k, s, pad], tol: 0 });
  });
  for (const acc of [0, 1]) {
    test(`maxpool_bwd acc=${acc} ${tag}`, async () => {
      await checkKernel({ name: 'maxpool_bwd', floats: { dy: yl, dx: xl }, ints: { idx: [yl, H * W] }, outputs: ['dx'], units: N * C,
        args: (p) => [p.dy, p.idx, p.dx, N, C, H, W, OH, OW, acc], tol: 1e-6 });
    });
  }
}

test('maxpool ties and padding: hand-checked indices (reference and SIMD)', async () => {
  // 1x1x4x4 plane of equal values, k3 s2 p1 -> 2x2; first max in scan order (padding never wins)
  const h = createRefHeap(4096);
  const x = 64, y = 256, idx = 512;
  for (let i = 0; i < 16; i++) h.f[(x >> 2) + i] = 5;
  ref.maxpool_fwd(h, x, y, idx, 1, 1, 4, 4, 2, 2, 3, 2, 1, 0, 1);
  assert.deepEqual(Array.from(h.i.subarray(idx >> 2, (idx >> 2) + 4)), [0, 1, 4, 5]);
  assert.deepEqual(Array.from(h.f.subarray(y >> 2, (y >> 2) + 4)), [5, 5, 5, 5]);
  // all-negative input: padding (-inf) must not win
  for (let i = 0; i < 16; i++) h.f[(x >> 2) + i] = -3 - i;
  ref.maxpool_fwd(h, x, y, idx, 1, 1, 4, 4, 2, 2, 3, 2, 1, 0, 1);
  assert.deepEqual(Array.from(h.i.subarray(idx >> 2, (idx >> 2) + 4)), [0, 1, 4, 5]);
  // SIMD agrees on the same all-equal and tie-heavy planes
  await checkKernel({ name: 'maxpool_fwd', floats: { x: 16, y: 4 }, ints: { idx: [4, 1] }, outputs: ['y', 'idx'], units: 1,
    init: { x: () => 5 }, args: (p) => [p.x, p.y, p.idx, 1, 1, 4, 4, 2, 2, 3, 2, 1], tol: 0 });
  await checkKernel({ name: 'maxpool_fwd', floats: { x: 16, y: 4 }, ints: { idx: [4, 1] }, outputs: ['y', 'idx'], units: 1,
    init: { x: (i) => -3 - i }, args: (p) => [p.x, p.y, p.idx, 1, 1, 4, 4, 2, 2, 3, 2, 1], tol: 0 });
});

for (const [N, C, P] of [[2, 7, 9], [3, 5, 2304], [1, 3, 13], [2, 2, 1], [1, 4, 36]] as const) {
  test(`gap_fwd N${N} C${C} P${P}`, async () => {
    await checkKernel({ name: 'gap_fwd', floats: { x: N * C * P, y: N * C }, outputs: ['y'], units: N * C, args: (p) => [p.x, p.y, N, C, P] });
  });
  for (const acc of [0, 1]) {
    test(`gap_bwd acc=${acc} N${N} C${C} P${P}`, async () => {
      await checkKernel({ name: 'gap_bwd', floats: { dy: N * C, dx: N * C * P }, outputs: ['dx'], units: N * C,
        args: (p) => [p.dy, p.dx, N, C, P, acc], tol: 1e-6 });
    });
  }
}

test('maxpool and gap reference gradients match finite differences', () => {
  for (const [N, C, H, W, k, s, pad] of [[2, 2, 7, 5, 3, 2, 1], [1, 2, 6, 6, 2, 2, 0], [1, 1, 5, 4, 3, 1, 1]]) {
    const OH = osz(H, k, s, pad), OW = osz(W, k, s, pad), xl = N * C * H * W, yl = N * C * OH * OW;
    const { h, p } = refBuffers({ x: xl, y: yl, idx: yl, r: yl, dx: xl });
    const fwd = () => ref.maxpool_fwd(h, p.x, p.y, p.idx, N, C, H, W, OH, OW, k, s, pad, 0, N * C);
    fwd();
    ref.maxpool_bwd(h, p.r, p.idx, p.dx, N, C, H, W, OH, OW, 0, 0, N * C);
    fdCheckBuf(h, fwd, p.y, yl, p.r, p.x, xl, p.dx, `maxpool dx ${H}x${W}`);
  }
  const N = 2, C = 3, P = 10;
  const { h, p } = refBuffers({ x: N * C * P, y: N * C, r: N * C, dx: N * C * P });
  ref.gap_bwd(h, p.r, p.dx, N, C, P, 0, 0, N * C);
  fdCheckBuf(h, () => ref.gap_fwd(h, p.x, p.y, N, C, P, 0, N * C), p.y, N * C, p.r, p.x, N * C * P, p.dx, 'gap dx');
});

// k3 s2 p1 fast path: plane widths that hit every strip layout (W = 6 special, left strip only, overlapping
// last strip, odd W with a scalar right border, too narrow for strips), odd heights, batch 1, special values.
const fast: [number, number, number, number][] = [
  [1, 1, 1, 6], [1, 3, 5, 6], [2, 2, 7, 6], [1, 2, 6, 7], [1, 2, 5, 8], [1, 3, 9, 9], [2, 2, 10, 10], [1, 2, 11, 11],
  [1, 2, 12, 12], [1, 1, 13, 14], [1, 2, 8, 17], [1, 1, 3, 26], [2, 2, 25, 25], [1, 1, 2, 48], [1, 2, 47, 45], [3, 2, 4, 6],
];
const specials = [-0, 0, 1, -1, 0, -0, 2, -2];
for (const [N, C, H, W] of fast) {
  const OH = osz(H, 3, 2, 1), OW = osz(W, 3, 2, 1), xl = N * C * H * W, yl = N * C * OH * OW, tag = `N${N} C${C} ${H}x${W}`;
  const run = (init?: (i: number) => number) => checkKernel({ name: 'maxpool_fwd', floats: { x: xl, y: yl }, ints: { idx: [yl, 1] },
    outputs: ['y', 'idx'], units: N * C, init: init ? { x: init } : undefined,
    args: (p) => [p.x, p.y, p.idx, N, C, H, W, OH, OW, 3, 2, 1], tol: 0 });
  test(`maxpool_fwd k3s2p1 fast path ${tag}: random, ties, signed zeros, all equal`, async () => {
    await run();
    await run((i) => ((i * 7919) % 3) - 1);
    await run((i) => ((i * 2654435761) >>> 0) % 5 === 0 ? 2 : 1);
    await run((i) => specials[((i * 40503) >>> 0) % specials.length]);
    await run(() => 3);
  });
}

test('maxpool_fwd k3s2p1: bit-exact values and indices with signed zeros and infinities', async () => {
  const memory = createSharedMemory(64);
  const k = await instantiateKernels(await compileKernels(), memory) as unknown as Record<string, (...a: number[]) => void>;
  const vals = [-0, 0, -Infinity, Infinity, 2, 1, -1, 0, -Infinity, -0];
  for (const [H, W] of [[6, 6], [7, 6], [12, 12], [11, 13], [24, 24], [48, 48], [9, 10]]) {
    const OH = osz(H, 3, 2, 1), OW = osz(W, 3, 2, 1), C = 3;
    for (const gen of [(i: number) => vals[(i * 7) % vals.length], (i: number) => vals[((i * 2654435761) >>> 0) % 5], () => -Infinity, () => -0]) {
      const hr = createRefHeap(1 << 20), x = 1024, y = x + 4 * C * H * W, idx = y + 4 * C * OH * OW;
      const f = new Float32Array(memory.buffer), I = new Int32Array(memory.buffer);
      for (let i = 0; i < C * H * W; i++) { hr.f[(x >> 2) + i] = gen(i); f[(x >> 2) + i] = gen(i); }
      ref.maxpool_fwd(hr, x, y, idx, 1, C, H, W, OH, OW, 3, 2, 1, 0, C);
      k.maxpool_fwd(x, y, idx, 1, C, H, W, OH, OW, 3, 2, 1, 0, 1);
      k.maxpool_fwd(x, y, idx, 1, C, H, W, OH, OW, 3, 2, 1, 1, C);
      for (let q = 0; q < C * OH * OW; q++) {
        assert.ok(Object.is(hr.f[(y >> 2) + q], f[(y >> 2) + q]), `${H}x${W} y[${q}]: ref ${hr.f[(y >> 2) + q]} simd ${f[(y >> 2) + q]}`);
        assert.equal(I[(idx >> 2) + q], hr.i[(idx >> 2) + q], `${H}x${W} idx[${q}]`);
      }
    }
  }
});
