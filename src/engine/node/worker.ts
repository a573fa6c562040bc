// Worker-thread entry for Node: hands the init message to the engine core and reports readiness.
import { parentPort, workerData } from 'node:worker_threads';
import { startWorker, type WorkerInit } from '../session.js';

startWorker(workerData as WorkerInit, () => parentPort!.postMessage('ready')).catch((err) => {
  parentPort!.postMessage({ error: String(err?.stack ?? err) });
  process.exit(1);
});
