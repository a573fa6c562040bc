// The recognition pipeline end to end: inputs of every kind, bad inputs, both classifier backends agree,
// and (with ../shared) real photos.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import { createRecognizer, createClassifier } from '../../src/pipeline/index.js';
import { saveTinyModel, tempDir } from '../eval/fixtures.js';

const PHOTOS = join(process.cwd(), '..', 'shared', 'media', 'photos');
const shared = existsSync(PHOTOS);

test('pipeline: no face gives [], raw RGBA input works, bad inputs fail clearly', async (t) => {
  const { dir, cleanup } = await tempDir('pipe');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors');
  await saveTinyModel(model, 7);
  const fer = await createRecognizer({ model, maxPixels: 1_000_000 });
  t.after(() => fer.close());
  const gray = await sharp({ create: { width: 200, height: 150, channels: 3, background: '#808080' } }).jpeg().toBuffer();
  assert.deepEqual(await fer.analyze(gray), []);
  const rgba = new Uint8ClampedArray(64 * 48 * 4).fill(128);
  assert.deepEqual(await fer.analyze({ data: rgba, width: 64, height: 48, channels: 4 }), []);
  await assert.rejects(fer.analyze({ data: new Uint8Array(10), width: 64, height: 48 }), /needs \d+ bytes/);
  await assert.rejects(fer.analyze(Buffer.from('definitely not an image')), /not a readable image|unsupported image format/i);
  await assert.rejects(fer.analyze(gray.subarray(0, gray.length / 2)), /truncat|premature|corrupt|not a readable/i);
  const big = await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#000' } }).png().toBuffer();
  await assert.rejects(fer.analyze(big), /pixels/);
});

test('pipeline: the onnx and engine classifiers give the same probabilities', async (t) => {
  const { dir, cleanup } = await tempDir('clf');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors');
  await saveTinyModel(model, 7, { temperature: '1.3' });
  const faces = new Uint8Array(5 * 48 * 48).map((_, i) => (i * 31) % 251);
  const a = await createClassifier({ model, backend: 'onnx' }), b = await createClassifier({ model, backend: 'engine' });
  const pa = await a.classify(faces, 5), pb = await b.classify(faces, 5);
  for (let i = 0; i < pa.length; i++) assert.ok(Math.abs(pa[i] - pb[i]) < 1e-5, `${pa[i]} vs ${pb[i]}`);
  for (let j = 0; j < 5; j++) assert.ok(Math.abs(pa.subarray(j * 7, j * 7 + 7).reduce((x, y) => x + y, 0) - 1) < 1e-5);
  // two onnxruntime threads: the same numbers (up to summation order)
  const c = await createClassifier({ model, backend: 'onnx', threads: 2 });
  const pc = await c.classify(faces, 5);
  for (let i = 0; i < pa.length; i++) assert.ok(Math.abs(pa[i] - pc[i]) < 1e-5, `${pa[i]} vs ${pc[i]} (2 threads)`);
  await a.close(); await b.close(); await c.close();
  for (const threads of [0, 1.5, -1]) await assert.rejects(createClassifier({ model, threads }), /threads must be a positive integer, got/);
});

test('pipeline: flip TTA gives softmax of each face\'s and its mirror\'s logits averaged, on both runtimes, in batches', async (t) => {
  const { dir, cleanup } = await tempDir('clf-flip');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors');
  await saveTinyModel(model, 7, { temperature: '1.3' });
  const n = 70, px = 48 * 48, K = 7; // 70 faces: more than one batch of 32 faces and their mirrors
  const faces = new Uint8Array(n * px).map((_, i) => (i * 31 + (i >> 7) * 17) % 251);
  const mirrored = new Uint8Array(n * px);
  for (let r = 0; r < n * 48; r++) for (let c = 0; c < 48; c++) mirrored[r * 48 + 47 - c] = faces[r * 48 + c];
  const plain = await createClassifier({ model, backend: 'engine' });
  const p = await plain.classify(faces, n), pm = await plain.classify(mirrored, n);
  await plain.close();
  for (const backend of ['onnx', 'engine'] as const) {
    const flip = await createClassifier({ model, backend, tta: 'flip' });
    assert.equal(flip.tta, 'flip');
    const q = await flip.classify(faces, n), qm = await flip.classify(mirrored, n);
    await flip.close();
    for (let j = 0; j < n; j++) {
      // log p = z / T - const, so softmax of the averaged log-probabilities is softmax of the averaged logits / T
      const l = Array.from({ length: K }, (_, k) => (Math.log(p[j * K + k]) + Math.log(pm[j * K + k])) / 2);
      const m = Math.max(...l), e = l.map((v) => Math.exp(v - m)), z = e.reduce((a, b) => a + b, 0);
      for (let k = 0; k < K; k++) {
        assert.ok(Math.abs(q[j * K + k] - e[k] / z) < 1e-5, `${backend} face ${j} class ${k}: ${q[j * K + k]} vs ${e[k] / z}`);
        assert.ok(Math.abs(q[j * K + k] - qm[j * K + k]) < 1e-5, `${backend} face ${j}: a face and its mirror differ`);
      }
    }
  }
  await assert.rejects(createClassifier({ model, tta: 'tencrop' as never }), /tta must be one of none, flip, got 'tencrop'/);
});

test('pipeline: real photos: one face in happy.jpg, six in bbt4.jpg, probabilities sum to 1', { skip: shared ? false : 'needs ../shared/media/photos' }, async (t) => {
  const { dir, cleanup } = await tempDir('real');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors');
  await saveTinyModel(model, 7);
  const fer = await createRecognizer({ model });
  t.after(() => fer.close());
  const one = await fer.analyze(join(PHOTOS, 'happy.jpg'));
  assert.equal(one.length, 1);
  const sum = Object.values(one[0].probabilities).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-5);
  assert.ok(fer.labels.includes(one[0].label));
  assert.equal((await fer.analyze(join(PHOTOS, 'bbt4.jpg'))).length, 6);
});

test('ferkit predict: a bad file is reported by name, the good ones still processed, exit code 1', { skip: shared ? false : 'needs ../shared/media/photos' }, async (t) => {
  const { dir, cleanup } = await tempDir('cli');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors');
  await saveTinyModel(model, 7);
  const bad = join(dir, 'broken.jpg');
  writeFileSync(bad, 'not a jpeg');
  let out = '', code = 0;
  try {
    out = execFileSync(process.execPath, ['bin/ferkit.js', 'predict', join(PHOTOS, 'happy.jpg'), bad, '--model', model, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err: any) { out = err.stdout; code = err.status; assert.match(err.stderr, /broken\.jpg/); }
  assert.equal(code, 1);
  const r = JSON.parse(out);
  assert.equal(r.results.length, 2);
  assert.equal(r.results[0].faces.length, 1);
  assert.match(r.results[1].error, /broken\.jpg/);
});
