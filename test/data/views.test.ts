/**
 * Test-time views (src/data/views.ts): one layout for eval's dataset prediction and for the classifiers,
 * checked on hand-worked images, and the same inputs reaching the model from predictDataset and from
 * the pipeline's fillFaceViews.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageViews, defaultCropSize, writeViews } from '../../src/data/views.js';
import { tenCrop } from '../../src/data/augment.js';
import { predictDataset } from '../../src/eval/predict.js';
import { fillFaceViews } from '../../src/pipeline/face-views.js';
import type { Dataset } from '../../src/data/dataset.js';

const norm = (p: number) => (p / 255 - 0.5) / 0.25;

test('writeViews: the image, or the image then its mirror image, normalised, from an offset', () => {
  const img = new Uint8Array([0, 255, 51, 102]); // 2x2: [0 255; 51 102]
  const out = new Float32Array(1 + 8).fill(9);
  assert.equal(writeViews(img, 2, 'flip', out, 1), 2);
  const want = [9, ...[0, 255, 51, 102, /* mirror */ 255, 0, 102, 51].map(norm)];
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(out[i] - want[i]) < 1e-6, `value ${i}: ${out[i]} vs ${want[i]}`);
  const one = new Float32Array(4);
  assert.equal(writeViews(img, 2, 'none', one), 1);
  assert.deepEqual([...one], [0, 255, 51, 102].map((p) => Math.fround(norm(p))));
});

test('writeViews: ten-crop writes tenCrop\'s 10 views at the default crop side, or a given one', () => {
  const S = 12, img = new Uint8Array(S * S).map((_, i) => (i * 53) % 256);
  assert.equal(defaultCropSize(48), 44);
  assert.equal(defaultCropSize(S), 11);
  for (const crop of [undefined, 8]) {
    const out = new Float32Array(10 * S * S);
    assert.equal(writeViews(img, S, 'tencrop', out, 0, crop), 10);
    assert.deepEqual([...out], [...tenCrop(img, S, crop ?? 11)], `crop ${crop ?? 'default'}`);
  }
});

test('writeViews: a clear error for a short image, a short buffer or an unknown augmentation', () => {
  const img = new Uint8Array(4);
  assert.throws(() => writeViews(new Uint8Array(3), 2, 'none', new Float32Array(4)), /the image has 3 pixels, expected 2x2/);
  assert.throws(() => writeViews(img, 2, 'flip', new Float32Array(8), 1), /2 views of 2x2 at offset 1 need 9 values, the buffer has 8/);
  assert.throws(() => writeViews(img, 2, 'mirror' as never, new Float32Array(8)), /unknown tta 'mirror' \(expected none, flip, tencrop\)/);
});

test('averageViews: the mean of each image\'s consecutive rows; one view passes through', () => {
  // 2 images x 2 views, K = 3
  const logits = new Float32Array([1, 2, 3, 3, 2, 1, 0, 0, 0, 2, 0, -2]);
  assert.deepEqual([...averageViews(logits, 2, 3, 2)], [2, 2, 2, 1, 0, -1]);
  assert.deepEqual([...averageViews(logits, 4, 3, 1)], [...logits]);
  // 1 image x 3 views, K = 1: (0.1 + 0.2 + 0.4) / 3 rounded once to float32
  assert.equal(averageViews(new Float32Array([0.1, 0.2, 0.4]), 1, 1, 3)[0], Math.fround((Math.fround(0.1) + Math.fround(0.2) + Math.fround(0.4)) / 3));
  assert.throws(() => averageViews(logits, 3, 3, 2), /3 images of 2 views need 18 values, got 12/);
});

test('eval and the classifiers send a model the same inputs for the same faces', () => {
  const S = 6, n = 3, px = S * S;
  const images = new Uint8Array(n * px).map((_, i) => (i * 29 + (i >> 3)) % 256);
  const ds: Dataset = { size: S, images, labels: new Uint8Array(n), classes: ['a'] };
  for (const tta of ['none', 'flip'] as const) {
    const seen: Float32Array[] = [];
    predictDataset({ predict: (x, count) => { seen.push(Float32Array.from(x)); return new Float32Array(count); } }, ds, { tta, batch: n });
    const views = tta === 'flip' ? 2 : 1, input = new Float32Array(n * views * px);
    assert.equal(fillFaceViews(images, 0, n, S, tta, input), n * views);
    assert.deepEqual([...seen[0]], [...input], tta);
  }
});
