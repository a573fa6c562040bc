/**
 * BatchNorm statistics recomputed on training images (src/train/batchnorm-stats.ts): the first layer's
 * statistics against a hand-written convolution over the same batches, the trainable weights untouched,
 * and the trainer's model files with clean statistics against a run that keeps the augmented ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReferenceNet } from '../../src/model/reference-net.js';
import { initParams, paramLayout } from '../../src/engine/params.js';
import { loadModel } from '../../src/engine/node/files.js';
import { BatchIterator } from '../../src/data/batches.js';
import { INPUT_LUT } from '../../src/data/normalize.js';
import type { Dataset } from '../../src/data/dataset.js';
import { recomputeModelBatchNorm } from '../../src/train/batchnorm-stats.js';
import { decodeSafetensors } from '../../src/engine/safetensors.js';
import { tensorsToWeights } from '../../src/engine/model-file.js';
import { createInferenceSession } from '../../src/engine/session.js';
import { EvalIterator } from '../../src/data/batches.js';
import { Trainer, type TrainConfig } from '../../src/train/trainer.js';

const S = 12;
function dataset(n: number, seed: number): Dataset {
  const images = new Uint8Array(n * S * S);
  let h = seed >>> 0;
  for (let i = 0; i < images.length; i++) { h = (Math.imul(h, 1664525) + 1013904223) >>> 0; images[i] = h >>> 24; }
  return { size: S, images, labels: Uint8Array.from({ length: n }, (_, i) => i % 2), classes: ['a', 'b'] };
}

/** The stem's first convolution (3x3, zero padding 1, no bias) of one normalised image, channel c. */
function stemConv(img: Uint8Array, w: Float32Array, c: number): Float64Array {
  const out = new Float64Array(S * S);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    let s = 0;
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      const yy = y + dy, xx = x + dx;
      if (yy >= 0 && yy < S && xx >= 0 && xx < S) s += w[c * 9 + (dy + 1) * 3 + (dx + 1)] * INPUT_LUT[img[yy * S + xx]];
    }
    out[y * S + x] = s;
  }
  return out;
}

test('recomputed statistics: each batch\'s mean and unbiased variance, averaged over the batches of one pass', async () => {
  const graph = buildReferenceNet({ widths: [4, 8], units: 1, classes: 2, inputSize: S });
  const layout = paramLayout(graph), start = initParams(layout, 3);
  const ds = dataset(22, 7), batch = 4;
  const { weights, batches, images } = await recomputeModelBatchNorm(graph, start, ds, { batch, seed: 9, threads: 1 });
  assert.equal(batches, 5, '22 images make 5 full batches of 4');
  assert.equal(images, 20);
  assert.deepEqual([...weights.trainable], [...start.trainable], 'the trainable weights are not changed');
  // the oracle: the same batches (BatchIterator, seed 9, epoch 0), the stem convolution by hand
  const conv = layout.byName.get('stem.0.weight')!, mean = layout.byName.get('stem.1.running_mean')!, vari = layout.byName.get('stem.1.running_var')!;
  const w = start.trainable.subarray(conv.offset, conv.offset + conv.size);
  const it = new BatchIterator(ds, undefined, { batchSize: batch, seed: 9 });
  for (let c = 0; c < conv.shape[0]; c++) {
    let meanSum = 0, varSum = 0;
    for (let b = 0; b < batches; b++) {
      const values: number[] = [];
      for (const i of it.batchIndices(b)) values.push(...stemConv(ds.images.subarray(i * S * S, (i + 1) * S * S), w, c));
      const mu = values.reduce((a, v) => a + v, 0) / values.length;
      meanSum += mu;
      varSum += values.reduce((a, v) => a + (v - mu) ** 2, 0) / (values.length - 1);
    }
    const m = weights.buffers[mean.offset + c], v = weights.buffers[vari.offset + c];
    assert.ok(Math.abs(m - meanSum / batches) < 1e-4 * (1 + Math.abs(m)), `channel ${c} mean ${m} vs ${meanSum / batches}`);
    assert.ok(Math.abs(v - varSum / batches) < 1e-4 * v, `channel ${c} variance ${v} vs ${varSum / batches}`);
  }
  // no trace of the statistics the weights came with: other starting statistics give the same result
  const other = { trainable: start.trainable, buffers: start.buffers.map((x, i) => x + 1 + (i % 3)) };
  const again = await recomputeModelBatchNorm(graph, other, ds, { batch, seed: 9, threads: 1 });
  assert.deepEqual([...again.weights.buffers], [...weights.buffers]);
});

test('recomputed statistics: a clear error when the images do not fill one batch', async () => {
  const graph = buildReferenceNet({ widths: [4, 8], units: 1, classes: 2, inputSize: S });
  await assert.rejects(recomputeModelBatchNorm(graph, initParams(paramLayout(graph), 1), dataset(3, 1), { batch: 4, threads: 1 }),
    /3 images do not fill one batch of 4/);
});

