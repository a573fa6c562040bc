/**
 * The view of linear memory that reference kernels index. Pointers are byte offsets; element index is
 * `ptr >> 2` in both arrays. The WASM backend builds one over its memory (Float32Array); gradient checks
 * build a float64 one so the oracle itself has no rounding worth mentioning.
 */
export interface Heap {
  f: Float32Array | Float64Array;
  i: Int32Array;
}

/** A float64 heap of `bytes` bytes for the reference kernels. */
export function createRefHeap(bytes: number): Heap {
  return { f: new Float64Array(bytes >> 2), i: new Int32Array(bytes >> 2) };
}
