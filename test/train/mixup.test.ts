// Mixup: the Beta draws have the right moments, a batch is mixed as the formula says, a step's draw
// depends on (seed, step) alone, and a mixup run resumes bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/engine/rng.js';
import { mixBatch, mixupDraw, sampleBeta, sampleGamma } from '../../src/train/mixup.js';
import { labelTargets } from '../../src/train/targets.js';
import { Trainer, type TrainConfig } from '../../src/train/trainer.js';
import type { Dataset } from '../../src/data/dataset.js';
import { shapesDataset } from '../helpers/shapes.js';

const moments = (f: () => number, n: number) => {
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) { const v = f(); s += v; s2 += v * v; }
  return { mean: s / n, variance: s2 / n - (s / n) ** 2 };
};

test('sampleGamma: mean and variance equal the shape, below 1 and above', () => {
  const rng = new Rng(3);
  for (const shape of [0.2, 2.5]) {
    const m = moments(() => sampleGamma(rng, shape), 40_000);
    assert.ok(Math.abs(m.mean - shape) < 0.05 * Math.max(1, shape), `shape ${shape}: mean ${m.mean}`);
    assert.ok(Math.abs(m.variance - shape) < 0.1 * Math.max(1, shape), `shape ${shape}: variance ${m.variance}`);
  }
  assert.throws(() => sampleGamma(rng, 0), /shape must be > 0/);
});

test('sampleBeta(alpha, alpha): mean 1/2, variance 1 / (4 (2 alpha + 1)), values in [0, 1]', () => {
  const rng = new Rng(4);
  for (const alpha of [0.2, 1]) {
    let inRange = true;
    const m = moments(() => { const v = sampleBeta(rng, alpha); if (!(v >= 0 && v <= 1)) inRange = false; return v; }, 40_000);
    assert.ok(inRange);
    assert.ok(Math.abs(m.mean - 0.5) < 0.01, `alpha ${alpha}: mean ${m.mean}`);
    const want = 1 / (4 * (2 * alpha + 1));
    assert.ok(Math.abs(m.variance - want) < 0.05 * want, `alpha ${alpha}: variance ${m.variance}, want ${want}`);
  }
});

test('mixBatch: each sample becomes lambda * itself + (1 - lambda) * its partner, images and targets', () => {
  // 3 samples of 2 pixels, 2 classes; partners 0->2, 1->0, 2->1; lambda 0.75
  const x = Float32Array.from([1, 2, 10, 20, 100, 200]);
  const t = new Float64Array(6);
  labelTargets(t, Int32Array.from([0, 1, 1]), 2, 0.1);
  assert.deepEqual(Array.from(t, (v) => +v.toFixed(12)), [0.95, 0.05, 0.05, 0.95, 0.05, 0.95]);
  mixBatch(x, t, 3, 2, 2, 0.75, Int32Array.from([2, 0, 1]));
  assert.deepEqual(Array.from(x), [0.75 * 1 + 0.25 * 100, 0.75 * 2 + 0.25 * 200, 0.75 * 10 + 0.25 * 1, 0.75 * 20 + 0.25 * 2, 0.75 * 100 + 0.25 * 10, 0.75 * 200 + 0.25 * 20]);
  const want = [0.75 * 0.95 + 0.25 * 0.05, 0.75 * 0.05 + 0.25 * 0.95, 0.75 * 0.05 + 0.25 * 0.95, 0.75 * 0.95 + 0.25 * 0.05, 0.05, 0.95];
  t.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-12, `target ${i}: ${v} vs ${want[i]}`));
  assert.throws(() => mixBatch(x, t, 3, 2, 2, 0.5, Int32Array.from([0, 1])), /2 partners for a batch of 3/);
});

test('mixupDraw: lambda in [0.5, 1], a permutation, a function of (seed, step) only', () => {
  const a = mixupDraw(7, 123, 0.2, 16), b = mixupDraw(7, 123, 0.2, 16), c = mixupDraw(7, 124, 0.2, 16);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  for (let step = 0; step < 200; step++) {
    const d = mixupDraw(1, step, 0.4, 8);
    assert.ok(d.lambda >= 0.5 && d.lambda <= 1);
    assert.deepEqual(Array.from(d.perm).sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7]);
  }
});

test('a mixup run killed mid-epoch and resumed ends with the same weights as an uninterrupted one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-mixup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { x, y } = shapesDataset(40, 48, 1);
  const images = Uint8Array.from(x, (v) => Math.max(0, Math.min(255, Math.round((v + 0.75) * 150))));
  const ds: Dataset = { size: 48, images, labels: Uint8Array.from(y), classes: ['disc', 'square', 'ring', 'hbar', 'vbar', 'cross', 'triangle'] };
  const config: Partial<TrainConfig> = { model: { widths: [4, 8], units: 1 }, epochs: 2, batch: 8, lr: 3e-3, schedule: 'cosine', warmupEpochs: 0,
    threads: 1, seed: 2, mixup: 0.4 };
  const full = await new Trainer(config, { ds }, undefined, join(dir, 'full')).run();
  const plain = await new Trainer({ ...config, mixup: 0 }, { ds }, undefined, join(dir, 'plain')).run();
  assert.ok(Buffer.compare(Buffer.from(full.weights.trainable.buffer), Buffer.from(plain.weights.trainable.buffer)) !== 0, 'mixup changed nothing');
  await new Trainer(config, { ds }, undefined, join(dir, 'killed')).run({ stopAfterSteps: 7 });
  const resumed = await new Trainer(config, { ds }, undefined, join(dir, 'killed')).run({ resume: true });
  assert.equal(Buffer.compare(Buffer.from(full.weights.trainable.buffer), Buffer.from(resumed.weights.trainable.buffer)), 0);
  assert.throws(() => new Trainer({ ...config, mixup: -1 }, { ds }, undefined, dir), /mixup must be a number >= 0/);
});
