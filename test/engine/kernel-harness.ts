// Runs a SIMD kernel and its scalar reference on the same random inputs and compares the outputs.
// The reference runs in float64 over [0, units); the SIMD kernel runs over a deliberately uneven split of
// the unit range, so a kernel whose result depends on the thread split fails here.
import assert from 'node:assert/strict';
import { Arena } from '../../src/engine/memory.js';
import { createRefHeap, type Heap } from '../../src/engine/kernels/heap.js';
import { refKernels } from '../../src/engine/kernels/index.ref.js';
import { compileKernels, createSharedMemory, fmaSupported, instantiateKernels, type Kernels } from '../../src/engine/kernels/wasm.js';
import '../../src/engine/node/index.js'; // enables relaxed SIMD in Node 20, so both kernel modules are tested

export type KernelName = keyof typeof refKernels;

let cached: { kernels: Kernels; memory: WebAssembly.Memory; variants: [string, Kernels][] } | undefined;
async function wasm() {
  if (!cached) {
    const memory = createSharedMemory(16384); // 1 GiB of address space, committed lazily by the OS
    const variants: [string, Kernels][] = [['simd', await instantiateKernels(await compileKernels('simd'), memory)]];
    if (fmaSupported()) variants.push(['fma', await instantiateKernels(await compileKernels('fma'), memory)]);
    cached = { memory, kernels: variants[variants.length - 1][1], variants };
  }
  return cached;
}

/** Deterministic pseudo-random numbers for test data (xorshift32), in [-1, 1). */
export function randomFill(arr: { length: number; [i: number]: number }, seed: number, scale = 1): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < arr.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    arr[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
}

export interface KernelCase {
  name: KernelName;
  /** float buffers: name -> element count */
  floats: Record<string, number>;
  /** int32 buffers: name -> [count, exclusive upper bound of the random values] */
  ints?: Record<string, [number, number]>;
  /** buffers written by the kernel, compared after the run */
  outputs: string[];
  /** argument list given buffer pointers (without the leading heap) */
  args: (p: Record<string, number>) => number[];
  units: number;
  seed?: number;
  /** overrides for the contents of particular float buffers (e.g. positive variances) */
  init?: Record<string, (i: number) => number>;
  /** relative tolerance: max|simd-ref| <= tol * (1 + max|ref|) */
  tol?: number;
}

/** Lays out a case's buffers in the wasm memory (growing it if needed). */
function layoutCase(c: KernelCase, memory: WebAssembly.Memory) {
  const arena = new Arena();
  const ptr: Record<string, number> = {}, sizes: Record<string, number> = {};
  for (const [k, n] of Object.entries(c.floats)) { ptr[k] = arena.allocF32(n); sizes[k] = n; }
  for (const [k, [n]] of Object.entries(c.ints ?? {})) { ptr[k] = arena.alloc(n * 4); sizes[k] = n; }
  if (arena.end > memory.buffer.byteLength) memory.grow(Math.ceil((arena.end - memory.buffer.byteLength) / 65536));
  const wh: Heap = { f: new Float32Array(memory.buffer), i: new Int32Array(memory.buffer) };
  return { arena, ptr, sizes, wh };
}

/** The same seeded random inputs (or `init` overrides) into every heap. */
function fillInputs(c: KernelCase, ptr: Record<string, number>, heaps: Heap[]): void {
  let seed = c.seed ?? 1234;
  for (const [k, n] of Object.entries(c.floats)) {
    const tmp = new Float32Array(n);
    randomFill(tmp, seed++);
    const init = c.init?.[k];
    if (init) for (let i = 0; i < n; i++) tmp[i] = init(i);
    for (const h of heaps) h.f.set(tmp, ptr[k] >> 2);
  }
  for (const [k, [n, hi]] of Object.entries(c.ints ?? {})) {
    const tmp = new Float64Array(n);
    randomFill(tmp, seed++);
    const ints = Int32Array.from(tmp, (v) => Math.min(hi - 1, Math.floor(((v + 1) / 2) * hi)));
    for (const h of heaps) h.i.set(ints, ptr[k] >> 2);
  }
}

