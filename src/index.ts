// ferkit's library entry point.
export * from './engine/index.js';
export * from './model/index.js';
export * from './pipeline/index.js';
export * from './face/index.js';
export { spawnNodeWorker, saveModel, loadModel } from './engine/node/index.js';
