// Loads the SIMD kernels: compile the embedded module once, instantiate it over a shared memory in every
// thread. No Node-only API here, so the same code runs in a browser Web Worker.
import { KERNELS_FMA_WASM_BASE64, KERNELS_WASM_BASE64 } from './binary.generated.js';
import type { refKernels } from './index.ref.js';

type DropHeap<F> = F extends (h: any, ...rest: infer A) => void ? (...args: A) => void : never;
/** Every kernel of ABI.md, as exported by the WebAssembly module (pointers are byte offsets). */
export type Kernels = { [K in keyof typeof refKernels]: DropHeap<(typeof refKernels)[K]> };

/** 64 KiB WebAssembly pages; 32768 pages = 2 GiB, the maximum the module declares. */
export const MAX_PAGES = 32768;

/**
 * Which kernel module: 'fma' uses relaxed SIMD's fused multiply-add (fewer instructions, one rounding),
 * 'simd' is the portable module, 'auto' takes 'fma' where the runtime accepts it.
 */
export type SimdVariant = 'auto' | 'fma' | 'simd';

const compiled = new Map<'fma' | 'simd', Promise<WebAssembly.Module>>();
let fmaOk: boolean | undefined;

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Whether this runtime accepts relaxed SIMD (Chrome 114+, Node 22+, or Node 20 with the V8 flag set). */
export function fmaSupported(): boolean {
  fmaOk ??= WebAssembly.validate(decodeBase64(KERNELS_FMA_WASM_BASE64));
  return fmaOk;
}

export function resolveVariant(v: SimdVariant = 'auto'): 'fma' | 'simd' {
  if (v === 'fma' && !fmaSupported()) throw new Error('the FMA kernels need relaxed SIMD, which this runtime does not enable');
  return v === 'auto' ? (fmaSupported() ? 'fma' : 'simd') : v;
}

/** The compiled kernel module (cached). A Module can be posted to workers, which then skip compilation. */
export function compileKernels(variant: SimdVariant = 'auto'): Promise<WebAssembly.Module> {
  const v = resolveVariant(variant);
  let m = compiled.get(v);
  if (!m) {
    m = WebAssembly.compile(decodeBase64(v === 'fma' ? KERNELS_FMA_WASM_BASE64 : KERNELS_WASM_BASE64));
    compiled.set(v, m);
  }
  return m;
}

/** A shared linear memory of `pages` pages that every thread's instance imports. */
export function createSharedMemory(pages: number): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
}

export async function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<Kernels> {
  const instance = await WebAssembly.instantiate(module, { env: { memory, abort: () => { throw new Error('kernel abort'); } } });
  return instance.exports as unknown as Kernels;
}
