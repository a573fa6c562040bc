export { buildReferenceNet, netConfig, TINY, type NetConfig } from './reference-net.js';
