// Micro-benchmark of the spatial SIMD kernels (conv2d, dw3x3, pool) on the reference network's shapes,
// single-threaded, batch 64. Prints GFLOP/s and time per call, and the speedup over the scalar reference
// (the reference runs on a slice of the units and is scaled up).
// Run: node dist/bench/kernels-spatial.js [filter]
import { Arena } from '../src/engine/memory.js';
import { refKernels } from '../src/engine/kernels/index.ref.js';
import { compileKernels, createSharedMemory, instantiateKernels } from '../src/engine/kernels/wasm.js';
import type { Heap } from '../src/engine/kernels/heap.js';

const N = Number(process.env.BENCH_N ?? 64); // BENCH_N=4: cache-resident shapes
const filter = process.argv[2] ?? '';

interface Case { name: string; kernel: string; floats: Record<string, number>; ints?: Record<string, number>; args: (p: Record<string, number>) => number[]; units: number; flops: number }
const cases: Case[] = [];
const osz = (H: number, k: number, s: number, p: number) => Math.floor((H + 2 * p - k) / s) + 1;

function conv(C: number, H: number, K: number, k: number, s: number, p: number, bias: boolean) {
  const OH = osz(H, k, s, p), x = N * C * H * H, y = N * K * OH * OH, w = K * C * k * k;
  const geo = [N, C, H, H, K, k, k, s, p, OH, OH];
  const flops = 2 * N * K * C * OH * OH * k * k;
  const tag = `${C}->${K} ${H}x${H} k${k}s${s}p${p}${bias ? ' b' : ''}`;
  cases.push({ name: `conv2d_fwd ${tag}`, kernel: 'conv2d_fwd', floats: { x, w, b: K, y }, args: (q) => [q.x, q.w, bias ? q.b : 0, q.y, ...geo], units: N * K, flops });
  cases.push({ name: `conv2d_bwd_data ${tag}`, kernel: 'conv2d_bwd_data', floats: { dy: y, w, dx: x }, args: (q) => [q.dy, q.w, q.dx, ...geo, 0], units: N * C, flops });
  cases.push({ name: `conv2d_bwd_weight ${tag}`, kernel: 'conv2d_bwd_weight', floats: { x, dy: y, dw: w, db: K }, args: (q) => [q.x, q.dy, q.dw, bias ? q.db : 0, ...geo], units: K * C, flops });
}
function dw(C: number, H: number) {
  const len = N * C * H * H, flops = 2 * 9 * len, tag = `C${C} ${H}x${H}`;
  cases.push({ name: `dw3x3_fwd ${tag}`, kernel: 'dw3x3_fwd', floats: { x: len, w: C * 9, y: len }, args: (q) => [q.x, q.w, q.y, N, C, H, H], units: N * C, flops });
  cases.push({ name: `dw3x3_bwd_data ${tag}`, kernel: 'dw3x3_bwd_data', floats: { dy: len, w: C * 9, dx: len }, args: (q) => [q.dy, q.w, q.dx, N, C, H, H, 0], units: N * C, flops });
  cases.push({ name: `dw3x3_bwd_weight ${tag}`, kernel: 'dw3x3_bwd_weight', floats: { x: len, dy: len, dw: C * 9 }, args: (q) => [q.x, q.dy, q.dw, N, C, H, H], units: C, flops });
}
function pool(C: number, H: number) {
  const OH = osz(H, 3, 2, 1), xl = N * C * H * H, yl = N * C * OH * OH, tag = `C${C} ${H}x${H}->${OH}`;
  cases.push({ name: `maxpool_fwd ${tag}`, kernel: 'maxpool_fwd', floats: { x: xl, y: yl }, ints: { idx: yl }, args: (q) => [q.x, q.y, q.idx, N, C, H, H, OH, OH, 3, 2, 1], units: N * C, flops: yl * 9 });
  cases.push({ name: `maxpool_bwd ${tag}`, kernel: 'maxpool_bwd', floats: { dy: yl, dx: xl }, ints: { idx: yl }, args: (q) => [q.dy, q.idx, q.dx, N, C, H, H, OH, OH, 0], units: N * C, flops: yl });
}

