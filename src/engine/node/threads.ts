// Node's thread adapter for the engine: worker_threads behind the engine's Spawn interface.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Spawn, WorkerInit } from '../session.js';

/** Spawns a worker thread running the engine's worker loop over the shared memory. */
export const spawnNodeWorker: Spawn = (init: WorkerInit) =>
  new Promise((resolve, reject) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
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
