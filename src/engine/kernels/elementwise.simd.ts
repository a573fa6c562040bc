// Elementwise kernels (AssemblyScript, WebAssembly SIMD). Scalar reference: elementwise.ref.ts.
// Units are elements: [s, e) indexes floats from the start of each tensor.

@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

export function relu_fwd(x: usize, y: usize, len: i32, s: i32, e: i32): void {
  const z = f32x4.splat(0);
  let i = s;
  for (; i + 4 <= e; i += 4) v128.store(at(y, i), f32x4.pmax(z, v128.load(at(x, i))));
  for (; i < e; i++) store<f32>(at(y, i), max<f32>(load<f32>(at(x, i)), 0));
}

export function relu_bwd(y: usize, dy: usize, dx: usize, acc: i32, len: i32, s: i32, e: i32): void {
  const z = f32x4.splat(0);
  let i = s;
  if (acc) {
    for (; i + 4 <= e; i += 4) {
      const g = v128.and(v128.load(at(dy, i)), f32x4.gt(v128.load(at(y, i)), z));
      v128.store(at(dx, i), f32x4.add(v128.load(at(dx, i)), g));
    }
    for (; i < e; i++) store<f32>(at(dx, i), load<f32>(at(dx, i)) + (load<f32>(at(y, i)) > 0 ? load<f32>(at(dy, i)) : 0));
  } else {
    for (; i + 4 <= e; i += 4) {
      v128.store(at(dx, i), v128.and(v128.load(at(dy, i)), f32x4.gt(v128.load(at(y, i)), z)));
    }
    for (; i < e; i++) store<f32>(at(dx, i), load<f32>(at(y, i)) > 0 ? load<f32>(at(dy, i)) : 0);
  }
}

export function add_fwd(a: usize, b: usize, y: usize, len: i32, s: i32, e: i32): void {
  let i = s;
  for (; i + 4 <= e; i += 4) v128.store(at(y, i), f32x4.add(v128.load(at(a, i)), v128.load(at(b, i))));
  for (; i < e; i++) store<f32>(at(y, i), load<f32>(at(a, i)) + load<f32>(at(b, i)));
}

export function copy_acc(src: usize, dst: usize, acc: i32, len: i32, s: i32, e: i32): void {
  let i = s;
  if (acc) {
    for (; i + 4 <= e; i += 4) v128.store(at(dst, i), f32x4.add(v128.load(at(dst, i)), v128.load(at(src, i))));
    for (; i < e; i++) store<f32>(at(dst, i), load<f32>(at(dst, i)) + load<f32>(at(src, i)));
  } else {
    memory.copy(at(dst, s), at(src, s), <usize>(e - s) << 2);
  }
}

// Counter-based hash (murmur3 finalizer): the dropout mask depends only on (seed, i), never on how the
// work was split across threads.
@inline function mix32(h: u32): u32 {
  h ^= h >>> 16; h *= 0x85ebca6b; h ^= h >>> 13; h *= 0xc2b2ae35; h ^= h >>> 16;
  return h;
}

export function dropout_fwd(x: usize, y: usize, mask: usize, len: i32, p: f32, seed: u32, s: i32, e: i32): void {
  const keep: f32 = p < 1 ? <f32>1 / (<f32>1 - p) : 0;
  for (let i = s; i < e; i++) {
    const u = <f32>(mix32(seed ^ mix32(<u32>i)) >>> 8) * <f32>5.9604644775390625e-8;
    const m: f32 = u >= p ? keep : 0;
    store<f32>(at(mask, i), m);
    store<f32>(at(y, i), load<f32>(at(x, i)) * m);
  }
}

export function mul_bwd(dy: usize, mask: usize, dx: usize, acc: i32, len: i32, s: i32, e: i32): void {
  let i = s;
  if (acc) {
    for (; i + 4 <= e; i += 4) {
      v128.store(at(dx, i), f32x4.add(v128.load(at(dx, i)), f32x4.mul(v128.load(at(dy, i)), v128.load(at(mask, i)))));
    }
    for (; i < e; i++) store<f32>(at(dx, i), load<f32>(at(dx, i)) + load<f32>(at(dy, i)) * load<f32>(at(mask, i)));
  } else {
    for (; i + 4 <= e; i += 4) v128.store(at(dx, i), f32x4.mul(v128.load(at(dy, i)), v128.load(at(mask, i))));
    for (; i < e; i++) store<f32>(at(dx, i), load<f32>(at(dy, i)) * load<f32>(at(mask, i)));
  }
}
