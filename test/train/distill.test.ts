// Distillation: targets mix label and teacher as documented; the teachers' probabilities are proper
// distributions over the right rows; a student given useless labels but a good teacher learns the task,
// with the teacher shown clean images once or every augmented batch; an augmented-view run resumes exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer, type TrainConfig } from '../../src/train/trainer.js';
import { BatchTeacher, blendTeacher, teacherProbabilities, teacherRows } from '../../src/train/distill.js';
import { labelTargets } from '../../src/train/targets.js';
import { INPUT_LUT } from '../../src/data/normalize.js';
import type { Dataset } from '../../src/data/dataset.js';
import { shapesDataset, SHAPE_CLASSES } from '../helpers/shapes.js';

const SIZE = 24;
function shapes(n: number, seed: number): Dataset {
  const { x, y } = shapesDataset(n, SIZE, seed);
  const images = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) images[i] = Math.max(0, Math.min(255, Math.round((x[i] + 0.75) * 150)));
  return { size: SIZE, images, labels: Uint8Array.from(y), classes: SHAPE_CLASSES };
}
const config: Partial<TrainConfig> = {
  model: { widths: [8, 16], units: 1 }, epochs: 6, batch: 16, lr: 1e-2, schedule: 'cosine', warmupEpochs: 1,
  threads: 1, seed: 3, optimizer: { type: 'adamw', weightDecay: 1e-4 }, labelSmoothing: 0, augment: false,
};

test('the clean teacher\'s targets: smoothed labels blended with the batch\'s rows of the teacher, (1 - weight) * label + weight * teacher', () => {
  const teacher = Float32Array.from([0, 0, 0, /* sample 1 */ 0.2, 0.3, 0.5, /* sample 2 */ 0.6, 0.4, 0]);
  const rows = teacherRows(teacher, Int32Array.from([1, 2]), 3, new Float32Array(9));
  assert.deepEqual([...rows], [0.2, 0.3, 0.5, 0.6, 0.4, 0].map(Math.fround));
  assert.throws(() => teacherRows(teacher, Int32Array.from([1, 2]), 3, new Float32Array(5)), /2 rows of 3 need 6 values, out has 5/);
  const out = new Float32Array(6);
  labelTargets(out, Int32Array.from([2, 0]), 3, 0.3);
  blendTeacher(out, rows, 0.5);
  // sample 1, label 2: label part [0.1, 0.1, 0.8]; sample 2, label 0: [0.8, 0.1, 0.1]
  const want = [0.15, 0.2, 0.65, 0.7, 0.25, 0.05];
  out.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `target ${i}: ${v}, want ${want[i]}`));
});

