import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Augmenter } from '../../src/data/augment.js';
import { BatchIterator, EvalIterator } from '../../src/data/batches.js';
import type { Dataset } from '../../src/data/dataset.js';
import { INPUT_LUT } from '../../src/data/normalize.js';

// 23 images of 4x4, image i filled with level i*10, label i % 3.
const ds: Dataset = {
  size: 4, classes: ['a', 'b', 'c'],
  images: Uint8Array.from({ length: 23 * 16 }, (_, j) => Math.floor(j / 16) * 10),
  labels: Uint8Array.from({ length: 23 }, (_, i) => i % 3),
};

test('epoch order is a seeded permutation independent of history', () => {
  const it = new BatchIterator(ds, undefined, { batchSize: 5, seed: 11 });
  assert.equal(it.batchesPerEpoch, 4);
  it.setEpoch(3); const e3 = Array.from(it.order);
  const fresh = new BatchIterator(ds, undefined, { batchSize: 5, seed: 11 });
  for (const e of [0, 1, 2, 5]) fresh.setEpoch(e);
  fresh.setEpoch(3);
  assert.deepEqual(Array.from(fresh.order), e3);
  assert.deepEqual([...e3].sort((a, b) => a - b), Array.from({ length: 23 }, (_, i) => i));
  it.setEpoch(4); assert.notDeepEqual(Array.from(it.order), e3);
  assert.notDeepEqual(Array.from(new BatchIterator(ds, undefined, { batchSize: 5, seed: 12 }).order), Array.from(new BatchIterator(ds, undefined, { batchSize: 5, seed: 11 }).order));
});

test('fill writes normalised images and labels; training drops the partial batch', () => {
  const idx = [2, 4, 6, 8, 10, 12, 14];
  const it = new BatchIterator(ds, idx, { batchSize: 3, seed: 1 });
  assert.equal(it.batchesPerEpoch, 2);
  const x = new Float32Array(3 * 16), y = new Int32Array(3), seen: number[] = [];
  for (let b = 0; b < it.batchesPerEpoch; b++) {
    assert.equal(it.fill(b, x, y), 3);
    for (let k = 0; k < 3; k++) {
      const i = it.batchIndices(b)[k];
      seen.push(i);
      assert.equal(y[k], ds.labels[i]);
      assert.equal(x[k * 16 + 5], INPUT_LUT[i * 10]);
    }
  }
  assert.equal(new Set(seen).size, 6);
  assert.ok(seen.every((i) => idx.includes(i)));
  assert.throws(() => it.fill(2, x, y), /outside 0\.\.1/);
  assert.throws(() => it.fill(0, new Float32Array(10), y), /input buffer/);
});

test('augmented batches are reproducible per (seed, epoch, batch) in any fill order', () => {
  const aug = new Augmenter({ size: 4, shift: 1, rotate: 0 });
  const a = new BatchIterator(ds, undefined, { batchSize: 4, seed: 5 }), b = new BatchIterator(ds, undefined, { batchSize: 4, seed: 5 });
  const xa = new Float64Array(64), xb = new Float64Array(64), y = new Int32Array(4);
  a.setEpoch(2); b.setEpoch(2);
  b.fill(0, xb, y, aug); b.fill(3, xb, y, aug);
  a.fill(3, xa, y, aug);
  assert.deepEqual(xa, xb);
  assert.throws(() => a.fill(0, xa, y, new Augmenter({ size: 8 })), /augmenter is for 8x8/);
});

test('EvalIterator covers every sample once, in order, with a partial last batch', () => {
  const it = new EvalIterator(ds, undefined, 10);
  assert.equal(it.batchesPerEpoch, 3);
  const x = new Float32Array(160), y = new Int32Array(10), got: number[] = [];
  for (let b = 0; b < it.batchesPerEpoch; b++) {
    const n = it.fill(b, x, y);
    for (let k = 0; k < n; k++) got.push(x[k * 16] === INPUT_LUT[(got.length) * 10] ? got.length : -1);
  }
  assert.deepEqual(got, Array.from({ length: 23 }, (_, i) => i));
  it.setEpoch(9);
  assert.deepEqual(Array.from(it.order), Array.from({ length: 23 }, (_, i) => i));
});
