/**
 * Single-threaded micro-benchmark of the channel-mixing kernel families (pointwise, dense, batchnorm,
 * loss, optim) at the reference network's shapes (batch 64, float32): SIMD kernel vs scalar reference.
 *
 *   node dist/bench/kernels-channel.js [--quick] [--only pw|bn|dense|loss|optim] [--no-ref]
 *
 * Prints GFLOP/s for the GEMM-like kernels, GB/s for the memory-bound ones, and time per call.
 */
import { parseArgs } from 'node:util';
import { Arena } from '../src/engine/memory.js';
import type { Heap } from '../src/engine/kernels/heap.js';
import { refKernels } from '../src/engine/kernels/index.ref.js';
import { compileKernels, createSharedMemory, instantiateKernels } from '../src/engine/kernels/wasm.js';

const { values: opt } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'no-ref': { type: 'boolean', default: false } } });
const N = 64;
const memory = createSharedMemory(16384);
const K = await instantiateKernels(await compileKernels(), memory);
const heap: Heap = { f: new Float32Array(memory.buffer), i: new Int32Array(memory.buffer) };
const R = refKernels as unknown as Record<string, (h: Heap, ...a: number[]) => void>;
const W = K as unknown as Record<string, (...a: number[]) => void>;

function buffers(sizes: Record<string, number>): Record<string, number> {
  const arena = new Arena();
  const p: Record<string, number> = {};
  for (const [k, n] of Object.entries(sizes)) p[k] = arena.allocF32(n);
  if (arena.end > memory.buffer.byteLength) memory.grow(Math.ceil((arena.end - memory.buffer.byteLength) / 65536));
  heap.f = new Float32Array(memory.buffer); heap.i = new Int32Array(memory.buffer);
  let s = 12345;
  for (const [k, n] of Object.entries(sizes)) {
    const o = p[k] >> 2;
    for (let i = 0; i < n; i++) { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; heap.f[o + i] = ((s >>> 0) / 4294967296) * 2 - 1; }
  }
  return p;
}

/**
 * Seconds per call: the minimum over single calls repeated for about `minT` seconds (other processes share
 * the two cores; the minimum filters out preemption and is the stable number to compare kernels with).
 */
function time(fn: () => void, minT = opt.quick ? 0.1 : 0.4): number {
  fn();
  let best = Infinity, n = 0;
  const t0 = performance.now();
  while (n < 3 || performance.now() - t0 < minT * 1000) {
    const t = performance.now(); fn(); best = Math.min(best, performance.now() - t); n++;
  }
  return best / 1000;
}

interface Row { kernel: string; shape: string; work: number; unit: 'GFLOP/s' | 'GB/s'; simd: number; ref: number }
const rows: Row[] = [];
/** work = FLOPs or bytes of one full call; units are split as [0, units) in one thread. */
function bench(kernel: string, shape: string, work: number, unit: Row['unit'], args: number[], units: number) {
  const simd = time(() => W[kernel](...args, 0, units));
  let ref = NaN;
  if (!opt['no-ref']) {
    // the scalar reference is slow: time a slice of the units and scale up
    const sub = Math.max(1, Math.ceil(units / 16));
    ref = time(() => R[kernel](heap, ...args, 0, sub), 0.05) * (units / sub);
  }
  const r: Row = { kernel, shape, work, unit, simd, ref };
  rows.push(r);
  const rate = (t: number) => (work / t / 1e9).toFixed(2).padStart(7);
  console.log(`${kernel.padEnd(18)} ${shape.padEnd(22)} ${rate(simd)} ${unit.padEnd(7)} ${(simd * 1e3).toFixed(3).padStart(9)} ms   ref ${rate(ref)} ${unit} ${(ref * 1e3).toFixed(2).padStart(9)} ms   x${(ref / simd).toFixed(1)}`);
}

const only = (f: string) => !opt.only || opt.only === f;

if (only('pw')) {
  const PW: [number, number, number][] = [
    [8, 16, 2304], [16, 16, 2304], [16, 32, 576], [32, 32, 576], [32, 64, 144], [64, 64, 144], [64, 128, 36], [128, 128, 36],
    [8, 32, 2304], [32, 32, 2304], [32, 64, 576], [64, 64, 576], [64, 128, 144], [128, 128, 144], [128, 256, 36], [256, 256, 36],
  ];
  let total = 0, totalRef = 0, flops = 0;
  for (const [C, Ko, P] of PW) {
    const p = buffers({ x: N * C * P, w: Ko * C, b: Ko, y: N * Ko * P, dx: N * C * P, dw: Ko * C, db: Ko });
    const f = 2 * N * C * Ko * P, sh = `C=${C} K=${Ko} P=${P}`;
    bench('pw_fwd', sh, f, 'GFLOP/s', [p.x, p.w, p.b, p.y, N, C, Ko, P], N * Ko);
    bench('pw_bwd_data', sh, f, 'GFLOP/s', [p.y, p.w, p.dx, N, C, Ko, P, 0], N * C);
    bench('pw_bwd_weight', sh, f, 'GFLOP/s', [p.x, p.y, p.dw, p.db, N, C, Ko, P], Ko);
    for (const r of rows.slice(-3)) { total += r.simd; totalRef += r.ref; flops += r.work; }
  }
  console.log(`pointwise total: ${(total * 1e3).toFixed(1)} ms (${(flops / total / 1e9).toFixed(2)} GFLOP/s avg), reference ${(totalRef * 1e3).toFixed(0)} ms\n`);
}