test('distillation: teacher probabilities are distributions, and a student trained on useless labels learns from the teacher', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-distill-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const train = shapes(224, 1), val = shapes(70, 2);
  const teacherRun = await new Trainer(config, { ds: train }, { ds: val }, join(dir, 'teacher')).run();
  assert.ok(teacherRun.bestAcc > 0.6, `the teacher should learn the shapes (validation accuracy ${teacherRun.bestAcc})`);
  const teacherFile = join(dir, 'teacher', 'best.safetensors');

  const K = SHAPE_CLASSES.length, some = Int32Array.from({ length: 100 }, (_, i) => i * 2);
  const p = await teacherProbabilities(train, some, { teachers: [teacherFile], weight: 1, temperature: 1 }, 1);
  let agree = 0;
  for (let i = 0; i < train.labels.length; i++) {
    const row = p.subarray(i * K, (i + 1) * K), sum = row.reduce((a, b) => a + b, 0);
    if (i % 2 === 1 || i >= 200) { assert.equal(sum, 0, `row ${i} is not in the index list and must stay 0`); continue; }
    assert.ok(Math.abs(sum - 1) < 1e-5, `row ${i} sums to ${sum}`);
    if (row.indexOf(Math.max(...row)) === train.labels[i]) agree++;
  }
  assert.ok(agree > 60, `the teacher's most likely class matches the label for ${agree} of 100 training images`);
  const soft = await teacherProbabilities(train, some, { teachers: [teacherFile], weight: 1, temperature: 1000 }, 1);
  for (const i of some) for (let k = 0; k < K; k++) assert.ok(Math.abs(soft[i * K + k] - 1 / K) < 0.01, 'a high temperature should flatten the distribution');
  const twice = await teacherProbabilities(train, some, { teachers: [teacherFile, teacherFile], weight: 1, temperature: 1 }, 1);
  for (const i of some) for (let k = 0; k < K; k++) assert.ok(Math.abs(twice[i * K + k] - p[i * K + k]) < 1e-6, 'two equal teachers average to one');

  // every training label replaced by class 0: from the labels alone there is nothing to learn
  const useless: Dataset = { ...train, labels: new Uint8Array(train.labels.length) };
  const alone = await new Trainer(config, { ds: useless }, { ds: val }, join(dir, 'alone')).run();
  const taught = await new Trainer({ ...config, distill: { teachers: [teacherFile], weight: 1, temperature: 1 } }, { ds: useless }, { ds: val }, join(dir, 'taught')).run();
  assert.ok(alone.bestAcc < 0.2, `without a teacher the student can only learn 'class 0' (validation accuracy ${alone.bestAcc})`);
  assert.ok(taught.bestAcc > 0.5, `with the teacher the student learns the shapes (validation accuracy ${taught.bestAcc})`);
});

test('distillation settings are checked before training', () => {
  const ds = shapes(8, 1);
  assert.throws(() => new Trainer({ ...config, distill: { teachers: [], weight: 0.5, temperature: 1 } }, { ds }, undefined, tmpdir()), /at least one teacher/);
  assert.throws(() => new Trainer({ ...config, distill: { teachers: ['x'], weight: 1.5, temperature: 1 } }, { ds }, undefined, tmpdir()), /weight must be in \(0, 1\]/);
  assert.throws(() => new Trainer({ ...config, distill: { teachers: ['x'], weight: 0.5, temperature: 0 } }, { ds }, undefined, tmpdir()), /temperature must be > 0/);
  // a config file written by hand (or by an older version) with a misspelt mode is refused, not read as 'clean'
  assert.throws(() => new Trainer({ ...config, distill: { teachers: ['x'], weight: 0.5, temperature: 1, views: 'online' as 'clean' } }, { ds }, undefined, tmpdir()), /views must be one of 'clean', 'augmented', 'augmented-mirror', got 'online'/);
});

test('blendTeacher: (1 - weight) * the targets already there + weight * teacher, in place', () => {
  const targets = Float32Array.from([0.8, 0.1, 0.1, 0.3, 0.3, 0.4]);
  blendTeacher(targets, Float32Array.from([0, 1, 0, 0.5, 0.5, 0]), 0.25);
  const want = [0.6, 0.325, 0.075, 0.35, 0.35, 0.3];
  targets.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `target ${i}: ${v}, want ${want[i]}`));
});

test('blendTeacher with parts (a temperature other than 1): the label part scaled by 1 - weight, the teacher part set to weight * teacher; labelTargets leaves that part at 0', () => {
  const targets = new Float32Array(12).fill(9);
  labelTargets(targets, Int32Array.from([0, 2]), 3, 0.3, 6);
  assert.deepEqual([...targets], [0.8, 0.1, 0.1, 0, 0, 0, 0.1, 0.1, 0.8, 0, 0, 0].map(Math.fround));
  blendTeacher(targets, Float32Array.from([0, 1, 0, 0.5, 0.5, 0]), 0.25, { K: 3 });
  const want = [0.6, 0.075, 0.075, 0, 0.25, 0, 0.075, 0.075, 0.6, 0.125, 0.125, 0];
  targets.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `target ${i}: ${v}, want ${want[i]}`));
});

