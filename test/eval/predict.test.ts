import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dataset } from '../../src/data/dataset.js';
import { tenCrop } from '../../src/data/augment.js';
import { INPUT_LUT } from '../../src/data/normalize.js';
import { averageProbabilities, ensemblePredictor, predictDataset } from '../../src/eval/predict.js';

const S = 8;
function dataset(n: number): Dataset {
  const images = new Uint8Array(n * S * S);
  for (let i = 0; i < images.length; i++) images[i] = (i * 37 + (i >> 6) * 11) & 255;
  return { size: S, images, labels: new Uint8Array(n), classes: ['a', 'b'] };
}

/** Logits [mean input, first input value] per image; records the counts it was called with. */
function fake(calls: number[]) {
  return {
    predict(x: Float32Array, count: number): Float32Array {
      calls.push(count);
      const px = x.length / count, out = new Float32Array(count * 2);
      for (let i = 0; i < count; i++) {
        let s = 0;
        for (let j = 0; j < px; j++) s += x[i * px + j];
        out[i * 2] = s / px; out[i * 2 + 1] = x[i * px];
      }
      return out;
    },
  };
}

test('predictDataset without TTA: every image once, in index order, in batches', () => {
  const ds = dataset(5), calls: number[] = [], progress: [number, number][] = [];
  const logits = predictDataset(fake(calls), ds, { batch: 2, indices: [4, 0, 2], onProgress: (d, t) => progress.push([d, t]) });
  assert.deepEqual(calls, [2, 1]);
  assert.deepEqual(progress, [[0, 3], [2, 3], [3, 3]]);
  assert.equal(logits.length, 6);
  [4, 0, 2].forEach((idx, k) => assert.ok(Math.abs(logits[k * 2 + 1] - INPUT_LUT[ds.images[idx * S * S]]) < 1e-6));
});

test('predictDataset with ten-crop averages the logits of the 10 crops', () => {
  const ds = dataset(3), calls: number[] = [];
  const logits = predictDataset(fake(calls), ds, { tta: 'tencrop', batch: 2, cropSize: 6 });
  assert.deepEqual(calls, [20, 10]);
  for (let i = 0; i < 3; i++) {
    const crops = tenCrop(ds.images.subarray(i * S * S, (i + 1) * S * S), S, 6);
    let mean = 0, first = 0;
    for (let v = 0; v < 10; v++) {
      let s = 0;
      for (let j = 0; j < S * S; j++) s += crops[v * S * S + j];
      mean += s / (S * S) / 10; first += crops[v * S * S] / 10;
    }
    assert.ok(Math.abs(logits[i * 2] - mean) < 1e-4, `image ${i}: ${logits[i * 2]} vs ${mean}`);
    assert.ok(Math.abs(logits[i * 2 + 1] - first) < 1e-4);
  }
});

test('predictDataset with flip averages the logits of each image and its mirror image', () => {
  const ds = dataset(3), calls: number[] = [];
  const logits = predictDataset(fake(calls), ds, { tta: 'flip', batch: 2 });
  assert.deepEqual(calls, [4, 2]);
  for (let i = 0; i < 3; i++) {
    const img = ds.images.subarray(i * S * S, (i + 1) * S * S);
    let s = 0;
    for (let j = 0; j < S * S; j++) s += INPUT_LUT[img[j]];
    // the mean is the same for both views; the first pixel of the mirror is the first row's last pixel
    assert.ok(Math.abs(logits[i * 2] - s / (S * S)) < 1e-5, `image ${i}: ${logits[i * 2]} vs ${s / (S * S)}`);
    const first = (INPUT_LUT[img[0]] + INPUT_LUT[img[S - 1]]) / 2;
    assert.ok(Math.abs(logits[i * 2 + 1] - first) < 1e-6, `image ${i}: ${logits[i * 2 + 1]} vs ${first}`);
  }
});

test('predictDataset checks its inputs and the model output', () => {
  const ds = dataset(2);
  assert.throws(() => predictDataset(fake([]), ds, { indices: [2] }), /index 2/);
  assert.throws(() => predictDataset(fake([]), ds, { tta: 'mirror' as never }), /unknown tta 'mirror' \(expected none, flip, tencrop\)/);
  assert.throws(() => predictDataset({ predict: () => new Float32Array(3) }, ds, { batch: 2 }), /returned 3 values for 2 inputs/);
  assert.equal(predictDataset(fake([]), ds, { indices: [] }).length, 0);
});

test('ensemblePredictor returns the log of the members\' averaged probabilities', () => {
  const ln3 = Math.log(3);
  // member a: softmax [0, ln 3] = [1/4, 3/4]; member b: [0, 0] = [1/2, 1/2]; per input, two inputs
  const a = { predict: () => Float32Array.of(0, ln3, ln3, 0) };
  const b = { predict: () => Float32Array.of(0, 0, 5, 5) };
  const z = ensemblePredictor([a, b]).predict(new Float32Array(2), 2);
  const p = Array.from(z, Math.exp);
  [0.375, 0.625, 0.625, 0.375].forEach((want, i) => assert.ok(Math.abs(p[i] - want) < 1e-6, `p[${i}] = ${p[i]}, want ${want}`));
  assert.ok(Math.abs(Array.from(ensemblePredictor([a]).predict(new Float32Array(2), 2), Math.exp)[1] - 0.75) < 1e-6);
  const c = { predict: () => Float32Array.of(0, 0, 0) };
  assert.throws(() => ensemblePredictor([a, c]).predict(new Float32Array(2), 2), /member 1 returned 3 values for 2 inputs/);
  assert.throws(() => ensemblePredictor([]), /at least one member/);
});

test('averageProbabilities takes each member at its own temperature', () => {
  const ln3 = Math.log(3);
  // [0, ln 3] at T = 1 and [0, 2 ln 3] at T = 2 are both [1/4, 3/4]; [0, 0] is [1/2, 1/2] at any T
  const p = Array.from(averageProbabilities([Float32Array.of(0, ln3), Float32Array.of(0, 2 * ln3)], 2, [1, 2]), Math.exp);
  [0.25, 0.75].forEach((want, i) => assert.ok(Math.abs(p[i] - want) < 1e-6, `p[${i}] = ${p[i]}, want ${want}`));
  const q = Array.from(averageProbabilities([Float32Array.of(0, ln3), Float32Array.of(0, 0)], 2), Math.exp);
  [0.375, 0.625].forEach((want, i) => assert.ok(Math.abs(q[i] - want) < 1e-6, `q[${i}] = ${q[i]}, want ${want}`));
  // a member certain of the other class gives a finite logit, not -Infinity
  assert.ok(Array.from(averageProbabilities([Float32Array.of(0, 1e4)], 2)).every(Number.isFinite));
  assert.throws(() => averageProbabilities([Float32Array.of(0, 0), Float32Array.of(0, 0, 0, 0)], 2), /member 1 gave 4 values, member 0 2/);
  assert.throws(() => averageProbabilities([], 2), /at least one member/);
});
