/**
 * The original Kaggle FER2013 file: `emotion,pixels,Usage`, one face per line, pixels as 2304 space-separated
 * integers. The file is ~300 MB, so it is streamed line by line and only the wanted split is kept.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Dataset } from '../dataset.js';
import { FER_LABELS } from '../labels.js';
import { addSkipped, type ReaderOptions } from './common.js';

export interface Fer2013CsvOptions extends Omit<ReaderOptions, 'concurrency' | 'maxPixels' | 'size'> {
  /** keep only this split: Training, PublicTest or PrivateTest (case-insensitive; also train / val / test) */
  usage?: string;
  /** skip malformed rows (counted in `skipped`, each warned) instead of failing on the first one */
  skipBadRows?: boolean;
}

const USAGE_ALIASES: Record<string, string> = {
  training: 'training', train: 'training',
  publictest: 'publictest', val: 'publictest', validation: 'publictest',
  privatetest: 'privatetest', test: 'privatetest',
};

/** Parses `text` as space-separated uint8 values into out[at..]; returns how many, or -1 for a bad token. */
function parsePixels(text: string, out: Uint8Array, at: number, max: number): number {
  let count = 0, value = 0, inNumber = false;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    if (c >= 48 && c <= 57) { value = value * 10 + (c - 48); inNumber = true; if (value > 255) return -1; }
    else if (c === 32 || c === 9 || c === 13) {
      if (inNumber) { if (count >= max) return max + 1; out[at + count++] = value; value = 0; inNumber = false; }
    } else return -1;
  }
  return count;
}

export async function readFer2013Csv(path: string, opts: Fer2013CsvOptions = {}): Promise<Dataset> {
  const warn = opts.onWarning ?? ((m: string) => console.warn(m));
  let total: number;
  try { total = (await stat(path)).size; } catch { throw new Error(`FER2013 CSV not found: ${path}`); }
  let wantUsage: string | undefined;
  if (opts.usage !== undefined) {
    wantUsage = USAGE_ALIASES[opts.usage.toLowerCase()];
    if (!wantUsage) throw new Error(`FER2013 CSV: unknown usage '${opts.usage}' (expected Training, PublicTest or PrivateTest)`);
  }

  const stream = createReadStream(path, { encoding: 'latin1', highWaterMark: 1 << 20 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const skipped: { reason: string; count: number }[] = [];
  let size = 0, px = 0, n = 0, lineNo = 0;
  let images = new Uint8Array(0), labels = new Uint8Array(0);
  let col = { emotion: -1, pixels: -1, usage: -1 };
  const files: string[] = [];

  const bad = (why: string) => {
    const msg = `${path} line ${lineNo}: ${why}`;
    if (!opts.skipBadRows) throw new Error(`FER2013 CSV ${msg} (pass skipBadRows to skip such rows)`);
    warn(`ferkit: skipping FER2013 CSV ${msg}`);
    addSkipped(skipped, 'malformed CSV row');
  };

  try {
    for await (const line of lines) {
      lineNo++;
      if (lineNo === 1) {
        const names = line.trim().toLowerCase().split(',');
        col = { emotion: names.indexOf('emotion'), pixels: names.indexOf('pixels'), usage: names.indexOf('usage') };
        if (col.emotion < 0 || col.pixels < 0) throw new Error(`FER2013 CSV ${path} line 1: expected a header with 'emotion' and 'pixels' columns, got '${line.slice(0, 80)}'`);
        if (wantUsage && col.usage < 0) throw new Error(`FER2013 CSV ${path}: option usage='${opts.usage}' given but the file has no Usage column`);
        continue;
      }
      if (opts.onProgress && (lineNo & 255) === 0) opts.onProgress(stream.bytesRead, total);
      if (line.trim() === '') continue;
      const fields = line.split(',');
      if (fields.length < 2 || fields.length <= Math.max(col.emotion, col.pixels, col.usage)) { bad(`expected ${col.usage < 0 ? 2 : 3} comma-separated fields, got ${fields.length}`); continue; }
      if (wantUsage && USAGE_ALIASES[fields[col.usage].trim().toLowerCase()] !== wantUsage) {
        if (!USAGE_ALIASES[fields[col.usage].trim().toLowerCase()]) bad(`unknown Usage '${fields[col.usage]}'`);
        continue;
      }
      const emotion = Number(fields[col.emotion]);
      if (!Number.isInteger(emotion) || emotion < 0 || emotion >= FER_LABELS.length) { bad(`emotion '${fields[col.emotion]}' is not an integer 0..6`); continue; }

      if (size === 0) {
        // The first data row fixes the image size (48 in FER2013; sqrt of the pixel count in general).
        const count = fields[col.pixels].trim().split(/\s+/).length, side = Math.round(Math.sqrt(count));
        if (side * side !== count) { bad(`${count} pixel values is not a square image`); continue; }
        size = side; px = side * side;
      }
      if ((n + 1) * px > images.length) {
        const grown = new Uint8Array(Math.max(1024, n * 2) * px); grown.set(images); images = grown;
        const gl = new Uint8Array(grown.length / px); gl.set(labels); labels = gl;
      }
      const count = parsePixels(fields[col.pixels], images, n * px, px);
      if (count === -1) { bad('pixels must be integers 0..255 separated by spaces'); continue; }
      if (count !== px) { bad(`expected ${px} pixel values, got ${count > px ? 'more' : count}`); continue; }
      labels[n] = emotion;
      files.push(`${path}:${lineNo}`);
      n++;
    }
  } finally {
    lines.close(); stream.destroy();
  }
  if (lineNo === 0) throw new Error(`FER2013 CSV ${path} is empty`);
  opts.onProgress?.(total, total);
  const ds: Dataset = {
    size: size || 48, images: images.slice(0, n * px), labels: labels.slice(0, n), classes: [...FER_LABELS], files,
  };
  if (skipped.length) ds.skipped = skipped;
  return ds;
}
