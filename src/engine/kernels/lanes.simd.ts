// Small addressing and lane helpers shared by the spatial kernel families (AssemblyScript).

/** Byte address of float element `i` of the tensor at `p`. */
// @ts-ignore: decorator
@inline export function fp(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/**
 * A vector gathered from one row: lane l < nv holds element c0 + l*s if it lies in [0, W), else `fill`
 * (padding: 0 for convolutions, -inf for max pooling); lanes >= nv hold `fill`. For borders only.
 */
// @ts-ignore: decorator
@inline export function ldf(row: usize, c0: i32, s: i32, W: i32, nv: i32, fill: f32): v128 {
  let v = f32x4.splat(fill);
  let c = c0;
  if (c >= 0 && c < W) v = f32x4.replace_lane(v, 0, load<f32>(fp(row, c)));
  c += s;
  if (nv > 1 && c >= 0 && c < W) v = f32x4.replace_lane(v, 1, load<f32>(fp(row, c)));
  c += s;
  if (nv > 2 && c >= 0 && c < W) v = f32x4.replace_lane(v, 2, load<f32>(fp(row, c)));
  c += s;
  if (nv > 3 && c >= 0 && c < W) v = f32x4.replace_lane(v, 3, load<f32>(fp(row, c)));
  return v;
}
