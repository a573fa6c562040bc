// End-to-end engine tests on the WebAssembly backend: learning a synthetic task, determinism, and the
// thread count not changing results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, type Graph, type SessionOptions } from '../../src/engine/index.js';
import { spawnNodeWorker } from '../../src/engine/node/threads.js';
import { buildReferenceNet } from '../../src/model/reference-net.js';
import { shapesDataset } from '../helpers/shapes.js';

async function trainFew(graph: Graph, threads: number, steps: number, extra: Partial<SessionOptions> = {}) {
  const batch = 16;
  const s = await Session.create({ graph, threads, spawn: spawnNodeWorker, trainBatch: batch, inferBatches: [8], seed: 42,
    train: { optimizer: { type: 'adamw', weightDecay: 1e-2 }, labelSmoothing: 0.1 }, ...extra });
  const data = shapesDataset(batch * steps, 48, 5);
  const per = 48 * 48;
  for (let i = 0; i < steps; i++) {
    s.trainInput.set(data.x.subarray(i * batch * per, (i + 1) * batch * per));
    s.trainLabels.set(data.y.subarray(i * batch, (i + 1) * batch));
    s.trainStep(2e-3);
  }
  const w = s.getWeights();
  await s.close();
  return w;
}

const bitEqual = (a: Float32Array, b: Float32Array) =>
  a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

test('same seed and thread count give bit-identical weights (with dropout)', async () => {
  const g = buildReferenceNet({ dropout: 0.2 });
  const a = await trainFew(g, 2, 4), b = await trainFew(g, 2, 4);
  assert.ok(bitEqual(a.trainable, b.trainable) && bitEqual(a.buffers, b.buffers));
  const c = await trainFew(g, 2, 4, { seed: 43 });
  assert.ok(!bitEqual(a.trainable, c.trainable), 'a different seed should give different weights');
});

test('1 and 2 threads give bit-identical weights (every reduction stays inside one work unit)', async () => {
  const g = buildReferenceNet({ dropout: 0.2 });
  const a = await trainFew(g, 1, 3), b = await trainFew(g, 2, 3);
  assert.ok(bitEqual(a.trainable, b.trainable) && bitEqual(a.buffers, b.buffers));
});

test('the tiny network learns 7 synthetic shapes to > 95% held-out accuracy in seconds', async () => {
  const graph = buildReferenceNet();
  const batch = 32, epochs = 4;
  const train = shapesDataset(1792, 48, 1), held = shapesDataset(350, 48, 2);
  const s = await Session.create({ graph, threads: 2, spawn: spawnNodeWorker, trainBatch: batch, inferBatches: [1, 64], seed: 1,
    train: { optimizer: { type: 'adam' } } });
  const per = 48 * 48, steps = train.y.length / batch;
  const t0 = performance.now();
  for (let e = 0; e < epochs; e++) {
    for (let i = 0; i < steps; i++) {
      s.trainInput.set(train.x.subarray(i * batch * per, (i + 1) * batch * per));
      s.trainLabels.set(train.y.subarray(i * batch, (i + 1) * batch));
      const lr = 3e-3 * 0.5 * (1 + Math.cos(Math.PI * (e * steps + i) / (epochs * steps)));
      s.trainStep(lr);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const logits = s.predict(held.x, held.y.length);
  let correct = 0;
  for (let n = 0; n < held.y.length; n++) {
    let best = 0;
    for (let k = 1; k < 7; k++) if (logits[n * 7 + k] > logits[n * 7 + best]) best = k;
    if (best === held.y[n]) correct++;
  }
  await s.close();
  const acc = correct / held.y.length;
  console.log(`# synthetic shapes: ${(acc * 100).toFixed(1)}% held-out accuracy after ${epochs} epochs, ${seconds.toFixed(1)} s of training`);
  assert.ok(acc > 0.95, `held-out accuracy ${acc}`);
});

test('distillation targets in two parts at temperature 1 train like their sum as one soft target; another temperature trains differently', async () => {
  const g = buildReferenceNet({ widths: [8, 16], units: 1 });
  const batch = 16, K = 7, steps = 3, data = shapesDataset(batch * steps, 48, 9), per = 48 * 48;
  // a fixed "teacher" distribution per sample: softmax of a smooth function of sample and class
  const teacher = (j: number, k: number) => {
    let s = 0;
    for (let c = 0; c < K; c++) s += Math.exp(Math.sin(j + 2 * c));
    return Math.exp(Math.sin(j + 2 * k)) / s;
  };
  const run = async (temperature: number | undefined) => {
    const s = await Session.create({ graph: g, threads: 1, trainBatch: batch, inferBatches: [8], seed: 7,
      train: { optimizer: { type: 'adamw', weightDecay: 1e-2 }, softTargets: true, distillTemperature: temperature } });
    const width = temperature === undefined ? K : 2 * K;
    assert.equal(s.trainTargets.length, batch * width);
    for (let i = 0; i < steps; i++) {
      s.trainInput.set(data.x.subarray(i * batch * per, (i + 1) * batch * per));
      s.trainLabels.set(data.y.subarray(i * batch, (i + 1) * batch));
      for (let j = 0; j < batch; j++) for (let k = 0; k < K; k++) {
        const a = 0.4 * (k === s.trainLabels[j] ? 1 : 0), b = 0.6 * teacher(i * batch + j, k);
        if (width === K) s.trainTargets[j * K + k] = a + b;
        else { s.trainTargets[j * width + k] = a; s.trainTargets[j * width + K + k] = b; }
      }
      s.trainStep(2e-3);
    }
    const w = s.getWeights().trainable;
    await s.close();
    return w;
  };
  const one = await run(undefined), two = await run(1), hot = await run(3);
  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  assert.ok(maxDiff(one, two) < 1e-5, `two parts at T = 1 should train like one soft target (max weight difference ${maxDiff(one, two)})`);
  assert.ok(maxDiff(one, hot) > 1e-4, `T = 3 should train differently (max weight difference ${maxDiff(one, hot)})`);
  await assert.rejects(Session.create({ graph: g, trainBatch: batch, train: { optimizer: { type: 'adamw' }, softTargets: true, distillTemperature: 0 } }), /distillTemperature must be > 0/);
});
