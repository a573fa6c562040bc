/**
 * CK+ face crops (e.g. CK+48): `<root>/<class>/S###_###_########.png`, the class folder names being CK+'s
 * (anger, contempt, disgust, fear, happy, sadness, surprise). The `S###` prefix is the subject: CK+ has
 * several frames per person, so honest evaluation must keep each person on one side (see subjectKFold).
 *
 * Classes are the 7 FER labels in FER order (CK+48 has no neutral folder, so that class is simply empty), so
 * a FER2013 model's outputs line up. Contempt, which FER2013 lacks, becomes an 8th class only on request.
 */
import { basename, join } from 'node:path';
import type { Dataset } from '../dataset.js';
import { canonicalLabel, CONTEMPT, FER_LABELS, ferIndex } from '../labels.js';
import { addSkipped, assertDirectory, decodeLabelled, isImageFile, listFolder, type LabelledFile, type ReaderOptions } from './common.js';

export interface CkPlusOptions extends ReaderOptions {
  /** keep contempt as class 7 (default false: contempt images are skipped and counted) */
  keepContempt?: boolean;
}

const SUBJECT = /^(S\d+)_/i;

export async function readCkPlus(root: string, opts: CkPlusOptions = {}): Promise<Dataset> {
  await assertDirectory(root, 'CK+');
  const warn = opts.onWarning ?? ((m: string) => console.warn(m));
  const { dirs } = await listFolder(root);
  const unknown = dirs.filter((d) => canonicalLabel(d) === undefined);
  if (unknown.length) throw new Error(`CK+: ${root} has folders that are not expression classes: ${unknown.join(', ')}`);
  if (dirs.length === 0) throw new Error(`CK+: no class folders in ${root}`);

  const classes: string[] = [...FER_LABELS];
  if (opts.keepContempt) classes.push(CONTEMPT);
  const files: LabelledFile[] = [];
  const skipped: { reason: string; count: number }[] = [];
  let contemptSkipped = 0;
  for (const d of dirs) {
    const name = canonicalLabel(d)!;
    const listing = await listFolder(join(root, d));
    const images = listing.files.filter(isImageFile);
    addSkipped(skipped, 'not an image file (extension)', listing.files.length - images.length);
    if (name === CONTEMPT && !opts.keepContempt) { contemptSkipped += images.length; continue; }
    const label = name === CONTEMPT ? classes.length - 1 : ferIndex(name);
    for (const f of images) {
      const m = SUBJECT.exec(basename(f));
      if (!m) throw new Error(`CK+: file name ${join(root, d, f)} does not start with a subject id like S005_ (use format 'folder' for data without subjects)`);
      files.push({ path: join(root, d, f), label, subject: m[1].toUpperCase() });
    }
  }
  if (contemptSkipped) {
    addSkipped(skipped, 'contempt (keepContempt: false)', contemptSkipped);
    warn(`ferkit: CK+: skipped ${contemptSkipped} contempt images (not a FER2013 class); keep them as an 8th class with keepContempt: true (library) or --keep-contempt (CLI)`);
  }
  return decodeLabelled(files, classes, opts, skipped);
}