/** Returns the max abs difference per output (also asserts it is within tolerance). */
export async function checkKernel(c: KernelCase): Promise<Record<string, number>> {
  const { variants, memory } = await wasm();
  const { arena, ptr, sizes, wh } = layoutCase(c, memory);
  const rh = createRefHeap(arena.end);
  fillInputs(c, ptr, [wh, rh]);
  const args = c.args(ptr);
  (refKernels[c.name] as (...a: unknown[]) => void)(rh, ...args, 0, c.units);
  const initial = wh.f.slice(arena.base >> 2, arena.end >> 2);
  const tol = c.tol ?? 1e-4;
  const diffs: Record<string, number> = {};
  // every kernel module (portable SIMD, and FMA where the runtime has it) against the same reference
  for (const [variant, kernels] of variants) {
  wh.f.set(initial, arena.base >> 2);
  // uneven split: [0, a) [a, b) [b, units)
  const a = Math.floor(c.units / 3), b = a + Math.ceil((c.units - a) / 2);
  const fn = kernels[c.name] as (...a: number[]) => void;
  for (const [s, e] of [[0, a], [a, b], [b, c.units]]) if (e > s) fn(...args, s, e);
  for (const o of c.outputs) {
    const n = sizes[o], off = ptr[o] >> 2;
    const isInt = c.ints && o in c.ints;
    let maxRef = 0, maxDiff = 0;
    for (let i = 0; i < n; i++) {
      const r = isInt ? rh.i[off + i] : rh.f[off + i];
      const w = isInt ? wh.i[off + i] : wh.f[off + i];
      maxRef = Math.max(maxRef, Math.abs(r));
      const d = Math.abs(r - w);
      if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
    }
    diffs[o] = maxDiff;
    assert.ok(maxDiff <= tol * (1 + maxRef), `${c.name} (${variant}): output ${o} differs from the reference by ${maxDiff} (max |ref| ${maxRef}, tol ${tol})`);
  }
  }
  return diffs;
}

// ---- float64 reference-heap helpers for finite-difference gradient checks (additions) ----

export interface RefSetup {
  h: Heap;
  ptr: Record<string, number>;
  /** a live Float64Array view of a float buffer */
  view: (name: string) => Float64Array;
}

/** Lays out float (and int32) buffers in a float64 reference heap, filled with randomFill (or `init`). */
export function refSetup(floats: Record<string, number>, opts: { ints?: Record<string, [number, number]>; seed?: number; init?: Record<string, (i: number) => number> } = {}): RefSetup {
  const arena = new Arena();
  const ptr: Record<string, number> = {}, sizes: Record<string, number> = {};
  for (const [k, n] of Object.entries(floats)) { ptr[k] = arena.allocF32(n); sizes[k] = n; }
  for (const [k, [n]] of Object.entries(opts.ints ?? {})) { ptr[k] = arena.alloc(n * 4); sizes[k] = n; }
  const h = createRefHeap(arena.end);
  let seed = opts.seed ?? 4321;
  for (const [k, n] of Object.entries(floats)) {
    const v = (h.f as Float64Array).subarray(ptr[k] >> 2, (ptr[k] >> 2) + n);
    randomFill(v, seed++);
    const init = opts.init?.[k];
    if (init) for (let i = 0; i < n; i++) v[i] = init(i);
  }
  for (const [k, [n, hi]] of Object.entries(opts.ints ?? {})) {
    const tmp = new Float64Array(n);
    randomFill(tmp, seed++);
    for (let i = 0; i < n; i++) h.i[(ptr[k] >> 2) + i] = Math.min(hi - 1, Math.floor(((tmp[i] + 1) / 2) * hi));
  }
  const view = (name: string) => (h.f as Float64Array).subarray(ptr[name] >> 2, (ptr[name] >> 2) + sizes[name]);
  return { h, ptr, view };
}

/**
 * Central-difference check: for every element i of `param` (a float64 view), compares `analytic[i]` with
 * (loss(param_i + eps) - loss(param_i - eps)) / (2 eps). Asserts max|diff| <= tol * (1 + max|analytic|).
 */
