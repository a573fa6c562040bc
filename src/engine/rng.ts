/**
 * Seeded pseudo-random numbers (sfc32): fast, 32-bit, identical in every JS engine. Everything random in
 * ferkit (initialisation, shuffling, augmentation, dropout seeds) comes from one of these, so a seed fixes
 * a run bit for bit.
 */
export class Rng {
  private a: number; private b: number; private c: number; private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9; this.b = 0x243f6a88; this.c = 0xb7e15162; this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.nextU32();
  }
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** uniform [0, 1) */
  next(): number { return this.nextU32() / 4294967296; }
  /** integer in [0, n) */
  int(n: number): number { return Math.floor(this.next() * n); }
  uniform(lo: number, hi: number): number { return lo + (hi - lo) * this.next(); }
  /** standard normal (Box-Muller; one value per call, for simplicity over speed: init only) */
  normal(): number {
    const u = 1 - this.next(), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Fisher-Yates shuffle in place. */
  shuffle<T>(arr: T[] | Int32Array | Uint32Array): void {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i]; arr[i] = arr[j]; arr[j] = t;
    }
  }
  /** A child generator for an independent stream (e.g. one per epoch) derived from this one. */
  fork(): Rng { return new Rng(this.nextU32()); }
}

/** Mix two 32-bit values into one (for per-step, per-layer seeds). */
export function hash2(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b) >>> 0;
  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d); h ^= h >>> 15; h = Math.imul(h, 0x846ca68b); h ^= h >>> 16;
  return h >>> 0;
}
