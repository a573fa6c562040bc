// The multiply-add every hot loop uses: c + a*b. This file is the portable version (two instructions,
// two roundings). scripts/build-wasm.mjs also compiles a second module in which this function is
// `f32x4.relaxed_madd` (one fused instruction on CPUs with FMA); the engine picks that module where the
// runtime supports relaxed SIMD (Chrome/V8 >= 11.4, or Node 20 with the flag the Node adapter sets).
// @ts-ignore: decorator
@inline export function fmadd(a: v128, b: v128, c: v128): v128 { return f32x4.add(f32x4.mul(a, b), c); }

/** Scalar c + a*b rounded exactly like one lane of fmadd, for tails that must match the vector lanes. */
// @ts-ignore: decorator
@inline export function fmaddf(a: f32, b: f32, c: f32): f32 { return a * b + c; }