if (only('bn')) {
  const BN: [number, number][] = [[8, 2304], [16, 2304], [32, 576], [64, 144], [128, 36], [32, 2304], [64, 576], [128, 144], [256, 36]];
  for (const [C, P] of BN) {
    const M = N * P, T = M * C, b4 = 4 * T;
    const p = buffers({ x: T, dy: T, y: T, dx: T, mean: C, invstd: C, rm: C, rv: C, g: C, b: C, dg: C, db: C });
    for (let c = 0; c < C; c++) { heap.f[(p.invstd >> 2) + c] = 1; heap.f[(p.rv >> 2) + c] = 1; }
    const sh = `C=${C} P=${P}`;
    bench('bn_stats', sh, b4, 'GB/s', [p.x, p.mean, p.invstd, p.rm, p.rv, N, C, P, 0.1, 1e-5], C);
    for (let c = 0; c < C; c++) { heap.f[(p.invstd >> 2) + c] = 1; heap.f[(p.mean >> 2) + c] = 0; }
    bench('bn_act_fwd', sh + ' relu', 2 * b4, 'GB/s', [p.x, p.mean, p.invstd, p.g, p.b, p.y, N, C, P, 1], N * C);
    bench('bn_act_bwd_reduce', sh + ' relu', 2 * b4, 'GB/s', [p.x, p.dy, p.mean, p.invstd, p.g, p.b, p.dg, p.db, N, C, P, 1], C);
    bench('bn_act_bwd_data', sh + ' relu', 3 * b4, 'GB/s', [p.x, p.dy, p.mean, p.invstd, p.g, p.b, p.dg, p.db, p.dx, N, C, P, 1, 0], N * C);
    bench('affine_act_fwd', sh + ' relu', 2 * b4, 'GB/s', [p.x, p.g, p.b, p.y, N, C, P, 1], N * C);
  }
  console.log('');
}

if (only('dense')) {
  for (const [I, O] of [[256, 7], [128, 7], [512, 7]]) {
    const p = buffers({ x: N * I, w: O * I, b: O, y: N * O, dx: N * I, dw: O * I, db: O });
    const f = 2 * N * I * O, sh = `N=${N} I=${I} O=${O}`;
    bench('dense_fwd', sh, f, 'GFLOP/s', [p.x, p.w, p.b, p.y, N, I, O], N * O);
    bench('dense_bwd_data', sh, f, 'GFLOP/s', [p.y, p.w, p.dx, N, I, O, 0], N * I);
    bench('dense_bwd_weight', sh, f, 'GFLOP/s', [p.x, p.y, p.dw, p.db, N, I, O], O);
  }
  console.log('');
}

if (only('loss')) {
  const Kc = 7;
  const p = buffers({ z: N * Kc, lab: N, cw: Kc, prob: N * Kc, dl: N * Kc, loss: N });
  for (let n = 0; n < N; n++) heap.i[(p.lab >> 2) + n] = n % Kc;
  bench('softmax_ce', `N=${N} K=${Kc}`, 4 * N * Kc * 3, 'GB/s', [p.z, p.lab, p.cw, p.prob, p.dl, p.loss, N, Kc, 0.1, 1 / N], N);
  console.log('');
}

if (only('optim')) {
  const L = 300_000;
  const p = buffers({ p: L, g: L, m: L, v: L });
  bench('sgd_step', `len=${L} nesterov`, 4 * L * 5, 'GB/s', [p.p, p.g, p.m, L, 0.01, 0.9, 0, 5e-4, 1], L);
  for (let i = 0; i < L; i++) heap.f[(p.v >> 2) + i] = Math.abs(heap.f[(p.v >> 2) + i]);
  bench('adam_step', `len=${L} AdamW`, 4 * L * 7, 'GB/s', [p.p, p.g, p.m, p.v, L, 1e-3, 0.9, 0.999, 1e-8, 0.01, 1, 0.5, 0.01], L);
}
