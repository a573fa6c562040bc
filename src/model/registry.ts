/**
 * Bundled models: `<package root>/models/<name>.safetensors`. resolveModelPath lets every command take
 * either a file path or a bundled model's name ('tiny', 'base').
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../engine/node/files.js';
import type { NetConfig } from './reference-net.js';

/** The nearest folder upwards from this module that holds a package.json (ferkit's root). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`ferkit: cannot find the package root (no package.json above ${fileURLToPath(import.meta.url)})`);
    dir = up;
  }
}

export function modelsDir(): string {
  return join(packageRoot(), 'models');
}

/** Names of the bundled models (files models/*.safetensors), sorted. */
export function bundledModelNames(): string[] {
  let files: string[];
  try { files = readdirSync(modelsDir()); } catch { return []; }
  return files.filter((f) => f.endsWith('.safetensors') && !f.startsWith('.')).map((f) => f.slice(0, -'.safetensors'.length)).sort();
}

const isFile = (p: string) => { try { return statSync(p).isFile(); } catch { return false; } };

/** A model file path: `nameOrPath` itself if it is a file, else the bundled model of that name. */
export function resolveModelPath(nameOrPath: string): string {
  if (!nameOrPath) throw new Error('no model given');
  if (isFile(nameOrPath)) return nameOrPath;
  const bundled = join(modelsDir(), `${nameOrPath}.safetensors`);
  if (/^[\w.-]+$/.test(nameOrPath) && isFile(bundled)) return bundled;
  const names = bundledModelNames();
  const list = names.length ? `bundled models: ${names.join(', ')}` : 'no bundled models are installed';
  throw new Error(`model '${nameOrPath}' not found: not a file (${resolve(nameOrPath)}) nor a bundled model name (${list})`);
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
