/** Pieces shared by the folder-based readers: listing, decoding with skip-and-warn, and the common options. */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import type { Dataset } from '../dataset.js';
import { decodeMany } from '../decode.js';

export interface ReaderOptions {
  /** output side in pixels (default 48) */
  size?: number;
  /** files decoded at once (default 8) */
  concurrency?: number;
  /** refuse larger images (default 50 megapixels) */
  maxPixels?: number;
  /** progress, in files (bytes for the CSV reader) */
  onProgress?: (done: number, total: number) => void;
  /** where warnings go (default console.warn); tests pass a collector */
  onWarning?: (message: string) => void;
}

/**
 * Extensions the folder readers pick up. BMP only when this sharp build can read it (through ImageMagick,
 * which the prebuilt binaries leave out), so a folder of BMPs fails loudly instead of being "undecodable".
 */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp', '.gif',
  ...(sharp.format.magick?.input?.file ? ['.bmp'] : []),
]);

export const isImageFile = (name: string) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase());

/** Byte order, not locale order: the same listing on every machine. */
export const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export async function assertDirectory(path: string, what: string): Promise<void> {
  let s;
  try { s = await stat(path); } catch { throw new Error(`${what}: folder not found: ${path}`); }
  if (!s.isDirectory()) throw new Error(`${what}: ${path} is not a folder`);
}

/** Sub-folders and files of a folder, hidden entries (.DS_Store, ._x) left out, both sorted. */
export async function listFolder(dir: string): Promise<{ dirs: string[]; files: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  const dirs: string[] = [], files: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) dirs.push(e.name);
    else if (e.isFile()) files.push(e.name);
  }
  return { dirs: dirs.sort(byName), files: files.sort(byName) };
}

export interface LabelledFile { path: string; label: number; subject?: string }

/** Adds (or increments) a skipped-reason entry. */
export function addSkipped(skipped: { reason: string; count: number }[], reason: string, count = 1): void {
  if (count <= 0) return;
  const s = skipped.find((x) => x.reason === reason);
  if (s) s.count += count; else skipped.push({ reason, count });
}

/**
 * Decodes the listed files into a Dataset. A file that cannot be decoded is not fatal (one bad JPEG should not
 * stop a 30k-image load): it is warned about by name and counted in `skipped`.
 */
export async function decodeLabelled(
  files: LabelledFile[], classes: string[], opts: ReaderOptions, skipped: { reason: string; count: number }[] = [],
): Promise<Dataset> {
  const warn = opts.onWarning ?? ((m: string) => console.warn(m));
  const size = opts.size ?? 48;
  const res = await decodeMany(files.map((f) => f.path), {
    size, concurrency: opts.concurrency, maxPixels: opts.maxPixels, onProgress: opts.onProgress, skipErrors: true,
  });
  for (const f of res.failures) warn(`ferkit: skipping ${f.path}: ${f.message}`);
  addSkipped(skipped, 'could not be decoded', res.failures.length);
  const kept = res.decoded.map((i) => files[i]);
  const ds: Dataset = {
    size, images: res.images, labels: Uint8Array.from(kept, (f) => f.label), classes,
    files: kept.map((f) => f.path),
  };
  if (kept.length && kept.every((f) => f.subject !== undefined)) ds.subjects = kept.map((f) => f.subject!);
  if (skipped.length) ds.skipped = skipped;
  return ds;
}

export const joinAll = (dir: string, names: string[]) => names.map((n) => join(dir, n));
