export { buildReferenceNet, netConfig, TINY, type NetConfig } from './reference-net.js';
export { MODEL_PRESETS, presetConfig } from './presets.js';
export { netConfigOfModel } from './registry.js';