export function fdCheck(label: string, loss: () => number, param: Float64Array, analytic: ArrayLike<number>, eps = 1e-6, tol = 1e-6): number {
  assert.equal(param.length, analytic.length, `${label}: length mismatch`);
  let maxDiff = 0, maxA = 0;
  for (let i = 0; i < param.length; i++) {
    const v = param[i];
    param[i] = v + eps; const lp = loss();
    param[i] = v - eps; const lm = loss();
    param[i] = v;
    const fd = (lp - lm) / (2 * eps);
    maxA = Math.max(maxA, Math.abs(analytic[i]));
    maxDiff = Math.max(maxDiff, Math.abs(fd - analytic[i]));
  }
  assert.ok(maxDiff <= tol * (1 + maxA), `${label}: finite differences differ by ${maxDiff} (max |grad| ${maxA})`);
  return maxDiff;
}

/** The shared WebAssembly kernels and their memory (same instance checkKernel uses), for multi-call tests. */
export async function wasmKernels(): Promise<{ kernels: Kernels; memory: WebAssembly.Memory }> {
  return wasm();
}

// ---- float64 finite-difference checks of reference backward kernels (additions) ---------------------

/** A float64 reference heap with named buffers of random contents in [-1, 1). */
export function refBuffers(floats: Record<string, number>, seed = 4321): { h: Heap; p: Record<string, number> } {
  const arena = new Arena(16);
  const p: Record<string, number> = {};
  for (const [k, n] of Object.entries(floats)) p[k] = arena.allocF32(n);
  const h = createRefHeap(arena.end + 16);
  for (const [k, n] of Object.entries(floats)) randomFill(h.f.subarray(p[k] >> 2, (p[k] >> 2) + n), seed++);
  return { h, p };
}

/**
 * Central-difference check: `fwd()` computes the output `out` (n floats) from the parameter buffer `param`;
 * the loss is sum(out * r). Compares d loss / d param against the analytic gradient in `grad` for every
 * element (or the first `limit`), with |num - ana| <= tol * max(1, |ana|).
 */
export function fdCheckBuf(h: Heap, fwd: () => void, out: number, outLen: number, r: number, param: number, paramLen: number,
  grad: number, name: string, opts: { eps?: number; tol?: number; limit?: number } = {}): number {
  const f = h.f, eps = opts.eps ?? 1e-6, tol = opts.tol ?? 1e-6;
  const loss = () => { fwd(); let s = 0; for (let i = 0; i < outLen; i++) s += f[(out >> 2) + i] * f[(r >> 2) + i]; return s; };
  let worst = 0;
  const n = Math.min(paramLen, opts.limit ?? paramLen);
  for (let i = 0; i < n; i++) {
    const at = (param >> 2) + i, v = f[at];
    f[at] = v + eps; const lp = loss();
    f[at] = v - eps; const lm = loss();
    f[at] = v;
    const num = (lp - lm) / (2 * eps), ana = f[(grad >> 2) + i];
    const err = Math.abs(num - ana) / Math.max(1, Math.abs(ana));
    worst = Math.max(worst, err);
    assert.ok(err <= tol, `${name}: d/d[${i}] numeric ${num} vs analytic ${ana}`);
  }
  return worst;
}

/**
 * Runs the SIMD kernel twice on the same inputs, once as one call over [0, units) and once split at every
 * `step` units with a ragged start, and asserts the outputs are bit-identical (ABI: results must not
 * depend on the thread split).
 */
export async function checkSplitInvariant(c: KernelCase, step = 3): Promise<void> {
  const { kernels, memory } = await wasm();
  const { ptr, sizes, wh } = layoutCase(c, memory);
  fillInputs(c, ptr, [wh]);
  const iv = wh.i;
  const snap = c.outputs.map((o) => iv.slice(ptr[o] >> 2, (ptr[o] >> 2) + sizes[o]));
  const args = c.args(ptr);
  const fn = kernels[c.name] as (...a: number[]) => void;
  fn(...args, 0, c.units);
  const whole = c.outputs.map((o) => iv.slice(ptr[o] >> 2, (ptr[o] >> 2) + sizes[o]));
  c.outputs.forEach((o, j) => iv.set(snap[j], ptr[o] >> 2));
  let s = 0;
  for (let e = Math.min(c.units, 1); s < c.units; e = Math.min(c.units, e + step)) { fn(...args, s, e); s = e; }
  c.outputs.forEach((o, j) => {
    const got = iv.subarray(ptr[o] >> 2, (ptr[o] >> 2) + sizes[o]);
    for (let i = 0; i < sizes[o]; i++) assert.equal(got[i], whole[j][i], `${c.name}: output ${o}[${i}] depends on the split`);
  });
}
