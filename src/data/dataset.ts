/**
 * The in-memory form of every dataset: 8-bit grayscale faces packed back to back. Uint8 keeps FER2013's
 * training split at 66 MB instead of 265 MB as float32; images become floats only batch by batch.
 */
export interface Dataset {
  /** side of every (square) image in pixels, normally 48 */
  size: number;
  /** n * size * size bytes, image after image, each row-major */
  images: Uint8Array;
  /** per image, the index of its class in `classes` */
  labels: Uint8Array;
  /** class names; label i means classes[i] */
  classes: string[];
  /** per image, the subject (person) id, e.g. 'S005', where the dataset records it (CK+, JAFFE) */
  subjects?: string[];
  /** per image, the file it came from (or 'line N' for the CSV) */
  files?: string[];
  /** what the reader left out and why, e.g. [{ reason: 'contempt (keepContempt: false)', count: 54 }] */
  skipped?: { reason: string; count: number }[];
}

/** Number of images. */
export function datasetLength(ds: Dataset): number {
  return ds.labels.length;
}

/** One image's pixels, as a view (no copy). */
export function imageAt(ds: Dataset, i: number): Uint8Array {
  const n = ds.size * ds.size;
  return ds.images.subarray(i * n, (i + 1) * n);
}

/** A new dataset holding the given images, in the given order (copied, so it outlives `ds`). */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const px = ds.size * ds.size, count = ds.labels.length;
  const images = new Uint8Array(indices.length * px), labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`subset: index ${i} (position ${k}) is outside 0..${count - 1}`);
    images.set(ds.images.subarray(i * px, (i + 1) * px), k * px);
    labels[k] = ds.labels[i];
  }
  const out: Dataset = { size: ds.size, images, labels, classes: [...ds.classes] };
  if (ds.subjects) out.subjects = Array.from(indices, (i) => ds.subjects![i]);
  if (ds.files) out.files = Array.from(indices, (i) => ds.files![i]);
  return out;
}

/** Images per class, indexed like `ds.classes`. */
export function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.classes.length).fill(0);
  for (let i = 0; i < ds.labels.length; i++) counts[ds.labels[i]]++;
  return counts;
}

/**
 * Several datasets as one. Classes are matched by name: the result's classes are the first dataset's, then
 * any new names in order of appearance, and labels are remapped accordingly. Sizes must agree (resizing
 * here would hide a mistake). Subjects/files are kept only if every part has them.
 */
export function concat(parts: Dataset[]): Dataset {
  if (parts.length === 0) throw new Error('concat: no datasets given');
  const size = parts[0].size;
  const classes: string[] = [];
  for (const [p, ds] of parts.entries()) {
    if (ds.size !== size) throw new Error(`concat: dataset ${p} has ${ds.size}x${ds.size} images but dataset 0 has ${size}x${size}`);
    for (const c of ds.classes) if (!classes.includes(c)) classes.push(c);
  }
  const total = parts.reduce((s, ds) => s + ds.labels.length, 0), px = size * size;
  const images = new Uint8Array(total * px), labels = new Uint8Array(total);
  let at = 0;
  for (const ds of parts) {
    const remap = ds.classes.map((c) => classes.indexOf(c));
    images.set(ds.images.subarray(0, ds.labels.length * px), at * px);
    for (let i = 0; i < ds.labels.length; i++) labels[at + i] = remap[ds.labels[i]];
    at += ds.labels.length;
  }
  const out: Dataset = { size, images, labels, classes };
  if (parts.every((ds) => ds.subjects)) out.subjects = parts.flatMap((ds) => ds.subjects!);
  if (parts.every((ds) => ds.files)) out.files = parts.flatMap((ds) => ds.files!);
  const skipped = new Map<string, number>();
  for (const ds of parts) for (const s of ds.skipped ?? []) skipped.set(s.reason, (skipped.get(s.reason) ?? 0) + s.count);
  if (skipped.size) out.skipped = [...skipped].map(([reason, count]) => ({ reason, count }));
  return out;
}
