import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { classCounts } from '../../src/data/dataset.js';
import { FER_LABELS } from '../../src/data/labels.js';
import { loadDataset } from '../../src/data/readers/index.js';
import { readFer2013Csv } from '../../src/data/readers/fer2013-csv.js';
import { readFer2013Folders } from '../../src/data/readers/fer2013-folders.js';
import { readCkPlus } from '../../src/data/readers/ckplus.js';
import { readJaffe } from '../../src/data/readers/jaffe.js';
import { readFolder } from '../../src/data/readers/folder.js';
import { put, putGray, tempDir, warnings } from './fixtures.js';

const tmp = await tempDir('readers');
after(tmp.cleanup);
const P = (...parts: string[]) => join(tmp.dir, ...parts);
const pixels = (v: number, n = 2304) => new Array(n).fill(v).join(' ');
let csv = '';

// All fixtures are written before any test runs (tests start as soon as they are declared).
before(async () => {
  csv = await put(P('fer.csv'), [
    'emotion,pixels,Usage',
    `3,${pixels(10)},Training`,
    `2,${pixels(20, 2303)},Training`, // bad: one pixel short (line 3)
    `6,${pixels(200)},PublicTest`,
    '',
  ].join('\n'));
  await putGray(P('fer', 'train', 'angry', 'a1.jpg'), 10, 'jpeg');
  await putGray(P('fer', 'train', 'angry', 'a2.jpg'), 12, 'jpeg');
  await putGray(P('fer', 'train', 'happy', 'h1.jpg'), 30, 'jpeg');
  await putGray(P('fer', 'train', 'neutral', 'n1.jpg'), 60, 'jpeg');
  await put(P('fer', 'train', 'neutral', 'Thumbs.db'), 'x');
  await putGray(P('fer', 'publictest', 'sad', 's1.jpg'), 40, 'jpeg');
  for (const [cls, file, level] of [
    ['anger', 'S005_001_00000010.png', 20], ['anger', 'S010_002_00000011.png', 21],
    ['happy', 'S005_003_00000020.png', 90], ['contempt', 'S010_004_00000015.png', 70], ['contempt', 'S005_004_00000016.png', 71],
  ] as const) await putGray(P('ck', cls, file), level);
  await putGray(P('jaffe', 'KA.AN1.39.tiff'), 15, 'tiff', 64, 64);
  await putGray(P('jaffe', 'KA.HA2.40.tiff'), 25, 'tiff', 64, 64);
  await putGray(P('jaffe', 'YM.SU1.50.tiff'), 35, 'tiff', 64, 64);
  await putGray(P('jaffe', 'oddname.tiff'), 45, 'tiff');
  await put(P('jaffe', 'README.txt'), 'readme');
  await putGray(P('mine', 'Happiness', 'a.png'), 50);
  await putGray(P('mine', 'Happiness', 'b.webp'), 51, 'webp');
  await putGray(P('mine', 'sad', 'c.jpg'), 60, 'jpeg', 60, 40);
  await put(P('mine', 'sad', 'broken.jpg'), 'not really a jpeg');
  await putGray(P('mine', 'Anger', 'd.tif'), 70, 'tiff');
});

// ---------------------------------------------------------------- FER2013 CSV

test('FER CSV: a bad row fails with its line number', async () => {
  await assert.rejects(readFer2013Csv(csv), (e: Error) => e.message.includes('line 3') && e.message.includes('fer.csv') && e.message.includes('2304'));
});

test('FER CSV: skipBadRows skips and counts the bad row', async () => {
  const w = warnings();
  const progress: [number, number][] = [];
  const ds = await readFer2013Csv(csv, { skipBadRows: true, onWarning: w.onWarning, onProgress: (d, t) => progress.push([d, t]) });
  assert.equal(ds.size, 48);
  assert.deepEqual([...ds.labels], [3, 6]);
  assert.deepEqual(ds.classes, [...FER_LABELS]);
  assert.equal(ds.images[0], 10); assert.equal(ds.images[2304 + 2303], 200);
  assert.deepEqual(ds.skipped, [{ reason: 'malformed CSV row', count: 1 }]);
  assert.equal(w.list.length, 1); assert.match(w.list[0], /line 3/);
  const [d, t] = progress[progress.length - 1]; assert.equal(d, t);
});

test('FER CSV: usage selects a split (case-insensitive, aliases)', async () => {
  const pub = await readFer2013Csv(csv, { usage: 'publictest' });
  assert.deepEqual([...pub.labels], [6]);
  const train = await loadDataset({ format: 'fer2013-csv', path: csv, split: 'train', skipBadRows: true, onWarning: () => {} });
  assert.deepEqual([...train.labels], [3]);
  await assert.rejects(readFer2013Csv(csv, { usage: 'holdout' }), /unknown usage 'holdout'/);
});

test('FER CSV: header and value errors are explicit', async () => {
  const noHeader = await put(P('nohdr.csv'), `0,${pixels(1)},Training\n`);
  await assert.rejects(readFer2013Csv(noHeader), /line 1: expected a header/);
  const badEmotion = await put(P('emo.csv'), `emotion,pixels,Usage\n9,${pixels(1)},Training\n`);
  await assert.rejects(readFer2013Csv(badEmotion), /line 2: emotion '9'/);
  const badPixel = await put(P('px.csv'), `emotion,pixels,Usage\n1,${pixels(300)},Training\n`);
  await assert.rejects(readFer2013Csv(badPixel), /line 2: pixels must be integers 0\.\.255/);
  await assert.rejects(readFer2013Csv(P('nope.csv')), /not found: .*nope\.csv/);
});

