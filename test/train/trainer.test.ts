// The training loop: resume after a kill gives the same weights as an uninterrupted run; the run folder
// holds what it promises; early stopping stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer, type TrainConfig } from '../../src/train/trainer.js';
import { loadModel } from '../../src/engine/node/files.js';
import type { Dataset } from '../../src/data/dataset.js';
import { shapesDataset } from '../helpers/shapes.js';

function shapesAsDataset(n: number, seed: number): Dataset {
  const { x, y } = shapesDataset(n, 48, seed);
  const images = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) images[i] = Math.max(0, Math.min(255, Math.round((x[i] + 0.75) * 150)));
  return { size: 48, images, labels: Uint8Array.from(y), classes: ['disc', 'square', 'ring', 'hbar', 'vbar', 'cross', 'triangle'] };
}

const config: Partial<TrainConfig> = {
  model: { widths: [4, 8], units: 1, dropout: 0.1 }, epochs: 3, batch: 8, lr: 3e-3, schedule: 'cosine', warmupEpochs: 1,
  threads: 1, seed: 5, optimizer: { type: 'adamw', weightDecay: 1e-3 },
};

const bitEqual = (a: Float32Array, b: Float32Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

test('a run killed mid-epoch and resumed ends with the same weights as an uninterrupted run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-train-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const train = { ds: shapesAsDataset(44, 1) }, val = { ds: shapesAsDataset(21, 2) };
  const full = await new Trainer(config, train, val, join(dir, 'full')).run();
  assert.equal(full.interrupted, false);
  assert.equal(full.epochs, 3);

  const first = await new Trainer(config, train, val, join(dir, 'killed')).run({ stopAfterSteps: 8 }); // 5 batches/epoch: stops inside epoch 2
  assert.equal(first.interrupted, true);
  const second = await new Trainer(config, train, val, join(dir, 'killed')).run({ resume: true, stopAfterSteps: 4 }); // stops again, inside epoch 3
  assert.equal(second.interrupted, true);
  const third = await new Trainer(config, train, val, join(dir, 'killed')).run({ resume: true });
  assert.equal(third.interrupted, false);
  assert.ok(bitEqual(full.weights.trainable, third.weights.trainable), 'trainable weights differ after resume');
  assert.ok(bitEqual(full.weights.buffers, third.weights.buffers), 'BatchNorm running statistics differ after resume');
  assert.deepEqual(third.history.map((h) => h.valAcc), full.history.map((h) => h.valAcc));

  // the run folder: metrics log (one line per epoch, also after resumes), curves, best model, checkpoint
  const lines = readFileSync(join(dir, 'killed', 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 3);
  assert.equal(JSON.parse(lines[2]).epoch, 3);
  assert.match(readFileSync(join(dir, 'killed', 'curves.svg'), 'utf8'), /<svg[\s\S]*accuracy/);
  const best = loadModel(join(dir, 'killed', 'best.safetensors'));
  assert.deepEqual(JSON.parse(best.metadata.labels), train.ds.classes);
  assert.ok(existsSync(join(dir, 'killed', 'checkpoint.safetensors')));
});

test('resuming with a different network is refused with a clear message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-train-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const train = { ds: shapesAsDataset(24, 1) };
  await new Trainer({ ...config, epochs: 1 }, train, undefined, dir).run();
  await assert.rejects(new Trainer({ ...config, model: { widths: [4, 12] } }, train, undefined, dir).run({ resume: true }), /different network/);
});

test('early stopping stops after `patience` epochs without improvement', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-train-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const train = { ds: shapesAsDataset(16, 1) }, val = { ds: shapesAsDataset(7, 3) };
  // lr so small nothing changes: validation accuracy cannot improve after epoch 1
  const r = await new Trainer({ ...config, epochs: 10, lr: 1e-12, schedule: 'constant', patience: 2 }, train, val, dir).run();
  assert.equal(r.epochs, 3);
  assert.equal(r.bestEpoch, 1);
});

