/**
 * On-disk cache of decoded datasets, so a run does not re-decode 28k JPEGs (tens of seconds) every time.
 *
 * Cache file: 'FERKITDS' magic, u32 version, u32 header length, header JSON (key, size, count, classes,
 * subjects, files, skipped), then count*size*size image bytes, then count label bytes.
 *
 * Validity: the file name and header carry a hash of (format, absolute path, split, decoding options, and the
 * relative path + size + mtime of every file under the dataset). Editing, adding or removing any file
 * changes the hash, so a stale cache is never used; checking costs one stat per file, not one decode.
 * Files are written to a temp name and renamed into place, so a crash or a concurrent run never leaves a
 * half-written cache that a later run would trust.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import type { Dataset } from './dataset.js';
import { loadDataset, type LoadDatasetOptions } from './readers/index.js';

const MAGIC = 'FERKITDS';
const VERSION = 1;

/** Every file under `dir` (or `dir` itself if it is a file) as 'relative\tsize\tmtime' lines, sorted. */
async function fileSummary(root: string): Promise<string[]> {
  const top = await stat(root);
  if (!top.isDirectory()) return [`${basename(root)}\t${top.size}\t${top.mtimeMs}`];
  const paths: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p); else if (e.isFile()) paths.push(p);
    }
  };
  await walk(root);
  paths.sort();
  const lines = new Array<string>(paths.length);
  // Stats in batches: all at once would queue tens of thousands of requests on the libuv pool.
  for (let i = 0; i < paths.length; i += 256) {
    const batch = paths.slice(i, i + 256);
    const stats = await Promise.all(batch.map((p) => stat(p)));
    for (let j = 0; j < batch.length; j++) lines[i + j] = `${relative(root, batch[j])}\t${stats[j].size}\t${stats[j].mtimeMs}`;
  }
  return lines;
}

/** The options that change what a load produces (progress/warning callbacks do not). */
function optionKey(opts: LoadDatasetOptions) {
  return {
    format: opts.format, path: resolve(opts.path), split: opts.split ?? null, size: opts.size ?? 48,
    keepContempt: !!opts.keepContempt, allowCustomClasses: !!opts.allowCustomClasses, skipBadRows: !!opts.skipBadRows,
    maxPixels: opts.maxPixels ?? null,
  };
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** The cache file this load would use, and the key it must carry. Reads the dataset's file list (stat only). */
export async function datasetCacheKey(opts: LoadDatasetOptions, cacheDir: string): Promise<{ file: string; key: string; prefix: string }> {
  const o = optionKey(opts);
  // The fer2013 split is a sub-folder: only its files matter (and walking just it is faster).
  let scanned = o.path;
  if (opts.format === 'fer2013' && opts.split) scanned = join(o.path, opts.split);
  let summary: string[];
  try { summary = await fileSummary(scanned); } catch { throw new Error(`loadDatasetCached: ${opts.format} dataset not found at ${scanned}`); }
  const optHash = sha(JSON.stringify(o)).slice(0, 8);
  const key = sha(JSON.stringify({ v: VERSION, o, files: sha(summary.join('\n')) }));
  const safe = `${opts.format}-${basename(o.path)}${opts.split ? '-' + opts.split : ''}`.replace(/[^\w.-]+/g, '_');
  const prefix = `${safe}-${optHash}-`;
  return { file: join(resolve(cacheDir), `${prefix}${key.slice(0, 16)}.ferds`), key, prefix };
}

export function encodeDatasetCache(ds: Dataset, key: string): Buffer {
  const count = ds.labels.length, px = ds.size * ds.size;
  const header = Buffer.from(JSON.stringify({
    key, size: ds.size, count, classes: ds.classes, subjects: ds.subjects, files: ds.files, skipped: ds.skipped,
  }), 'utf8');
  const out = Buffer.alloc(16 + header.length + count * px + count);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(VERSION, 8);
  out.writeUInt32LE(header.length, 12);
  header.copy(out, 16);
  out.set(ds.images.subarray(0, count * px), 16 + header.length);
  out.set(ds.labels, 16 + header.length + count * px);
  return out;
}

/** Parses a cache file; throws (with `name` in the message) if it is not one, or not for `key` when given. */
export function decodeDatasetCache(buf: Buffer, name: string, key?: string): Dataset {
  if (buf.length < 16 || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${name} is not a ferkit dataset cache`);
  if (buf.readUInt32LE(8) !== VERSION) throw new Error(`${name} is a dataset cache of version ${buf.readUInt32LE(8)}, expected ${VERSION}`);
  const hlen = buf.readUInt32LE(12);
  const h = JSON.parse(buf.toString('utf8', 16, 16 + hlen));
  if (key !== undefined && h.key !== key) throw new Error(`${name} is for a different dataset state`);
  const px = h.size * h.size, at = 16 + hlen;
  if (buf.length !== at + h.count * px + h.count) throw new Error(`${name} is truncated or corrupt (length ${buf.length}, expected ${at + h.count * px + h.count})`);
  const ds: Dataset = {
    size: h.size, classes: h.classes,
    images: new Uint8Array(buf.buffer, buf.byteOffset + at, h.count * px),
    labels: new Uint8Array(buf.buffer, buf.byteOffset + at + h.count * px, h.count),
  };
  if (h.subjects) ds.subjects = h.subjects;
  if (h.files) ds.files = h.files;
  if (h.skipped) ds.skipped = h.skipped;
  return ds;
}

export interface CacheEvent { hit: boolean; file: string; ms: number }

/**
 * loadDataset, through a cache in `cacheDir` (created if missing). A hit returns the stored dataset; a miss
 * (or an unreadable cache file) loads normally, then stores the result and removes this dataset's older
 * cache files. `onEvent` reports which happened and how long it took.
 */
export async function loadDatasetCached(opts: LoadDatasetOptions, cacheDir: string, onEvent?: (e: CacheEvent) => void): Promise<Dataset> {
  const t0 = performance.now();
  const { file, key, prefix } = await datasetCacheKey(opts, cacheDir);
  let buf: Buffer | undefined;
  try { buf = await readFile(file); } catch { /* no cache yet */ }
  if (buf) {
    try {
      const ds = decodeDatasetCache(buf, file, key);
      onEvent?.({ hit: true, file, ms: performance.now() - t0 });
      return ds;
    } catch (e) {
      (opts.onWarning ?? console.warn)(`ferkit: ignoring dataset cache: ${(e as Error).message}`);
    }
  }
  const ds = await loadDataset(opts);
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, encodeDatasetCache(ds, key));
  await rename(tmp, file);
  for (const old of await readdir(cacheDir)) {
    if (old.startsWith(prefix) && old.endsWith('.ferds') && join(resolve(cacheDir), old) !== file) {
      await unlink(join(cacheDir, old)).catch(() => undefined);
    }
  }
  onEvent?.({ hit: false, file, ms: performance.now() - t0 });
  return ds;
}
