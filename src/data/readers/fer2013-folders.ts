/**
 * FER2013 as image folders: `<root>/<split>/<class>/*.jpg` (or `<root>/<class>/*.jpg` when `root` is itself
 * one split). Classes are mapped through canonicalLabel onto the 7 FER labels in FER2013 code order, so label
 * i means the same thing as in the original CSV.
 */
import { join } from 'node:path';
import type { Dataset } from '../dataset.js';
import { canonicalLabel, FER_LABELS, ferIndex } from '../labels.js';
import { addSkipped, assertDirectory, decodeLabelled, isImageFile, listFolder, type LabelledFile, type ReaderOptions } from './common.js';

export interface Fer2013FolderOptions extends ReaderOptions {
  /** the split folder under root, e.g. 'train' or 'publictest'; omit when root holds the class folders itself */
  split?: string;
}

export async function readFer2013Folders(root: string, opts: Fer2013FolderOptions = {}): Promise<Dataset> {
  await assertDirectory(root, 'FER2013 folders');
  let dir = root;
  if (opts.split !== undefined) {
    dir = join(root, opts.split);
    try { await assertDirectory(dir, 'FER2013 folders'); }
    catch {
      const { dirs } = await listFolder(root);
      throw new Error(`FER2013 folders: split '${opts.split}' not found under ${root} (sub-folders: ${dirs.join(', ') || 'none'})`);
    }
  }
  const { dirs } = await listFolder(dir);
  const known = dirs.filter((d) => canonicalLabel(d) !== undefined);
  if (known.length === 0) {
    const hint = opts.split === undefined && dirs.length ? `; if these are splits (${dirs.join(', ')}), pass split` : '';
    throw new Error(`FER2013 folders: no expression class folders (angry, disgust, ...) in ${dir}${hint}`);
  }
  const unknown = dirs.filter((d) => { const c = canonicalLabel(d); return c === undefined || ferIndex(c) < 0; });
  if (unknown.length) {
    throw new Error(`FER2013 folders: ${dir} has folders that are not FER2013 classes: ${unknown.join(', ')} (expected ${FER_LABELS.join(', ')}; use format 'folder' for other layouts)`);
  }

  const files: LabelledFile[] = [];
  const skipped: { reason: string; count: number }[] = [];
  for (const d of dirs) {
    const label = ferIndex(canonicalLabel(d)!);
    const listing = await listFolder(join(dir, d));
    for (const f of listing.files) {
      if (isImageFile(f)) files.push({ path: join(dir, d, f), label });
      else addSkipped(skipped, 'not an image file (extension)');
    }
  }
  return decodeLabelled(files, [...FER_LABELS], opts, skipped);
}