test('distillation on augmented views: the batch teacher agrees with the clean pass, teaches a student with useless labels, and a killed run resumes exactly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-distill-aug-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const train = shapes(224, 1), val = shapes(70, 2);
  await new Trainer(config, { ds: train }, { ds: val }, join(dir, 'teacher')).run();
  const teacherFile = join(dir, 'teacher', 'best.safetensors');
  const d = { teachers: [teacherFile, teacherFile], weight: 1, temperature: 2 };

  // the clean pass averages an image and its mirror: the batch teacher on both views must give the same
  const K = SHAPE_CLASSES.length, px = SIZE * SIZE, n = 5, idx = Int32Array.from({ length: n }, (_, i) => i);
  const clean = await teacherProbabilities(train, idx, d, 1);
  const x = new Float32Array(n * px), xm = new Float32Array(n * px);
  for (let j = 0; j < n; j++) for (let r = 0; r < SIZE; r++) for (let c = 0; c < SIZE; c++) {
    const v = INPUT_LUT[train.images[j * px + r * SIZE + c]];
    x[j * px + r * SIZE + c] = v; xm[j * px + r * SIZE + SIZE - 1 - c] = v;
  }
  const bt = await BatchTeacher.open(d, train.classes, 16, 1, SIZE);
  try {
    const a = bt.probabilities(x, n), b = bt.probabilities(xm, n);
    for (let i = 0; i < n * K; i++) assert.ok(Math.abs((a[i] + b[i]) / 2 - clean[i]) < 1e-5, `probability ${i}: ${(a[i] + b[i]) / 2} vs clean pass ${clean[i]}`);
  } finally {
    await bt.close();
  }
  // 'augmented-mirror' averages each image with its mirror itself: on the clean images, the clean pass
  const bm = await BatchTeacher.open({ ...d, views: 'augmented-mirror' }, train.classes, 16, 1, SIZE);
  try {
    const m = bm.probabilities(x, n), again = bm.probabilities(xm, n);
    for (let i = 0; i < n * K; i++) {
      assert.ok(Math.abs(m[i] - clean[i]) < 1e-5, `mirror-averaged probability ${i}: ${m[i]} vs clean pass ${clean[i]}`);
      assert.ok(Math.abs(again[i] - m[i]) < 1e-5, 'a face and its mirror image get the same mirror-averaged target');
    }
    assert.throws(() => bm.probabilities(x.subarray(0, n * px - 1), n), /not 5 square images/);
  } finally {
    await bm.close();
  }
  await assert.rejects(BatchTeacher.open(d, [...train.classes].reverse(), 16, 1, SIZE), /same classes in the same order/);

  const useless: Dataset = { ...train, labels: new Uint8Array(train.labels.length) };
  const augmented = { ...config, augment: { shift: 2, flip: true }, distill: { ...d, views: 'augmented' as const } };
  const taught = await new Trainer(augmented, { ds: useless }, { ds: val }, join(dir, 'taught')).run();
  assert.ok(taught.bestAcc > 0.5, `a teacher on augmented batches teaches the shapes (validation accuracy ${taught.bestAcc})`);

  // 14 batches per epoch: killed inside epoch 2, resumed; with mixup too, so the teacher sees blended images
  const withMixup = { ...augmented, epochs: 3, mixup: 0.4 };
  const full = await new Trainer(withMixup, { ds: useless }, { ds: val }, join(dir, 'full')).run();
  const killed = await new Trainer(withMixup, { ds: useless }, { ds: val }, join(dir, 'killed')).run({ stopAfterSteps: 20 });
  assert.ok(killed.interrupted);
  const resumed = await new Trainer(withMixup, { ds: useless }, { ds: val }, join(dir, 'killed')).run({ resume: true });
  assert.deepEqual(Array.from(resumed.weights.trainable), Array.from(full.weights.trainable), 'weights differ after kill and resume');
  assert.deepEqual(Array.from(resumed.weights.buffers), Array.from(full.weights.buffers), 'BatchNorm statistics differ after kill and resume');
});
