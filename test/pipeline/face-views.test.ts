/**
 * The classifier's views of a face and their merge (src/pipeline/face-views.ts), shared by Node's classifier
 * and the browser's: hand-computed examples, then the browser's recipe (the served ONNX file's raw `logits`,
 * views merged here, the model's temperature from its metadata) against Node's classifier on the same faces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { calibratedSoftmax, fillFaceViews, mergeFaceViews, viewsOf } from '../../src/pipeline/face-views.js';
import { createClassifier } from '../../src/pipeline/index.js';
import { exportOnnx } from '../../src/engine/index.js';
import { loadModel } from '../../src/engine/node/index.js';
import { saveTinyModel, tempDir } from '../eval/fixtures.js';

test('face views: a face, or a face and its mirror image, normalised, laid out face by face', () => {
  // two 2x2 faces: [0 255; 51 102] and [255 0; 0 255]
  const faces = new Uint8Array([0, 255, 51, 102, 255, 0, 0, 255]);
  const norm = (p: number) => (p / 255 - 0.5) / 0.25;
  const one = new Float32Array(4);
  assert.equal(fillFaceViews(faces, 1, 1, 2, 'none', one), 1, 'the second face alone: one input');
  assert.deepEqual([...one], [255, 0, 0, 255].map(norm));
  const two = new Float32Array(16);
  assert.equal(fillFaceViews(faces, 0, 2, 2, 'flip', two), 4, 'two faces, each followed by its mirror image');
  const want = [0, 255, 51, 102, /* its mirror */ 255, 0, 102, 51, 255, 0, 0, 255, /* its mirror */ 0, 255, 255, 0].map(norm);
  for (let i = 0; i < 16; i++) assert.ok(Math.abs(two[i] - want[i]) < 1e-6, `input ${i}: ${two[i]} vs ${want[i]}`);
  assert.throws(() => fillFaceViews(faces, 0, 2, 2, 'flip', new Float32Array(15)), /4 inputs of 2x2 need 16 values, the buffer has 15/);
  assert.equal(viewsOf('none'), 1);
  assert.equal(viewsOf('flip'), 2);
});

test('face views: flip averages each face\'s logits with its mirror\'s; softmax at the temperature', () => {
  // 2 faces, K = 3; rows 1 and 3 are the mirrors of rows 0 and 2
  const logits = new Float32Array([1, 2, 3, 3, 2, 1, 0, 0, 0, 2, 0, -2]);
  assert.deepEqual([...mergeFaceViews(logits, 2, 3, 'flip')], [2, 2, 2, 1, 0, -1]);
  assert.deepEqual([...mergeFaceViews(logits, 2, 3, 'none')], [1, 2, 3, 3, 2, 1], 'none: the first n rows');
  // softmax([1,0,-1] / 2) = e^{0.5}, e^0, e^{-0.5} over their sum
  const p = calibratedSoftmax(new Float32Array([2, 2, 2, 1, 0, -1]), 2, 3, 2);
  const z = Math.exp(0.5) + 1 + Math.exp(-0.5);
  const want = [1 / 3, 1 / 3, 1 / 3, Math.exp(0.5) / z, 1 / z, Math.exp(-0.5) / z];
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(p[i] - want[i]) < 1e-6, `p[${i}] ${p[i]} vs ${want[i]}`);
  // large logits do not overflow (the row maximum is subtracted first)
  const q = calibratedSoftmax(new Float32Array([1000, 999, 0]), 1, 3, 1);
  assert.ok(Number.isFinite(q[0]) && Math.abs(q[0] + q[1] + q[2] - 1) < 1e-6);
});

test('face views: the browser\'s recipe (ONNX logits, views merged, the model\'s temperature) gives Node\'s classifier probabilities', async (t) => {
  const { dir, cleanup } = await tempDir('face-views');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors');
  await saveTinyModel(model, 7, { temperature: '1.3' });
  const n = 3, px = 48 * 48, K = 7;
  const faces = new Uint8Array(n * px).map((_, i) => (i * 37 + (i >> 6) * 11) % 253);
  // what the server serves as /models/classifier.onnx: the model's temperature baked into its softmax head
  const m = loadModel(model);
  const sess = await ort.InferenceSession.create(exportOnnx(m.graph, m.weights, { temperature: 1.3 }), { logSeverityLevel: 3 });
  t.after(() => sess.release());
  for (const tta of ['none', 'flip'] as const) {
    const input = new Float32Array(n * viewsOf(tta) * px);
    const inputs = fillFaceViews(faces, 0, n, 48, tta, input);
    const out = await sess.run({ input: new ort.Tensor('float32', input, [inputs, 1, 48, 48]) }, ['logits']);
    const browser = calibratedSoftmax(mergeFaceViews(out.logits.data as Float32Array, n, K, tta), n, K, 1.3);
    const node = await createClassifier({ model, tta });
    const want = await node.classify(faces, n);
    await node.close();
    for (let i = 0; i < n * K; i++) assert.ok(Math.abs(browser[i] - want[i]) < 1e-5, `${tta}, value ${i}: ${browser[i]} vs ${want[i]}`);
  }
});

test('classifier: with tta flip it uses the temperature the model records for flip, else the single view\'s', async (t) => {
  const { dir, cleanup } = await tempDir('face-views-t');
  t.after(cleanup);
  const calibrated = join(dir, 'flip.safetensors'), plain = join(dir, 'plain.safetensors');
  await saveTinyModel(calibrated, 7, { temperature: '1.3', ttaCalibration: JSON.stringify({ flip: { temperature: 0.9 } }) });
  await saveTinyModel(plain, 7, { temperature: '1.3' });
  const n = 2, faces = new Uint8Array(n * 48 * 48).map((_, i) => (i * 29) % 251);
  const probs: Record<string, Float32Array> = {};
  for (const [name, model, tta, T] of [['flip', calibrated, 'flip', 0.9], ['none', calibrated, 'none', 1.3], ['plain flip', plain, 'flip', 1.3]] as const) {
    const c = await createClassifier({ model, tta, backend: 'engine' });
    assert.equal(c.temperature, T, name);
    probs[name] = await c.classify(faces, n);
    await c.close();
  }
  // same weights and views, a lower temperature: the same arg-max with a higher top probability
  for (let j = 0; j < n; j++) {
    const row = (p: Float32Array) => Array.from(p.subarray(j * 7, j * 7 + 7));
    const a = row(probs.flip), b = row(probs['plain flip']);
    assert.equal(a.indexOf(Math.max(...a)), b.indexOf(Math.max(...b)));
    assert.ok(Math.max(...a) > Math.max(...b), `face ${j}: ${Math.max(...a)} vs ${Math.max(...b)}`);
  }
});
