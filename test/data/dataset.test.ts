import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classCounts, concat, imageAt, subset, type Dataset } from '../../src/data/dataset.js';

const tiny = (levels: number[], labels: number[], classes: string[], subjects?: string[]): Dataset => ({
  size: 2, images: Uint8Array.from(levels.flatMap((l) => [l, l, l, l])), labels: Uint8Array.from(labels), classes, subjects,
});

test('subset copies the chosen images, labels and subjects in order', () => {
  const ds = tiny([10, 20, 30], [0, 1, 0], ['a', 'b'], ['S1', 'S2', 'S3']);
  const s = subset(ds, [2, 0]);
  assert.deepEqual([...s.images], [30, 30, 30, 30, 10, 10, 10, 10]);
  assert.deepEqual([...s.labels], [0, 0]);
  assert.deepEqual(s.subjects, ['S3', 'S1']);
  assert.throws(() => subset(ds, [3]), /index 3/);
});

test('classCounts counts per class including empty ones', () => {
  assert.deepEqual(classCounts(tiny([1, 2, 3], [0, 2, 2], ['a', 'b', 'c'])), [1, 0, 2]);
});

test('concat remaps labels by class name and rejects mixed sizes', () => {
  const a = tiny([1], [0], ['x', 'y']), b = tiny([2, 3], [0, 1], ['y', 'z']);
  const c = concat([a, b]);
  assert.deepEqual(c.classes, ['x', 'y', 'z']);
  assert.deepEqual([...c.labels], [0, 1, 2]);
  assert.deepEqual([...imageAt(c, 2)], [3, 3, 3, 3]);
  assert.throws(() => concat([a, { ...b, size: 3 }]), /3x3/);
});
