/**
 * Checks against the real datasets in ../shared (never copied into the repo). Skipped, with a message,
 * where ../shared is absent (a fresh clone, CI without the data).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { classCounts } from '../../src/data/dataset.js';
import { FER_LABELS } from '../../src/data/labels.js';
import { loadDataset } from '../../src/data/readers/index.js';
import { subjectKFold } from '../../src/data/splits.js';
import { sharedDir } from './fixtures.js';

const shared = await sharedDir();
const ckDir = shared && join(shared, 'datasets', 'ckplus48');
const ferDir = shared && join(shared, 'datasets', 'fer2013');
const ckSkip = ckDir && existsSync(ckDir) ? false : 'CK+48 not available (../shared/datasets/ckplus48 is absent); skipping the real-data check';
const ferSkip = ferDir && existsSync(join(ferDir, 'publictest')) ? false : 'FER2013 not available (../shared/datasets/fer2013/publictest is absent); skipping the real-data check';

test('CK+48: 981 images in 7 folders, contempt skipped by default, no subject leak in 10 folds', { skip: ckSkip }, async () => {
  const folders = (await readdir(ckDir!, { withFileTypes: true })).filter((e) => e.isDirectory());
  assert.equal(folders.length, 7);
  const warned: string[] = [];
  const ds = await loadDataset({ format: 'ckplus', path: ckDir!, onWarning: (m) => warned.push(m) });
  const contempt = ds.skipped?.find((s) => s.reason.startsWith('contempt'))?.count ?? 0;
  assert.ok(contempt > 0, 'contempt images should be skipped by default');
  assert.equal(ds.labels.length + contempt, 981);
  assert.match(warned.join('\n'), new RegExp(`skipped ${contempt} contempt`));
  assert.deepEqual(ds.classes, [...FER_LABELS]);
  const all = await loadDataset({ format: 'ckplus', path: ckDir!, keepContempt: true });
  assert.equal(all.labels.length, 981);
  assert.equal(classCounts(all)[7], contempt);
  console.log(`# CK+48: ${ds.labels.length} images kept, ${contempt} contempt skipped, ${new Set(ds.subjects).size} subjects; counts ${classCounts(ds).join(' ')}`);

  const folds = subjectKFold(ds.subjects!, ds.labels, 10, 0);
  const covered = new Uint8Array(ds.labels.length);
  for (const f of folds) {
    const trainSubjects = new Set(Array.from(f.train, (i) => ds.subjects![i]));
    for (const i of f.test) { assert.ok(!trainSubjects.has(ds.subjects![i]), `subject ${ds.subjects![i]} in train and test`); covered[i]++; }
  }
  assert.ok(covered.every((c) => c === 1));
});

test('FER2013 publictest folders: 3,589 images, 7 classes', { skip: ferSkip }, async () => {
  const ds = await loadDataset({ format: 'fer2013', path: ferDir!, split: 'publictest' });
  assert.equal(ds.labels.length, 3589);
  assert.equal(ds.size, 48);
  assert.ok(classCounts(ds).every((c) => c > 0));
  assert.equal(ds.skipped, undefined);
});
