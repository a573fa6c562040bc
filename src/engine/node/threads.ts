// Node's thread adapter for the engine: worker_threads behind the engine's Spawn interface.
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Spawn, WorkerInit } from '../session.js';

// Node 20's V8 (11.3) has relaxed SIMD behind a flag; it is on by default from V8 11.4 (Chrome 114,
// Node 22). Setting it before any module compiles lets the engine use fused multiply-add kernels.
setFlagsFromString('--experimental-wasm-relaxed-simd');

/** Spawns a worker thread running the engine's worker loop over the shared memory. */
export const spawnNodeWorker: Spawn = (init: WorkerInit) =>
  new Promise((resolve, reject) => {
    // execArgv: [] so a worker does not inherit options that are fatal in one (`node --input-type=module
    // -e ...`); the relaxed-SIMD flag above is process-wide and reaches the worker's isolate regardless
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: init, execArgv: [] });
    w.once('message', (msg) => {
      // once ready, an idle worker must not keep the process alive
      if (msg === 'ready') { w.unref(); resolve({ terminate: () => w.terminate() }); }
      else reject(new Error(`engine worker failed to start: ${msg?.error ?? msg}`));
    });
    w.on('error', (err) => reject(err));
  });

/** Cores this process may use (the default thread count). */
export function defaultThreads(): number {
  return availableParallelism();
}
