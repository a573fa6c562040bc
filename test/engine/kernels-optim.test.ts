import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena } from '../../src/engine/memory.js';
import { checkKernel, randomFill, refSetup, wasmKernels } from './kernel-harness.js';
import { refKernels as R } from '../../src/engine/kernels/index.ref.js';

const LEN = 1027;
const GRADS = [0.5, -0.25, 0.125]; // element 0: p0 = 1, these gradients on steps 1..3 (exact in float32)

// Trajectories of element 0 computed by hand with PyTorch's update rules (torch.optim.SGD / Adam / AdamW).
interface SgdCase { name: string; lr: number; momentum: number; dampening: number; wd: number; nesterov: number; expect: number[] }
const SGD: SgdCase[] = [
  // d = g + wd p; buf = d on step 1, then buf = m buf + (1-damp) d; p -= lr buf
  { name: 'momentum+dampening+wd', lr: 0.1, momentum: 0.9, dampening: 0.1, wd: 0.01, nesterov: 0, expect: [0.949, 0.9247459, 0.89083493869] },
  // nesterov: p -= lr (d + m buf)
  { name: 'nesterov+wd', lr: 0.1, momentum: 0.9, dampening: 0, wd: 0.01, nesterov: 1, expect: [0.9031, 0.90757411, 0.864439208191] },
  { name: 'plain+wd', lr: 0.1, momentum: 0, dampening: 0, wd: 0.01, nesterov: 0, expect: [0.949, 0.973051, 0.959577949] },
];
interface AdamCase { name: string; decoupled: number; expect: number[] }
const ADAM: AdamCase[] = [
  { name: 'Adam (L2 wd)', decoupled: 0, expect: [0.9900000001666667, 0.9853191993058599, 0.9797440953138302] },
  { name: 'AdamW', decoupled: 1, expect: [0.9890000002, 0.9853476298705847, 0.9809579908615949] },
];
const AD = { lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.1 };

/** Runs 3 steps on the float64 reference heap and on the WASM heap (uneven 3-way split); returns p[0] per step. */
async function run(bufs: string[], call: (t: number, h: { f: Float32Array | Float64Array; i: Int32Array } | null, ptr: Record<string, number>, s: number, e: number) => void) {
  const { memory } = await wasmKernels();
  const arena = new Arena();
  const ptr: Record<string, number> = {};
  for (const b of bufs) ptr[b] = arena.allocF32(LEN);
  if (arena.end > memory.buffer.byteLength) memory.grow(Math.ceil((arena.end - memory.buffer.byteLength) / 65536));
  const ref = refSetup(Object.fromEntries(bufs.map((b) => [b, LEN])));
  const wf = new Float32Array(memory.buffer);
  for (const b of bufs) {
    assert.equal(ref.ptr[b], ptr[b]);
    const v = ref.view(b);
    if (b === 'm' || b === 'v') v.fill(0);
    if (b === 'p') v[0] = 1;
    for (let i = 0; i < LEN; i++) v[i] = Math.fround(v[i]);
    wf.set(v, ptr[b] >> 2);
  }
  const p0: number[] = [];
  let maxDiff = 0;
  for (let t = 1; t <= 3; t++) {
    const g = new Float64Array(LEN);
    randomFill(g, 77 + t);
    g[0] = GRADS[t - 1];
    for (let i = 0; i < LEN; i++) g[i] = Math.fround(g[i]);
    ref.view('g').set(g);
    wf.set(g, ptr.g >> 2);
    call(t, ref.h, ptr, 0, LEN);
    for (const [s, e] of [[0, 300], [300, 701], [701, LEN]]) call(t, null, ptr, s, e);
    p0.push(ref.view('p')[0]);
    for (let i = 0; i < LEN; i++) maxDiff = Math.max(maxDiff, Math.abs(ref.view('p')[i] - wf[(ptr.p >> 2) + i]));
  }
  return { p0, maxDiff };
}

for (const c of SGD) {
  test(`sgd_step ${c.name}: PyTorch trajectory, SIMD matches reference`, async () => {
    const { kernels } = await wasmKernels();
    const { p0, maxDiff } = await run(['p', 'g', 'v'], (t, h, ptr, s, e) => {
      const damp = t === 1 ? 0 : c.dampening; // PyTorch's first step: buf = d
      const args = [ptr.p, ptr.g, ptr.v, LEN, c.lr, c.momentum, damp, c.wd, c.nesterov, s, e] as const;
      if (h) R.sgd_step(h, ...args); else kernels.sgd_step(...args);
    });
    for (let t = 0; t < 3; t++) assert.ok(Math.abs(p0[t] - c.expect[t]) < 1e-12, `step ${t + 1}: ${p0[t]} vs ${c.expect[t]}`);
    assert.ok(maxDiff < 1e-5, `simd vs ref ${maxDiff}`);
  });
}

for (const c of ADAM) {
  test(`adam_step ${c.name}: PyTorch trajectory, SIMD matches reference`, async () => {
    const { kernels } = await wasmKernels();
    const { p0, maxDiff } = await run(['p', 'g', 'm', 'v'], (t, h, ptr, s, e) => {
      const bc1 = 1 - AD.b1 ** t, bc2 = 1 - AD.b2 ** t;
      const args = [ptr.p, ptr.g, ptr.m, ptr.v, LEN, AD.lr, AD.b1, AD.b2, AD.eps, AD.wd, c.decoupled, bc1, bc2, s, e] as const;
      if (h) R.adam_step(h, ...args); else kernels.adam_step(...args);
    });
    for (let t = 0; t < 3; t++) assert.ok(Math.abs(p0[t] - c.expect[t]) < 1e-12, `step ${t + 1}: ${p0[t]} vs ${c.expect[t]}`);
    assert.ok(maxDiff < 1e-5, `simd vs ref ${maxDiff}`);
  });
}

for (const nesterov of [0, 1]) {
  test(`sgd_step single step nesterov=${nesterov} matches reference (checkKernel)`, async () => {
    await checkKernel({
      name: 'sgd_step', floats: { p: LEN, g: LEN, v: LEN }, outputs: ['p', 'v'], units: LEN, tol: 1e-6,
      args: (p) => [p.p, p.g, p.v, LEN, 0.05, 0.9, nesterov ? 0 : 0.1, 5e-4, nesterov],
    });
  });
}
for (const decoupled of [0, 1]) {
  test(`adam_step single step decoupled=${decoupled} matches reference (checkKernel)`, async () => {
    await checkKernel({
      name: 'adam_step', floats: { p: LEN, g: LEN, m: LEN, v: LEN }, outputs: ['p', 'm', 'v'], units: LEN, tol: 1e-5,
      init: { v: (i) => 0.01 + (i % 7) * 0.001 },
      args: (p) => [p.p, p.g, p.m, p.v, LEN, 1e-3, 0.9, 0.999, 1e-8, 0.01, decoupled, 1 - 0.9 ** 5, 1 - 0.999 ** 5],
    });
  });
}
