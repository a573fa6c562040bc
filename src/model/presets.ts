// Named network sizes. `tiny` is the reference network of the paper's PyTorch specification; `base`
// triples its widths and doubles the units per stage, still depthwise separable with pre-activation units
// (835k parameters; 32-64-128-256 was base until 2026-11-29, 1.5 points less accurate after the same
// stage 1: docs/recipe-search.md, "Base: wider").
import type { NetConfig } from './reference-net.js';

export const MODEL_PRESETS: Record<string, Partial<NetConfig>> = {
  tiny: { widths: [16, 32, 64, 128], units: 1 },
  base: { widths: [48, 96, 192, 384], units: 2, dropout: 0.2 },
};

export function presetConfig(name: string): Partial<NetConfig> {
  const p = MODEL_PRESETS[name];
  if (!p) throw new Error(`unknown model preset '${name}' (known: ${Object.keys(MODEL_PRESETS).join(', ')})`);
  return p;
}

