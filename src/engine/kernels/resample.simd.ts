// Strided subsampling and its adjoint (AssemblyScript). Scalar reference: resample.ref.ts.
// Memory-bound; stride 2 deinterleaves with one shuffle per 4 outputs.

export function subsample_fwd(x: usize, y: usize, N: i32, C: i32, H: i32, W: i32, OH: i32, OW: i32, stride: i32, s: i32, e: i32): void {
  for (let u = s; u < e; u++) {
    const xp = x + ((<usize>u * <usize>(H * W)) << 2), yp = y + ((<usize>u * <usize>(OH * OW)) << 2);
    for (let i = 0; i < OH; i++) {
      const xr = xp + (<usize>(i * stride * W) << 2), yr = yp + (<usize>(i * OW) << 2);
      let j = 0;
      if (stride == 2) {
        // needs x[2j .. 2j+7] inside the row: 2*(j+3)+1 < W
        for (; 2 * j + 7 < W && j + 4 <= OW; j += 4) {
          const a = v128.load(xr + (<usize>(2 * j) << 2)), b = v128.load(xr + (<usize>(2 * j) << 2), 16);
          v128.store(yr + (<usize>j << 2), v128.shuffle<f32>(a, b, 0, 2, 4, 6));
        }
      }
      for (; j < OW; j++) store<f32>(yr + (<usize>j << 2), load<f32>(xr + (<usize>(j * stride) << 2)));
    }
  }
}

export function subsample_bwd(dy: usize, dx: usize, N: i32, C: i32, H: i32, W: i32, OH: i32, OW: i32, stride: i32, acc: i32, s: i32, e: i32): void {
  for (let u = s; u < e; u++) {
    const xp = dx + ((<usize>u * <usize>(H * W)) << 2), yp = dy + ((<usize>u * <usize>(OH * OW)) << 2);
    if (!acc) memory.fill(xp, 0, <usize>(H * W) << 2);
    for (let i = 0; i < OH; i++) {
      const xr = xp + (<usize>(i * stride * W) << 2), yr = yp + (<usize>(i * OW) << 2);
      for (let j = 0; j < OW; j++) {
        const q = xr + (<usize>(j * stride) << 2);
        store<f32>(q, load<f32>(q) + load<f32>(yr + (<usize>j << 2)));
      }
    }
  }
}
