// Named network sizes. `tiny` is the reference network of the paper's PyTorch specification; `base`
// quadruples its widths and doubles the units per stage, still depthwise separable with pre-activation
// units (1,460,215 parameters, the 1.5M budget's edge). 48-96-192-384 (835k) was base until 2026-11-30,
// 0.53 points less accurate after the same two stages; 32-64-128-256 (383k) until 2026-11-29
// (docs/recipe-search.md, "Base: wider" and "Base: the 1.5M budget trained from scratch").
import type { NetConfig } from './reference-net.js';

export const MODEL_PRESETS: Record<string, Partial<NetConfig>> = {
  tiny: { widths: [16, 32, 64, 128], units: 1 },
  base: { widths: [64, 128, 256, 512], units: 2, dropout: 0.2 },
};

export function presetConfig(name: string): Partial<NetConfig> {
  const p = MODEL_PRESETS[name];
  if (!p) throw new Error(`unknown model preset '${name}' (known: ${Object.keys(MODEL_PRESETS).join(', ')})`);
  return p;
}

