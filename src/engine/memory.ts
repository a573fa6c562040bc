/**
 * A bump allocator over byte offsets of the linear memory. The engine lays out every buffer once, when a
 * plan is built, so the training hot path allocates nothing. Offsets are 16-byte aligned for v128 loads.
 */
export class Arena {
  private top: number;
  constructor(readonly base = 65536) { this.top = base; }

  /** Reserve `bytes` bytes; returns the byte offset. */
  alloc(bytes: number): number {
    const ptr = this.top;
    this.top = ptr + ((bytes + 15) & ~15);
    return ptr;
  }
  allocF32(count: number): number { return this.alloc(count * 4); }

  /** One past the highest byte handed out so far. */
  get end(): number { return this.top; }
}
