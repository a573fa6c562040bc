/**
 * Any user folder `<root>/<class>/*`. Class names go through canonicalLabel, so 'Happiness' and 'happy'
 * both mean FER's happy.
 *
 * Classes: when every folder is a known expression, the classes are the 7 FER labels in FER order (plus
 * contempt last if there is a contempt folder), so labels match a FER2013-trained model. Otherwise, with
 * allowCustomClasses, each distinct (canonicalised) folder name is its own class, sorted by name.
 */
import { join } from 'node:path';
import type { Dataset } from '../dataset.js';
import { canonicalLabel, CONTEMPT, FER_LABELS } from '../labels.js';
import { addSkipped, assertDirectory, decodeLabelled, isImageFile, listFolder, byName, type LabelledFile, type ReaderOptions } from './common.js';

export interface FolderOptions extends ReaderOptions {
  /** allow folder names that are not known expressions, each becoming its own class (default false) */
  allowCustomClasses?: boolean;
}

export async function readFolder(root: string, opts: FolderOptions = {}): Promise<Dataset> {
  await assertDirectory(root, 'Image folder');
  const warn = opts.onWarning ?? ((m: string) => console.warn(m));
  const { dirs, files: loose } = await listFolder(root);
  if (dirs.length === 0) throw new Error(`Image folder ${root} has no class sub-folders (expected <root>/<class>/<image>)`);
  if (loose.length) warn(`ferkit: ignoring ${loose.length} files directly in ${root} (images must be in class folders)`);
  const unknown = dirs.filter((d) => canonicalLabel(d) === undefined);
  if (unknown.length && !opts.allowCustomClasses) {
    throw new Error(`Image folder ${root}: unknown class folders ${unknown.join(', ')} (known: ${FER_LABELS.join(', ')}, ${CONTEMPT} and aliases such as happiness, sadness); to keep them as classes of their own, pass allowCustomClasses: true (library) or --custom-classes (ferkit train)`);
  }
  const nameOf = (d: string) => canonicalLabel(d) ?? d;
  let classes: string[];
  if (unknown.length === 0) {
    classes = [...FER_LABELS];
    if (dirs.some((d) => nameOf(d) === CONTEMPT)) classes.push(CONTEMPT);
  } else {
    classes = [...new Set(dirs.map(nameOf))].sort(byName);
  }
  if (classes.length > 256) throw new Error(`Image folder ${root}: ${classes.length} classes, but labels are stored as bytes (at most 256)`);

  const files: LabelledFile[] = [];
  const skipped: { reason: string; count: number }[] = [];
  for (const d of dirs) {
    const label = classes.indexOf(nameOf(d));
    const listing = await listFolder(join(root, d));
    for (const f of listing.files) {
      if (isImageFile(f)) files.push({ path: join(root, d, f), label });
      else addSkipped(skipped, 'not an image file (extension)');
    }
  }
  return decodeLabelled(files, classes, opts, skipped);
}
