/** Generated models and image folders for the eval tests (no third-party data). */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Session } from '../../src/engine/session.js';
import { saveModel } from '../../src/engine/node/files.js';
import { Rng } from '../../src/engine/rng.js';
import { buildReferenceNet } from '../../src/model/reference-net.js';

export async function tempDir(tag: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `ferkit-eval-${tag}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A small reference net (widths [4, 8]) with random weights, saved to `path`. */
export async function saveTinyModel(path: string, classes: number, metadata: Record<string, string> = {}, seed = 1): Promise<void> {
  const graph = buildReferenceNet({ widths: [4, 8], stem: 4, classes });
  const s = await Session.create({ graph, seed, inferBatches: [1] });
  const w = s.getWeights();
  await s.close();
  // non-trivial running statistics, so the BatchNorm folding path is exercised
  const rng = new Rng(seed + 100);
  for (let i = 0; i < w.buffers.length; i++) w.buffers[i] += rng.uniform(0, 0.5);
  saveModel(path, { graph, weights: w, metadata });
}

/** A 48x48 gray PNG whose content depends on `seed`. */
export async function facePng(seed: number): Promise<Buffer> {
  const rng = new Rng(seed), px = new Uint8Array(48 * 48);
  const cx = rng.uniform(10, 38), cy = rng.uniform(10, 38), base = rng.uniform(20, 200);
  for (let y = 0; y < 48; y++) for (let x = 0; x < 48; x++) {
    px[y * 48 + x] = Math.max(0, Math.min(255, Math.round(base + x - y + 60 * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 60))));
  }
  return sharp(Buffer.from(px), { raw: { width: 48, height: 48, channels: 1 } }).png().toBuffer();
}

/** `<root>/<class>/<i>.png` with `perClass` images per class. */
export async function imageFolder(root: string, classes: string[], perClass: number): Promise<void> {
  let seed = 1;
  for (const c of classes) {
    await mkdir(join(root, c), { recursive: true });
    for (let i = 0; i < perClass; i++) await writeFile(join(root, c, `${i}.png`), await facePng(seed++));
  }
}