conv(1, 48, 8, 3, 1, 1, false);
conv(8, 48, 8, 3, 1, 1, false);
conv(128, 3, 7, 3, 1, 1, true);
conv(256, 3, 7, 3, 1, 1, true);
for (const [C, K, H] of [[8, 16, 48], [16, 32, 24], [32, 64, 12], [64, 128, 6], [8, 32, 48], [32, 64, 24], [64, 128, 12], [128, 256, 6]]) conv(C, H, K, 1, 2, 0, false);
for (const [C, H] of [[8, 48], [16, 48], [16, 24], [32, 24], [32, 12], [64, 12], [64, 6], [128, 6]]) dw(C, H);
for (const [C, H] of [[16, 48], [32, 24], [64, 12], [128, 6]]) pool(C, H);
cases.push({ name: 'gap_fwd C7 3x3', kernel: 'gap_fwd', floats: { x: N * 7 * 9, y: N * 7 }, args: (q) => [q.x, q.y, N, 7, 9], units: N * 7, flops: N * 63 });
cases.push({ name: 'gap_bwd C7 3x3', kernel: 'gap_bwd', floats: { dy: N * 7, dx: N * 63 }, args: (q) => [q.dy, q.dx, N, 7, 9, 0], units: N * 7, flops: N * 63 });

const memory = createSharedMemory(4096);
const kernels = await instantiateKernels(await compileKernels(), memory) as unknown as Record<string, (...a: number[]) => void>;
const refs = refKernels as unknown as Record<string, (h: Heap, ...a: number[]) => void>;

function time(fn: () => void, minMs: number): number {
  fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) fn();
    const dt = performance.now() - t0;
    if (dt >= minMs) return dt / reps;
    reps = Math.max(reps * 2, Math.ceil(reps * minMs / Math.max(dt, 0.01)));
  }
}

console.log(`${`kernel / shape (N=${N})`.padEnd(44)} ${'ms/call'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'ref GF/s'.padStart(9)} ${'speedup'.padStart(8)}`);
let total = 0;
for (const c of cases) {
  if (filter && !c.name.includes(filter)) continue;
  const arena = new Arena();
  const p: Record<string, number> = {};
  for (const [k, n] of Object.entries(c.floats)) p[k] = arena.allocF32(n);
  for (const [k, n] of Object.entries(c.ints ?? {})) p[k] = arena.alloc(n * 4);
  if (arena.end > memory.buffer.byteLength) memory.grow(Math.ceil((arena.end - memory.buffer.byteLength) / 65536));
  const h: Heap = { f: new Float32Array(memory.buffer), i: new Int32Array(memory.buffer) };
  for (const [k, n] of Object.entries(c.floats)) { const o = p[k] >> 2; for (let i = 0; i < n; i++) h.f[o + i] = Math.random() * 2 - 1; }
  const fn = kernels[c.kernel], args = c.args(p);
  if (c.kernel === 'maxpool_bwd') kernels.maxpool_fwd(p.dx, p.dy, p.idx, ...args.slice(3, 10), 3, 2, 1, 0, c.units); // valid indices
  const ms = time(() => fn(...args, 0, c.units), 150);
  // reference: a slice of the units, scaled (weight-gradient units sum over the whole batch already)
  const ru = Math.max(1, Math.min(c.units, Math.ceil(c.units / 32)));
  const rms = time(() => refs[c.kernel](h, ...args, 0, ru), 50) * (c.units / ru);
  const gf = c.flops / ms / 1e6;
  total += ms;
  console.log(`${c.name.padEnd(44)} ${ms.toFixed(3).padStart(9)} ${gf.toFixed(2).padStart(8)} ${(c.flops / rms / 1e6).toFixed(2).padStart(9)} ${(rms / ms).toFixed(1).padStart(7)}x`);
}
console.log(`total ${total.toFixed(2)} ms (one call each)`);