test('trainer: bnStats clean writes the same trained weights as augmented, with the statistics of the un-augmented images', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-bnstats-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config: Partial<TrainConfig> = {
    model: { widths: [4, 8], units: 1 }, epochs: 2, batch: 4, lr: 3e-3, schedule: 'cosine', warmupEpochs: 0, threads: 1, seed: 2, swaEpochs: 2,
    // strong re-lighting: the augmented batches' statistics are far from the clean images'
    augment: { shift: 1, flip: true, rotate: 0, scale: [1, 1], brightness: 0.6, contrast: 0.6, erase: 0.5 },
  };
  const train = { ds: dataset(24, 1) }, val = { ds: dataset(10, 2) };
  // valStatsBatches 0: both runs pick their best epoch by the same figure (the next test covers it)
  const clean = await new Trainer({ ...config, bnStats: 'clean', valStatsBatches: 0 }, train, val, join(dir, 'clean')).run();
  const aug = await new Trainer({ ...config, bnStats: 'augmented' }, train, val, join(dir, 'aug')).run();
  assert.deepEqual([...clean.weights.trainable], [...aug.weights.trainable], 'the statistics do not change training');
  assert.equal(aug.cleanStats, undefined);
  assert.ok(clean.cleanStats?.before && clean.cleanStats.after);
  assert.equal(clean.cleanStats.before.acc, aug.bestAcc, 'before: the best epoch as training scored it');
  for (const file of ['best', 'last', 'swa']) {
    const c = loadModel(join(dir, 'clean', `${file}.safetensors`)), a = loadModel(join(dir, 'aug', `${file}.safetensors`));
    assert.equal(c.metadata.bnStats, 'clean', file);
    assert.equal(a.metadata.bnStats, 'augmented', file);
    assert.deepEqual([...c.weights.trainable], [...a.weights.trainable], file);
    assert.notDeepEqual([...c.weights.buffers], [...a.weights.buffers], file);
  }
  // the last file's statistics are those of the clean training images: what recomputing them on the file gives
  const graph = buildReferenceNet({ widths: [4, 8], units: 1, classes: 2, inputSize: S });
  const last = loadModel(join(dir, 'clean', 'last.safetensors'));
  const redo = await recomputeModelBatchNorm(graph, last.weights, train.ds, { batch: 4, threads: 1, seed: 2 });
  const mean = paramLayout(graph).byName.get('stem.1.running_mean')!;
  for (let c = 0; c < mean.size; c++) {
    const x = last.weights.buffers[mean.offset + c], y = redo.weights.buffers[mean.offset + c];
    assert.ok(Math.abs(x - y) < 1e-4 * (1 + Math.abs(y)), `channel ${c}: ${x} vs ${y}`);
  }
});

test('trainer: valStatsBatches scores each epoch with statistics of the first un-augmented batches, and training goes on exactly as without', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-valstats-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config: Partial<TrainConfig> = {
    model: { widths: [4, 8], units: 1, dropout: 0.2 }, epochs: 3, batch: 4, lr: 3e-3, schedule: 'cosine', warmupEpochs: 0, threads: 1, seed: 4,
    augment: { shift: 1, flip: true, rotate: 0, scale: [1, 1], brightness: 0.6, contrast: 0.6, erase: 0.5 }, bnStats: 'clean',
  };
  const train = { ds: dataset(26, 3) }, val = { ds: dataset(10, 4) };
  const plain = await new Trainer({ ...config, valStatsBatches: 0 }, train, val, join(dir, 'plain')).run();
  const sampled = await new Trainer({ ...config, valStatsBatches: 2 }, train, val, join(dir, 'sampled')).run();
  // the lr-0 passes and the statistics they leave are undone: the checkpoints (weights, running statistics,
  // Adam's moments and step) are the same bits, and so is each epoch's figure with the run's own statistics
  const tensors = (run: string) => decodeSafetensors(new Uint8Array(readFileSync(join(dir, run, 'checkpoint.safetensors')))).tensors;
  const a = tensors('plain'), b = tensors('sampled');
  assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
  for (const k of Object.keys(a)) assert.deepEqual([...b[k].data], [...a[k].data], k);
  assert.deepEqual(sampled.history.map((h) => [h.runStatsValAcc, h.runStatsValLoss]), plain.history.map((h) => [h.valAcc, h.valLoss]));
  assert.ok(plain.history.every((h) => h.runStatsValAcc === undefined), 'without sampling there is one figure');
  assert.ok(sampled.history.some((h) => h.valLoss !== h.runStatsValLoss), 'strong re-lighting: the two statistics score differently');
  // the last epoch's figure by hand: the checkpoint's weights, statistics of the first 2 batches of the
  // seeded order (recomputeModelBatchNorm with the run's seed), the validation images' mean NLL
  const graph = buildReferenceNet({ widths: [4, 8], units: 1, dropout: 0.2, classes: 2, inputSize: S });
  const end = tensorsToWeights(paramLayout(graph), b);
  const { weights } = await recomputeModelBatchNorm(graph, end, train.ds, { batch: 4, seed: 4, maxBatches: 2, threads: 1 });
  const session = await createInferenceSession({ graph, weights, threads: 1, inferBatches: [10] });
  try {
    const it = new EvalIterator(val.ds, undefined, 10), x = new Float32Array(10 * S * S), y = new Int32Array(10);
    it.fill(0, x, y);
    const logits = session.predict(x, 10);
    let nll = 0;
    for (let i = 0; i < 10; i++) {
      const row = [logits[2 * i], logits[2 * i + 1]], m = Math.max(...row);
      nll += Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - (row[y[i]] - m);
    }
    const last = sampled.history[2];
    assert.ok(Math.abs(last.valLoss! - nll / 10) < 1e-5, `${last.valLoss} vs ${nll / 10}`);
  } finally { await session.close(); }
  // the pick follows the sampled figure
  const best = sampled.history.reduce((p, h) => (h.valAcc! > p.valAcc! ? h : p));
  assert.equal(sampled.bestEpoch, best.epoch);
  assert.throws(() => new Trainer({ ...config, valStatsBatches: -1 }, train, val, dir), /valStatsBatches must be an integer >= 0/);
});
