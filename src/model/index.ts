export { buildReferenceNet, netConfig, TINY, type NetConfig } from './reference-net.js';
export { MODEL_PRESETS, presetConfig, netConfigOfModel } from './presets.js';
