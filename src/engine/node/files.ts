// File helpers for Node: atomic writes (write a temp file in the same folder, fsync, rename), so a
// crash or Ctrl-C never leaves a half-written model or checkpoint where a good one was.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { decodeModel, encodeModel, type ModelData } from '../model-file.js';

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** Writes the model atomically, in m.storedAs's dtype (F32 unless it was loaded from an F16 file). */
export function saveModel(path: string, m: ModelData): void { writeFileAtomic(path, encodeModel(m)); }

export function loadModel(path: string): ModelData {
  let bytes: Buffer;
  try { bytes = readFileSync(path); } catch (err: any) { throw new Error(`cannot read model file ${path}: ${err.code ?? err.message}`); }
  try { return decodeModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)); } catch (err: any) {
    throw new Error(`${path}: ${err.message}`);
  }
}
