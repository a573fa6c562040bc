// AssemblyScript entry: every SIMD kernel family, compiled into one WebAssembly module.
export * from './elementwise.simd';
export * from './conv2d.simd';
export * from './dwconv.simd';
export * from './pool.simd';
export * from './pointwise.simd';
export * from './dense.simd';
export * from './batchnorm.simd';
export * from './loss.simd';
export * from './optim.simd';
export * from './resample.simd';
