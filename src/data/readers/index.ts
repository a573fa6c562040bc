/** One entry point for every dataset layout: loadDataset({ format, path, ... }). */
import { stat } from 'node:fs/promises';
import type { Dataset } from '../dataset.js';
import type { ReaderOptions } from './common.js';
import { readCkPlus } from './ckplus.js';
import { readFer2013Csv } from './fer2013-csv.js';
import { readFer2013Folders } from './fer2013-folders.js';
import { readFolder } from './folder.js';
import { readJaffe } from './jaffe.js';

export const DATASET_FORMATS = ['fer2013', 'fer2013-csv', 'ckplus', 'jaffe', 'folder'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface LoadDatasetOptions extends ReaderOptions {
  format: DatasetFormat;
  /** the dataset folder (or the CSV file for fer2013-csv) */
  path: string;
  /** fer2013: split folder (train, publictest); fer2013-csv: Usage (Training, PublicTest, PrivateTest) */
  split?: string;
  /** ckplus: keep contempt as an 8th class */
  keepContempt?: boolean;
  /** folder: keep unknown class folder names as classes */
  allowCustomClasses?: boolean;
  /** fer2013-csv: skip malformed rows instead of failing */
  skipBadRows?: boolean;
}

export async function loadDataset(opts: LoadDatasetOptions): Promise<Dataset> {
  if (!(DATASET_FORMATS as readonly string[]).includes(opts.format)) {
    throw new Error(`loadDataset: unknown format '${opts.format}' (expected one of ${DATASET_FORMATS.join(', ')})`);
  }
  if (!opts.path) throw new Error(`loadDataset: no path given for format '${opts.format}'`);
  try { await stat(opts.path); } catch { throw new Error(`loadDataset: ${opts.format} dataset not found at ${opts.path}`); }
  switch (opts.format) {
    case 'fer2013': return readFer2013Folders(opts.path, opts);
    case 'fer2013-csv': return readFer2013Csv(opts.path, { ...opts, usage: opts.split });
    case 'ckplus': return readCkPlus(opts.path, opts);
    case 'jaffe': return readJaffe(opts.path, opts);
    case 'folder': return readFolder(opts.path, opts);
  }
}

export { readCkPlus, readFer2013Csv, readFer2013Folders, readFolder, readJaffe };
export type { ReaderOptions };
export type { CkPlusOptions } from './ckplus.js';
export type { Fer2013CsvOptions } from './fer2013-csv.js';
export type { Fer2013FolderOptions } from './fer2013-folders.js';
export type { FolderOptions } from './folder.js';
export { IMAGE_EXTENSIONS } from './common.js';