test('weight averaging: swa.safetensors holds the mean of the last epochs\' weights, with recomputed BatchNorm statistics, also after a resume', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-train-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const train = { ds: shapesAsDataset(44, 1) }, val = { ds: shapesAsDataset(21, 2) };
  const swaConfig = { ...config, epochs: 3, swaEpochs: 2, schedule: 'constant' as const };
  const full = await new Trainer(swaConfig, train, val, join(dir, 'full')).run();
  assert.equal(full.swa?.epochs, 2);
  assert.ok(full.swa!.valAcc !== null && full.swa!.valAcc >= 0 && full.swa!.valAcc <= 1);
  const swa = loadModel(join(dir, 'full', 'swa.safetensors'));
  assert.equal(swa.metadata.epoch, 'swa 2-3');
  // the result's weights stay the last epoch's, not the average
  assert.ok(bitEqual(full.weights.trainable, loadModel(join(dir, 'full', 'last.safetensors')).weights.trainable));

  // 5 batches per epoch: stop at the end of epoch 2 (its checkpoint holds epoch 2's weights), then resume
  const first = await new Trainer(swaConfig, train, val, join(dir, 'killed')).run({ stopAfterSteps: 10 });
  assert.equal(first.interrupted, true);
  assert.equal(first.swa, undefined);
  const w2 = first.weights.trainable;
  const rest = await new Trainer(swaConfig, train, val, join(dir, 'killed')).run({ resume: true });
  const w3 = rest.weights.trainable;
  const resumed = loadModel(join(dir, 'killed', 'swa.safetensors'));
  assert.ok(bitEqual(swa.weights.trainable, resumed.weights.trainable), 'averaged weights differ after resume');
  assert.ok(bitEqual(swa.weights.buffers, resumed.weights.buffers), 'recomputed BatchNorm statistics differ after resume');
  let maxErr = 0, moved = 0;
  for (let i = 0; i < w3.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(swa.weights.trainable[i] - (w2[i] + w3[i]) / 2));
    moved = Math.max(moved, Math.abs(w3[i] - w2[i]));
  }
  assert.ok(moved > 1e-4, 'the two epochs\' weights should differ for this test to mean anything');
  assert.ok(maxErr < 1e-6, `averaged weights are not the mean of epochs 2 and 3 (max error ${maxErr})`);
  // statistics recomputed for the average: neither the last epoch's nor left as they were
  let diff = 0;
  for (let i = 0; i < swa.weights.buffers.length; i++) diff = Math.max(diff, Math.abs(swa.weights.buffers[i] - rest.weights.buffers[i]));
  assert.ok(diff > 0, 'BatchNorm statistics were not recomputed');
});

test('swaEpochs outside 0..epochs is refused', () => {
  assert.throws(() => new Trainer({ ...config, epochs: 3, swaEpochs: 4 }, { ds: shapesAsDataset(8, 1) }, undefined, tmpdir()), /swaEpochs must be an integer from 0 to epochs \(3\)/);
});

test('a fine-tuning run (--init) resumes from its checkpoint without reading the init file again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-train-init-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const train = { ds: shapesAsDataset(44, 1) }, val = { ds: shapesAsDataset(21, 2) };
  await new Trainer({ ...config, epochs: 1 }, train, val, join(dir, 'start')).run();
  const init = join(dir, 'init.safetensors');
  copyFileSync(join(dir, 'start', 'best.safetensors'), init);
  const ft = { ...config, init, seed: 6 };
  const full = await new Trainer(ft, train, val, join(dir, 'full')).run();
  assert.ok((await new Trainer(ft, train, val, join(dir, 'killed')).run({ stopAfterSteps: 7 })).interrupted);
  rmSync(init); // e.g. a copy in a scratch folder that did not survive until the resume
  const resumed = await new Trainer(ft, train, val, join(dir, 'killed')).run({ resume: true });
  assert.ok(bitEqual(full.weights.trainable, resumed.weights.trainable), 'trainable weights differ after resume');
  assert.ok(bitEqual(full.weights.buffers, resumed.weights.buffers), 'BatchNorm statistics differ after resume');
  // without a checkpoint to resume from, the missing init file is still an error
  await assert.rejects(new Trainer(ft, train, val, join(dir, 'fresh')).run({ resume: true }), /init\.safetensors/);
});
