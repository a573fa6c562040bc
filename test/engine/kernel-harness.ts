// Runs a SIMD kernel and its scalar reference on the same random inputs and compares the outputs.
// The reference runs in float64 over [0, units); the SIMD kernel runs over a deliberately uneven split of
// the unit range, so a kernel whose result depends on the thread split fails here.
import assert from 'node:assert/strict';
import { Arena } from '../../src/engine/memory.js';
import { createRefHeap, type Heap } from '../../src/engine/kernels/heap.js';
import { refKernels } from '../../src/engine/kernels/index.ref.js';
import { compileKernels, createSharedMemory, instantiateKernels, type Kernels } from '../../src/engine/kernels/wasm.js';

export type KernelName = keyof typeof refKernels;

let cached: { kernels: Kernels; memory: WebAssembly.Memory } | undefined;
async function wasm() {
  if (!cached) {
    const memory = createSharedMemory(16384); // 1 GiB of address space, committed lazily by the OS
    cached = { memory, kernels: await instantiateKernels(await compileKernels(), memory) };
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

/** Returns the max abs difference per output (also asserts it is within tolerance). */
export async function checkKernel(c: KernelCase): Promise<Record<string, number>> {
  const { kernels, memory } = await wasm();
  const arena = new Arena();
  const ptr: Record<string, number> = {};
  const sizes: Record<string, number> = {};
  for (const [k, n] of Object.entries(c.floats)) { ptr[k] = arena.allocF32(n); sizes[k] = n; }
  for (const [k, [n]] of Object.entries(c.ints ?? {})) { ptr[k] = arena.alloc(n * 4); sizes[k] = n; }
  if (arena.end > memory.buffer.byteLength) memory.grow(Math.ceil((arena.end - memory.buffer.byteLength) / 65536));
  const wh: Heap = { f: new Float32Array(memory.buffer), i: new Int32Array(memory.buffer) };
  const rh = createRefHeap(arena.end);
  let seed = c.seed ?? 1234;
  for (const [k, n] of Object.entries(c.floats)) {
    const tmp = new Float32Array(n);
    randomFill(tmp, seed++);
    const init = c.init?.[k];
    if (init) for (let i = 0; i < n; i++) tmp[i] = init(i);
    wh.f.set(tmp, ptr[k] >> 2);
    rh.f.set(tmp, ptr[k] >> 2);
  }
  for (const [k, [n, hi]] of Object.entries(c.ints ?? {})) {
    const tmp = new Float64Array(n);
    randomFill(tmp, seed++);
    const ints = Int32Array.from(tmp, (v) => Math.min(hi - 1, Math.floor(((v + 1) / 2) * hi)));
    wh.i.set(ints, ptr[k] >> 2);
    rh.i.set(ints, ptr[k] >> 2);
  }
  const args = c.args(ptr);
  (refKernels[c.name] as (...a: unknown[]) => void)(rh, ...args, 0, c.units);
  // uneven split: [0, a) [a, b) [b, units)
  const a = Math.floor(c.units / 3), b = a + Math.ceil((c.units - a) / 2);
  const fn = kernels[c.name] as (...a: number[]) => void;
  for (const [s, e] of [[0, a], [a, b], [b, c.units]]) if (e > s) fn(...args, s, e);
  const tol = c.tol ?? 1e-4;
  const diffs: Record<string, number> = {};
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
    assert.ok(maxDiff <= tol * (1 + maxRef), `${c.name}: output ${o} differs from the reference by ${maxDiff} (max |ref| ${maxRef}, tol ${tol})`);
  }
  return diffs;
}