// ---------------------------------------------------------------- FER2013 folders

test('FER folders: split folder, FER label order, non-images skipped', async () => {
  const ds = await readFer2013Folders(P('fer'), { split: 'train' });
  assert.deepEqual(ds.classes, [...FER_LABELS]);
  assert.deepEqual(classCounts(ds), [2, 0, 0, 1, 0, 0, 1]);
  assert.deepEqual([...ds.labels], [0, 0, 3, 6]);
  assert.deepEqual(ds.skipped, [{ reason: 'not an image file (extension)', count: 1 }]);
  assert.equal(ds.files?.length, 4);
  const pub = await loadDataset({ format: 'fer2013', path: P('fer'), split: 'publictest' });
  assert.deepEqual([...pub.labels], [4]);
});

test('FER folders: class folders directly under root; helpful errors', async () => {
  const ds = await readFer2013Folders(P('fer', 'train'));
  assert.equal(ds.labels.length, 4);
  await assert.rejects(readFer2013Folders(P('fer')), /pass split/);
  await assert.rejects(readFer2013Folders(P('fer'), { split: 'val' }), /split 'val' not found.*publictest, train/);
  await putGray(P('ferbad', 'happy', 'x.png'), 1);
  await putGray(P('ferbad', 'contempt', 'x.png'), 1);
  await putGray(P('ferbad', 'bored', 'x.png'), 1);
  await assert.rejects(readFer2013Folders(P('ferbad')), /not FER2013 classes: bored, contempt/);
});

// ---------------------------------------------------------------- CK+

test('CK+: subjects from file names, contempt skipped by default with a warning', async () => {
  const w = warnings();
  const ds = await readCkPlus(P('ck'), { onWarning: w.onWarning });
  assert.deepEqual(ds.classes, [...FER_LABELS]);
  assert.deepEqual([...ds.labels], [0, 0, 3]);
  assert.deepEqual(ds.subjects, ['S005', 'S010', 'S005']);
  assert.deepEqual(ds.skipped, [{ reason: 'contempt (keepContempt: false)', count: 2 }]);
  assert.equal(w.list.length, 1);
  assert.match(w.list[0], /skipped 2 contempt/); assert.match(w.list[0], /keepContempt: true/);
});

test('CK+: keepContempt adds contempt as class 7', async () => {
  const w = warnings();
  const ds = await loadDataset({ format: 'ckplus', path: P('ck'), keepContempt: true, onWarning: w.onWarning });
  assert.deepEqual(ds.classes, [...FER_LABELS, 'contempt']);
  assert.deepEqual(classCounts(ds), [2, 0, 0, 1, 0, 0, 0, 2]);
  assert.equal(ds.skipped, undefined);
  assert.deepEqual(w.list, []);
});

test('CK+: a file without a subject id is an error naming it', async () => {
  await putGray(P('ckbad', 'happy', 'face.png'), 1);
  await assert.rejects(readCkPlus(P('ckbad')), /face\.png does not start with a subject id/);
});

// ---------------------------------------------------------------- JAFFE

test('JAFFE: subject and expression from names', async () => {
  const w = warnings();
  const ds = await readJaffe(P('jaffe'), { onWarning: w.onWarning });
  assert.deepEqual([...ds.labels], [0, 3, 5]);
  assert.deepEqual(ds.subjects, ['KA', 'KA', 'YM']);
  assert.equal(ds.images[2304 * 2], 35);
  assert.equal(ds.skipped?.reduce((s, x) => s + x.count, 0), 2);
  assert.match(w.list.join('\n'), /oddname\.tiff/);
});

// ---------------------------------------------------------------- generic folder

test('folder: aliases map to FER classes; undecodable files warned and skipped', async () => {
  const w = warnings();
  const ds = await readFolder(P('mine'), { onWarning: w.onWarning });
  assert.deepEqual(ds.classes, [...FER_LABELS]);
  assert.deepEqual([...ds.labels], [0, 3, 3, 4]);
  assert.deepEqual(ds.skipped, [{ reason: 'could not be decoded', count: 1 }]);
  assert.equal(w.list.length, 1);
  assert.match(w.list[0], /broken\.jpg/);
});

test('folder: unknown class folders need allowCustomClasses', async () => {
  await putGray(P('custom', 'happy', 'a.png'), 1);
  await putGray(P('custom', 'thinking', 'b.png'), 2);
  await putGray(P('custom', 'bored', 'c.png'), 3);
  await assert.rejects(readFolder(P('custom')), /unknown class folders bored, thinking.*allowCustomClasses/);
  const ds = await loadDataset({ format: 'folder', path: P('custom'), allowCustomClasses: true });
  assert.deepEqual(ds.classes, ['bored', 'happy', 'thinking']);
  assert.deepEqual([...ds.labels], [0, 1, 2]);
});

test('loadDataset: unknown format and missing path', async () => {
  await assert.rejects(loadDataset({ format: 'mnist' as never, path: tmp.dir }), /unknown format 'mnist'.*fer2013, fer2013-csv, ckplus, jaffe, folder/);
  await assert.rejects(loadDataset({ format: 'ckplus', path: P('does-not-exist') }), /ckplus dataset not found at .*does-not-exist/);
  const ds = await loadDataset({ format: 'jaffe', path: P('jaffe'), onWarning: () => {} });
  assert.equal(ds.labels.length, 3);
});
