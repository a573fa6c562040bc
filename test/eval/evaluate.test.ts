import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FER_LABELS } from '../../src/data/labels.js';
import { evaluateEnsemble, evaluateModel, modelLogits, modelLogitsPerTta } from '../../src/eval/evaluate.js';
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

test('evaluateEnsemble averages the members\' probabilities, each at its own temperature', async (t) => {
  const { dir, cleanup } = await tempDir('ens');
  t.after(cleanup);
  const a = join(dir, 'a.safetensors'), b = join(dir, 'b.safetensors');
  await saveTinyModel(a, 7, {}, 1);
  await saveTinyModel(b, 7, { temperature: '2' }, 2);
  await imageFolder(join(dir, 'data'), ['happy', 'sad', 'angry', 'fear'], 3);
  const data = { format: 'folder' as const, path: join(dir, 'data') };
  const r = await evaluateEnsemble({ modelPaths: [a, b], data, threads: 1 });

  // the members, scored alone on the same images, are what evaluateModel says of each
  for (const [i, path] of [a, b].entries()) {
    const alone = await evaluateModel({ modelPath: path, data, threads: 1 });
    assert.equal(r.members[i].accuracy, alone.accuracy);
    assert.deepEqual(r.members[i].confusion, alone.confusion);
  }
  // the ensemble by hand: mean of softmax(z_a / 1) and softmax(z_b / 2), argmax and NLL
  const [la, lb] = [await modelLogits({ modelPath: a, data, threads: 1 }), await modelLogits({ modelPath: b, data, threads: 1 })];
  const sm = (z: Float32Array, i: number, T: number) => {
    const row = Array.from(z.subarray(i * 7, i * 7 + 7), (v) => v / T), m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m)), s = e.reduce((x, y) => x + y, 0);
    return e.map((v) => v / s);
  };
  let nll = 0, correct = 0;
  for (let i = 0; i < la.targets.length; i++) {
    const pa = sm(la.logits, i, 1), pb = sm(lb.logits, i, 2), p = pa.map((v, c) => (v + pb[c]) / 2);
    nll -= Math.log(p[la.targets[i]]);
    if (p.indexOf(Math.max(...p)) === la.targets[i]) correct++;
  }
  assert.equal(r.n, 12);
  assert.equal(r.temperature, 1);
  assert.ok(Math.abs(r.nll - nll / 12) < 1e-5, `${r.nll} vs ${nll / 12}`);
  assert.equal(r.accuracy, correct / 12);

  // members must agree on labels
  const c = join(dir, 'c.safetensors');
  await saveTinyModel(c, 3, { labels: JSON.stringify(['sad', 'happy', 'angry']) });
  await assert.rejects(evaluateEnsemble({ modelPaths: [a, c], data, threads: 1 }), /an ensemble needs the same labels in the same order/);
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
  // a temperature per test-time augmentation, the single view's where one was not fitted
  const md = { temperature: '0.8', ttaCalibration: JSON.stringify({ flip: { temperature: 0.7, n: 10 } }) };
  assert.equal(modelTemperature(md), 0.8);
  assert.equal(modelTemperature(md, 'flip'), 0.7);
  assert.equal(modelTemperature(md, 'tencrop'), 0.8);
  assert.equal(modelTemperature({ ttaCalibration: md.ttaCalibration }, 'tencrop'), 1);
  assert.throws(() => modelTemperature({ ttaCalibration: '{"flip":' }, 'flip'), /ttaCalibration metadata is not JSON/);
  assert.throws(() => modelTemperature({ ttaCalibration: '[1]' }, 'flip'), /not a JSON object keyed by augmentation/);
  assert.throws(() => modelTemperature({ ttaCalibration: '{"flip":{"temperature":0}}' }, 'flip'), /flip temperature .* not a positive number/);
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

test('modelLogitsPerTta: each augmentation\'s logits are what modelLogits gives for it alone; progress counts over all of them', async (t) => {
  const { dir, cleanup } = await tempDir('per-tta');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors');
  await saveTinyModel(model, 7, {}, 3);
  await imageFolder(join(dir, 'data'), ['happy', 'sad'], 3);
  const data = { format: 'folder' as const, path: join(dir, 'data') };
  const seen: [number, number][] = [];
  const ttas = ['none', 'flip', 'tencrop'] as const;
  const r = await modelLogitsPerTta({ modelPath: model, data, threads: 1, onProgress: (d, n) => seen.push([d, n]) }, ttas);
  assert.deepEqual([...r.logits.keys()], [...ttas]);
  for (const tta of ttas) {
    const alone = await modelLogits({ modelPath: model, data, tta, threads: 1 });
    assert.deepEqual(Array.from(r.logits.get(tta)!), Array.from(alone.logits), tta);
    assert.deepEqual(Array.from(r.targets), Array.from(alone.targets));
  }
  assert.notDeepEqual(Array.from(r.logits.get('flip')!), Array.from(r.logits.get('none')!), 'the views differ, so the comparison above can fail');
  assert.ok(seen.every(([d, n], i) => n === 18 && d >= (seen[i - 1]?.[0] ?? 0)), JSON.stringify(seen));
  assert.deepEqual(seen.at(-1), [18, 18]);
});

test('a dataset memo decodes the images once for several evaluations, and an in-memory model is scored as its file is', async (t) => {
  const { dir, cleanup } = await tempDir('memo');
  t.after(cleanup);
  const a = join(dir, 'a.safetensors'), b = join(dir, 'b.safetensors'), c = join(dir, 'c.safetensors');
  await saveTinyModel(a, 7);
  await saveTinyModel(b, 7, {}, 2);
  await saveTinyModel(c, 3, { labels: JSON.stringify(['happy', 'sad', 'angry']) });
  await imageFolder(join(dir, 'data'), ['happy', 'sad', 'angry'], 2);
  const data = { format: 'folder' as const, path: join(dir, 'data') }, datasets = new Map();
  let decoded = 0;
  const counted = { data, threads: 1, datasets, onLoadProgress: () => { decoded++; } };
  const first = await evaluateModel({ ...counted, modelPath: a });
  const afterFirst = decoded;
  assert.ok(afterFirst > 0, 'the first evaluation decodes the images');
  const second = await evaluateModel({ ...counted, modelPath: b });
  assert.equal(decoded, afterFirst, 'the second decodes nothing');
  assert.equal(datasets.size, 1, 'one decoded dataset for two models with the same labels and input size');
  const fresh = await evaluateModel({ modelPath: b, data, threads: 1 });
  assert.deepEqual(second.confusion, fresh.confusion, 'the memo\'s images are the ones a fresh load decodes');
  assert.equal(first.n, 6);
  // other labels, same decoding: the shared images are mapped onto this model's labels
  const three = await evaluateModel({ ...counted, modelPath: c });
  assert.equal(datasets.size, 1);
  assert.deepEqual(three.confusion, (await evaluateModel({ modelPath: c, data, threads: 1 })).confusion);
  // a model already in memory (bn-stats scores its output before writing it) gives the file's figures
  const { loadModel } = await import('../../src/engine/node/files.js');
  const inMemory = await evaluateModel({ ...counted, modelPath: 'not read', model: loadModel(b) });
  assert.deepEqual(inMemory.confusion, second.confusion);
  assert.equal(inMemory.nll, second.nll);
  // a load that fails is not remembered: the next one tries again
  const missing = { format: 'folder' as const, path: join(dir, 'none') };
  await assert.rejects(evaluateModel({ modelPath: a, data: missing, threads: 1, datasets }));
  assert.equal(datasets.size, 1);
});
