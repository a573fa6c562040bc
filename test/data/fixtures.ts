/** Small generated images and folders for the data-layer tests (no third-party data). */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

export type Format = 'png' | 'jpeg' | 'tiff' | 'webp' | 'gif';

/** A fresh temp folder; remove it with `cleanup`. */
export async function tempDir(tag: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `ferkit-data-${tag}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Encodes raw gray pixels (w*h bytes) as an image file's bytes. */
export async function encodeGray(pixels: Uint8Array, w: number, h: number, format: Format = 'png'): Promise<Buffer> {
  const img = sharp(Buffer.from(pixels), { raw: { width: w, height: h, channels: 1 } });
  switch (format) {
    case 'png': return img.png().toBuffer();
    case 'jpeg': return img.jpeg({ quality: 95 }).toBuffer();
    case 'tiff': return img.tiff().toBuffer();
    case 'webp': return img.webp({ lossless: true }).toBuffer();
    case 'gif': return img.gif().toBuffer();
  }
}

/** A uniform w x h image of the given gray level. */
export function flatPixels(w: number, h: number, level: number): Uint8Array {
  return new Uint8Array(w * h).fill(level);
}

/** A deterministic textured image (smooth gradients plus a bright blob), so geometric tests see structure. */
export function patternPixels(size: number): Uint8Array {
  const px = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const blob = Math.exp(-((x - size * 0.3) ** 2 + (y - size * 0.4) ** 2) / (size * 2));
    px[y * size + x] = Math.min(255, Math.round(30 + x * 2 + y + blob * 120));
  }
  return px;
}

/** Writes bytes to path, creating folders. */
export async function put(path: string, bytes: Buffer | string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return path;
}

/** Writes a uniform gray image file. */
export async function putGray(path: string, level: number, format: Format = 'png', w = 48, h = 48): Promise<string> {
  return put(path, await encodeGray(flatPixels(w, h, level), w, h, format));
}

/** Collects warnings instead of printing them. */
export function warnings(): { list: string[]; onWarning: (m: string) => void } {
  const list: string[] = [];
  return { list, onWarning: (m: string) => { list.push(m); } };
}

/** /work/shared (the repo's ../shared), or undefined when absent. */
export async function sharedDir(): Promise<string | undefined> {
  const { fileURLToPath } = await import('node:url');
  const { existsSync } = await import('node:fs');
  // dist/test/data/fixtures.js -> repo root is three levels up
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const shared = join(root, '..', 'shared');
  return existsSync(shared) ? shared : undefined;
}
