// ferkit's library entry point.
export * from './engine/index.js';
export * from './model/index.js';
