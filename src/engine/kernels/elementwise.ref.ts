// Scalar reference for elementwise.simd.ts. See ABI.md for the contract.
import type { Heap } from './heap.js';

export function relu_fwd(h: Heap, x: number, y: number, _len: number, s: number, e: number): void {
  const f = h.f, xo = x >> 2, yo = y >> 2;
  for (let i = s; i < e; i++) f[yo + i] = Math.max(f[xo + i], 0);
}

export function relu_bwd(h: Heap, y: number, dy: number, dx: number, acc: number, _len: number, s: number, e: number): void {
  const f = h.f, yo = y >> 2, dyo = dy >> 2, dxo = dx >> 2;
  for (let i = s; i < e; i++) {
    const g = f[yo + i] > 0 ? f[dyo + i] : 0;
    f[dxo + i] = acc ? f[dxo + i] + g : g;
  }
}

export function add_fwd(h: Heap, a: number, b: number, y: number, _len: number, s: number, e: number): void {
  const f = h.f;
  for (let i = s; i < e; i++) f[(y >> 2) + i] = f[(a >> 2) + i] + f[(b >> 2) + i];
}

export function copy_acc(h: Heap, src: number, dst: number, acc: number, _len: number, s: number, e: number): void {
  const f = h.f;
  for (let i = s; i < e; i++) f[(dst >> 2) + i] = acc ? f[(dst >> 2) + i] + f[(src >> 2) + i] : f[(src >> 2) + i];
}

/** murmur3's 32-bit finalizer: a counter-based hash, so a dropout mask never depends on the thread split. */
export function mix32(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform [0,1) from (seed, i), bit-identical to the SIMD kernel's. */
export function rng(seed: number, i: number): number {
  return Math.fround((mix32((seed ^ mix32(i)) >>> 0) >>> 8) * 5.9604644775390625e-8);
}

export function dropout_fwd(h: Heap, x: number, y: number, mask: number, _len: number, p: number, seed: number, s: number, e: number): void {
  const f = h.f, pf = Math.fround(p);
  const keep = pf < 1 ? Math.fround(1 / Math.fround(1 - pf)) : 0;
  for (let i = s; i < e; i++) {
    const m = rng(seed >>> 0, i) >= pf ? keep : 0;
    f[(mask >> 2) + i] = m;
    f[(y >> 2) + i] = f[(x >> 2) + i] * m;
  }
}

export function mul_bwd(h: Heap, dy: number, mask: number, dx: number, acc: number, _len: number, s: number, e: number): void {
  const f = h.f;
  for (let i = s; i < e; i++) {
    const g = f[(dy >> 2) + i] * f[(mask >> 2) + i];
    f[(dx >> 2) + i] = acc ? f[(dx >> 2) + i] + g : g;
  }
}
