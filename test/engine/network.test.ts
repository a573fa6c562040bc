// Whole-network checks on the float64 reference backend: gradients against finite differences for every
// layer type wired together, parameter counts against PyTorch, BN folding against the unfolded network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder, Session, countParams, foldBatchNorm, inferShapes, numel, type Graph } from '../../src/engine/index.js';
import { buildReferenceNet } from '../../src/model/reference-net.js';
import { randomFill } from './kernel-harness.js';

test('tiny reference net has the 56,471 parameters PyTorch counts', () => {
  assert.equal(countParams(buildReferenceNet()), 56471);
});

test('widths 32,64,128,256 with 2 units has the 383,351 parameters PyTorch counts', () => {
  assert.equal(countParams(buildReferenceNet({ widths: [32, 64, 128, 256], units: 2 })), 383351);
});

/** A small graph that uses every layer type, at odd sizes. */
function everyLayerGraph(): Graph {
  const b = new GraphBuilder([2, 9, 7]);
  let h = b.conv2d(b.inputId, { out: 5, k: 3, pad: 1, bias: true }, 'c0');
  h = b.batchnorm(h, 'bn0', { relu: true });
  const a = h;
  let y = b.dwconv3x3(h, 'dw');
  y = b.pointwise(y, 5, 'pw', true);
  y = b.batchnorm(y, 'bn1');
  y = b.relu(y, 'r1');
  h = b.add(a, y, 'add1');
  const s = b.conv2d(h, { out: 6, k: 1, stride: 2 }, 'proj');
  y = b.maxpool(b.pointwise(h, 6, 'pw2'), 'pool');
  h = b.add(y, s, 'add2');
  h = b.conv2d(h, { out: 4, k: 3, stride: 2, pad: 1 }, 'c3');
  const g = b.gap(h, 'gap');
  const flat = b.dense(h, 8, 'fc1');
  const d = b.dropout(b.relu(flat, 'r2'), 0.25, 'drop');
  void g;
  b.dense(d, 3, 'fc2');
  return b.build();
}

async function gradCheck(graph: Graph, batch: number, smoothing = 0, classWeights?: number[]) {
  const s = await Session.create({ graph, backend: 'reference', trainBatch: batch, seed: 7, inferBatches: [1],
    train: { optimizer: { type: 'sgd' }, labelSmoothing: smoothing, classWeights } });
  const x = new Float64Array(s.trainInput.length);
  randomFill(x, 99);
  s.trainInput.set(x);
  const K = s.classes;
  for (let n = 0; n < batch; n++) s.trainLabels[n] = (n * 5 + 1) % K;
  const w0 = s.getWeights();
  const lossAt = (trainable: Float32Array) => {
    s.setWeights({ trainable, buffers: w0.buffers });
    s.steps = 0; // same dropout mask every evaluation
    return s.trainStep(0).loss;
  };
  // the reference heap is float64 but weights cross setWeights as float32: perturb float32-exactly
  lossAt(w0.trainable);
  const grads = s.getGradients();
  const L = s.layout;
  let worst = 0, checked = 0;
  for (const p of L.trainable) {
    for (const j of [0, Math.floor(p.size / 2), p.size - 1]) {
      const i = p.offset + j;
      const h = 1e-5 * Math.max(1, Math.abs(w0.trainable[i]));
      const plus = Float32Array.from(w0.trainable), minus = Float32Array.from(w0.trainable);
      plus[i] += h; minus[i] -= h;
      const hp = plus[i] - w0.trainable[i], hm = w0.trainable[i] - minus[i];
      const fd = (lossAt(plus) - lossAt(minus)) / (hp + hm);
      const err = Math.abs(fd - grads[i]) / Math.max(1e-3, Math.abs(fd) + Math.abs(grads[i]));
      worst = Math.max(worst, err);
      checked++;
      assert.ok(err < 1e-4, `${p.name}[${j}]: analytic ${grads[i]} vs finite difference ${fd}`);
    }
  }
  await s.close();
  return { worst, checked };
}

test('gradients of a graph with every layer type match finite differences (batch 3)', async () => {
  const r = await gradCheck(everyLayerGraph(), 3, 0.1, [1, 2, 0.5]);
  assert.ok(r.checked > 40);
});

test('gradients of a graph with every layer type match finite differences (batch 1)', async () => {
  await gradCheck(everyLayerGraph(), 1);
});

for (const variant of [{}, { activation: 'post' as const }, { residual: false }, { conv: 'conv' as const }]) {
  test(`reference net ${JSON.stringify(variant)} gradients match finite differences`, async () => {
    const g = buildReferenceNet({ widths: [4, 6], units: 2, inputSize: 13, stem: 3, ...variant });
    await gradCheck(g, 2);
  });
}

test('folding BatchNorm into convolutions leaves inference outputs unchanged', async () => {
  const g = buildReferenceNet({ widths: [4, 6], units: 2, inputSize: 13, stem: 3 });
  const s = await Session.create({ graph: g, backend: 'reference', seed: 3, inferBatches: [2] });
  // non-trivial running statistics and affine parameters
  const w = s.getWeights();
  randomFill(w.buffers, 5, 0.5);
  for (const p of s.layout.buffers) if (p.name.endsWith('running_var')) for (let i = 0; i < p.size; i++) w.buffers[p.offset + i] = 0.5 + Math.abs(w.buffers[p.offset + i]);
  for (const p of s.layout.trainable) if (p.kind === 'norm') randomFill(w.trainable.subarray(p.offset, p.offset + p.size), p.offset + 1, 1);
  s.setWeights(w);
  const x = new Float32Array(2 * 13 * 13);
  randomFill(x, 11);
  const before = s.predict(x, 2);
  const folded = foldBatchNorm(g, w);
  assert.ok(folded.graph.nodes.filter((n) => n.op === 'batchnorm').length < g.nodes.filter((n) => n.op === 'batchnorm').length);
  const f = await Session.create({ graph: folded.graph, backend: 'reference', weights: folded.weights, inferBatches: [2] });
  const after = f.predict(x, 2);
  for (let i = 0; i < before.length; i++) assert.ok(Math.abs(before[i] - after[i]) < 1e-4 * (1 + Math.abs(before[i])), `logit ${i}: ${before[i]} vs ${after[i]}`);
});

test('an inference plan reuses activation buffers: far less memory than one buffer per layer', async () => {
  const graph = buildReferenceNet({ widths: [32, 64, 128, 256], units: 2, dropout: 0.2 });
  const batch = 256;
  const everyLayer = inferShapes(graph).reduce((s, shape) => s + 4 * batch * numel(shape), 0);
  const s = await Session.create({ graph, inferBatches: [batch] });
  // weights, a few live activations and BatchNorm scratch: measured 0.36 GiB against 1.01 GiB of activations
  assert.ok(s.memoryBytes < everyLayer / 2, `${(s.memoryBytes / 2 ** 30).toFixed(2)} GiB for ${(everyLayer / 2 ** 30).toFixed(2)} GiB of activations`);
  await s.close();
});
