/**
 * JAFFE: one flat folder of TIFFs named `<subject>.<code><n>.<id>.tiff`, e.g. `KA.AN1.39.tiff` = subject KA,
 * angry. The expression is the first two letters of the second field (AN DI FE HA SA SU NE).
 */
import { join } from 'node:path';
import type { Dataset } from '../dataset.js';
import { canonicalLabel, FER_LABELS, ferIndex } from '../labels.js';
import { addSkipped, assertDirectory, decodeLabelled, isImageFile, listFolder, type LabelledFile, type ReaderOptions } from './common.js';

export async function readJaffe(root: string, opts: ReaderOptions = {}): Promise<Dataset> {
  await assertDirectory(root, 'JAFFE');
  const warn = opts.onWarning ?? ((m: string) => console.warn(m));
  const { files: names } = await listFolder(root);
  const files: LabelledFile[] = [];
  const skipped: { reason: string; count: number }[] = [];
  const unnamed: string[] = [];
  for (const f of names) {
    if (!isImageFile(f)) { addSkipped(skipped, 'not an image file (extension)'); continue; }
    const fields = f.split('.');
    const label = fields.length >= 3 ? canonicalLabel(fields[1].slice(0, 2)) : undefined;
    if (label === undefined || ferIndex(label) < 0) { unnamed.push(f); continue; }
    files.push({ path: join(root, f), label: ferIndex(label), subject: fields[0].toUpperCase() });
  }
  if (unnamed.length) {
    addSkipped(skipped, 'name not in JAFFE form SUBJECT.CODEn.id.tiff', unnamed.length);
    warn(`ferkit: JAFFE: skipped ${unnamed.length} files in ${root} whose names are not like KA.AN1.39.tiff: ${unnamed.slice(0, 5).join(', ')}${unnamed.length > 5 ? ', ...' : ''}`);
  }
  if (files.length === 0) throw new Error(`JAFFE: no images named like KA.AN1.39.tiff in ${root}`);
  return decodeLabelled(files, [...FER_LABELS], opts, skipped);
}
