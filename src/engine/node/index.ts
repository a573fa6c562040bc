// Node-only adapters of the engine: worker threads and atomic file I/O.
export { spawnNodeWorker, defaultThreads } from './threads.js';
export { writeFileAtomic, saveModel, loadModel } from './files.js';
