import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FER_LABELS } from '../../src/data/labels.js';
import { evaluateModel } from '../../src/eval/evaluate.js';
import { mapClasses, modelLabels, modelTemperature } from '../../src/eval/labels.js';
import { bundledModelNames, packageRoot, resolveModelPath } from '../../src/model/registry.js';
import { imageFolder, saveTinyModel, tempDir } from './fixtures.js';

const trace = (m: number[][]) => m.reduce((s, r, i) => s + r[i], 0);

test('evaluateModel end to end: tiny 7-class model without metadata on a generated image folder', async (t) => {
  const { dir, cleanup } = await tempDir('e2e');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors');
  await saveTinyModel(model, 7);
  await imageFolder(join(dir, 'data'), ['happy', 'sad', 'angry'], 3);
  const r = await evaluateModel({ modelPath: model, data: { format: 'folder', path: join(dir, 'data') }, threads: 1 });
  assert.equal(r.n, 9);
  assert.deepEqual(r.labels, [...FER_LABELS]);
  assert.equal(r.temperature, 1);
  assert.equal(r.confusion.length, 7);
  assert.ok(r.confusion.every((row) => row.length === 7));
  assert.deepEqual(r.confusion.map((row) => row.reduce((a, b) => a + b, 0)), [3, 0, 0, 3, 3, 0, 0]);
  assert.ok(Math.abs(r.accuracy - trace(r.confusion) / r.n) < 1e-12);
  assert.deepEqual(Object.keys(r.perClass), [...FER_LABELS]);
  assert.equal(r.perClass.happy.support, 3);
  assert.equal(r.perClass.disgust.support, 0);
  for (const v of [r.accuracy, r.macroF1, r.ece, r.nll]) assert.ok(Number.isFinite(v) && v >= 0);
  assert.equal(r.reliability.length, 15);
  assert.equal(r.reliability.reduce((s, b) => s + b.count, 0), 9);

  const tta = await evaluateModel({ modelPath: model, data: { format: 'folder', path: join(dir, 'data') }, threads: 1, tta: 'tencrop' });
  assert.equal(tta.n, 9);
  assert.ok(Math.abs(tta.accuracy - trace(tta.confusion) / 9) < 1e-12);
});

test('evaluateModel maps dataset classes onto the model labels by name and applies the temperature', async (t) => {
  const { dir, cleanup } = await tempDir('map');
  t.after(cleanup);
  const model = join(dir, 'm3.safetensors');
  await saveTinyModel(model, 3, { labels: JSON.stringify(['Sad', 'happy', 'angry']), temperature: '1.5' });
  await imageFolder(join(dir, 'data'), ['happiness', 'sad', 'angry'], 2);
  mkdirSync(join(dir, 'data', 'sad'), { recursive: true });
  writeFileSync(join(dir, 'data', 'sad', 'extra.png'), await (await import('./fixtures.js')).facePng(99));
  const r = await evaluateModel({ modelPath: model, data: { format: 'folder', path: join(dir, 'data') }, threads: 1 });
  assert.deepEqual(r.labels, ['Sad', 'happy', 'angry']);
  assert.equal(r.temperature, 1.5);
  assert.equal(r.n, 7);
  assert.deepEqual(r.confusion.map((row) => row.reduce((a, b) => a + b, 0)), [3, 2, 2]);
  assert.equal(r.perClass.Sad.support, 3);
  assert.ok(Math.abs(r.accuracy - trace(r.confusion) / r.n) < 1e-12);

  // a class with images the model lacks is an error that names it
  await imageFolder(join(dir, 'data2'), ['happy', 'surprise'], 1);
  await assert.rejects(evaluateModel({ modelPath: model, data: { format: 'folder', path: join(dir, 'data2') }, threads: 1 }),
    /dataset has classes the model does not predict: surprise \(1 images\); the model's labels are Sad, happy, angry/);
});

test('label and temperature metadata parsing', () => {
  assert.deepEqual(modelLabels({}, 7), [...FER_LABELS]);
  assert.deepEqual(modelLabels({ labels: '["a","b"]' }, 2), ['a', 'b']);
  assert.deepEqual(modelLabels({ labels: 'a, b' }, 2), ['a', 'b']);
  assert.throws(() => modelLabels({}, 3), /3 outputs but its labels are 7/);
  assert.throws(() => modelLabels({ labels: '["happy","joy"]' }, 2), /twice/);
  assert.equal(modelTemperature({}), 1);
  assert.equal(modelTemperature({ temperature: '0.8' }), 0.8);
  assert.throws(() => modelTemperature({ temperature: '-1' }), /not a positive number/);
  // empty dataset classes the model lacks are fine
  assert.deepEqual(mapClasses({ classes: ['happy', 'contempt'], labels: Uint8Array.of(0, 0) }, ['sad', 'happy']), [1, -1]);
});

test('resolveModelPath: files pass through, unknown names list the bundled models', async (t) => {
  const { dir, cleanup } = await tempDir('reg');
  t.after(cleanup);
  const p = join(dir, 'x.safetensors');
  writeFileSync(p, 'x');
  assert.equal(resolveModelPath(p), p);
  assert.ok(packageRoot().length > 0);
  const names = bundledModelNames();
  assert.throws(() => resolveModelPath('no-such-model-xyz'), (e: Error) =>
    /model 'no-such-model-xyz' not found/.test(e.message) && (names.length ? names.every((n) => e.message.includes(n)) : /no bundled models/.test(e.message)));
  for (const n of names) assert.match(resolveModelPath(n), new RegExp(`models[\\\\/]${n}\\.safetensors$`));
});
