// AssemblyScript entry: every SIMD kernel family, compiled into one WebAssembly module.
export * from './elementwise.simd';
