// Named network sizes. `tiny` is the reference network of the paper's PyTorch specification; `base`
// widens it and doubles the units per stage, still depthwise separable with pre-activation units.
import { loadModel } from '../engine/node/files.js';
import type { NetConfig } from './reference-net.js';

export const MODEL_PRESETS: Record<string, Partial<NetConfig>> = {
  tiny: { widths: [16, 32, 64, 128], units: 1 },
  base: { widths: [32, 64, 128, 256], units: 2, dropout: 0.2 },
};

export function presetConfig(name: string): Partial<NetConfig> {
  const p = MODEL_PRESETS[name];
  if (!p) throw new Error(`unknown model preset '${name}' (known: ${Object.keys(MODEL_PRESETS).join(', ')})`);
  return p;
}

/**
 * The network settings a trained model file records (its `netConfig` metadata, written by the trainer),
 * so fine-tuning `--init base` builds base's network without also being told `--model base`.
 * undefined for a file that does not record them.
 */
export function netConfigOfModel(path: string): Partial<NetConfig> | undefined {
  const raw = loadModel(path).metadata.netConfig;
  if (!raw) return undefined;
  try { return JSON.parse(raw) as Partial<NetConfig>; } catch { return undefined; }
}
