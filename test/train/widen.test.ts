// Net2WiderNet: the widened network must compute what the narrow one did (in both BatchNorm modes), its
// copies must not be identical, and anything but a pure widening is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, createInferenceSession, paramLayout } from '../../src/engine/index.js';
import { weightsToTensors } from '../../src/engine/model-file.js';
import { buildReferenceNet } from '../../src/model/reference-net.js';
import { widenWeights } from '../../src/train/widen.js';
import { randomFill } from '../engine/kernel-harness.js';

const net = (widths: number[], o: { units?: number; classes?: number; dropout?: number; stem?: number } = {}) =>
  buildReferenceNet({ widths, units: o.units ?? 2, classes: o.classes ?? 7, stem: o.stem ?? 4, inputSize: 16, dropout: o.dropout ?? 0 });

/** Trained-looking weights: random everywhere, BatchNorm statistics included (variances kept positive). */
async function randomWeights(g: ReturnType<typeof net>, seed: number) {
  const s = await Session.create({ graph: g, seed, inferBatches: [1] });
  const w = s.getWeights();
  randomFill(w.trainable, seed + 1, 0.4);
  randomFill(w.buffers, seed + 2, 0.2);
  for (const p of s.layout.buffers) if (p.name.endsWith('running_var')) for (let i = 0; i < p.size; i++) w.buffers[p.offset + i] = Math.abs(w.buffers[p.offset + i]) + 0.5;
  await s.close();
  return w;
}

test('widenWeights: the wider network gives the narrow one\'s logits (inference, BatchNorm running statistics)', async () => {
  const from = net([4, 6, 8, 8]), to = net([6, 11, 8, 16]);
  const w = await randomWeights(from, 3);
  const { weights, widened } = widenWeights(from, w, to, 1);
  // every widened channel space is listed (per unit: the inner conv's and the residual stream's); stage 3 kept its 8
  assert.deepEqual(widened.filter((l) => /^body\.[45]\./.test(l)), [], widened.join('; '));
  assert.ok(widened.some((l) => l.startsWith('body.6.') && l.endsWith('8 -> 16 channels')), widened.join('; '));
  const x = new Float32Array(5 * 16 * 16);
  randomFill(x, 9);
  const a = await createInferenceSession({ graph: from, weights: w, inferBatches: [5] });
  const b = await createInferenceSession({ graph: to, weights, inferBatches: [5] });
  const ya = a.predict(x, 5), yb = b.predict(x, 5);
  let maxLogit = 0;
  for (let i = 0; i < ya.length; i++) { assert.ok(Math.abs(ya[i] - yb[i]) < 1e-3 * (1 + Math.abs(ya[i])), `logit ${i}: ${ya[i]} vs ${yb[i]}`); maxLogit = Math.max(maxLogit, Math.abs(ya[i])); }
  assert.ok(maxLogit > 0.05, 'the logits are not trivially zero');
  await a.close(); await b.close();
});

test('widenWeights: a wider stem alone (`--stem N --widen`) also gives the narrow network\'s logits', async () => {
  const from = net([4, 6, 8, 8]), to = net([4, 6, 8, 8], { stem: 9 });
  const w = await randomWeights(from, 7);
  const { weights, widened } = widenWeights(from, w, to, 3);
  // the stem's two convolutions are the only spaces widened; the stages keep their widths
  assert.deepEqual(widened.map((l) => l.replace(/:.*/, '')).sort(), ['stem.0', 'stem.3']);
  assert.ok(widened.every((l) => l.endsWith('4 -> 9 channels')), widened.join('; '));
  const x = new Float32Array(3 * 16 * 16);
  randomFill(x, 11);
  const a = await createInferenceSession({ graph: from, weights: w, inferBatches: [3] });
  const b = await createInferenceSession({ graph: to, weights, inferBatches: [3] });
  const ya = a.predict(x, 3), yb = b.predict(x, 3);
  for (let i = 0; i < ya.length; i++) assert.ok(Math.abs(ya[i] - yb[i]) < 1e-3 * (1 + Math.abs(ya[i])), `logit ${i}: ${ya[i]} vs ${yb[i]}`);
  assert.ok(ya.some((v) => Math.abs(v) > 0.05), 'the logits are not trivially zero');
  await a.close(); await b.close();
});

test('widenWeights: copies of a channel get different input weights (so training can tell them apart)', async () => {
  const from = net([4, 4, 4, 4], { units: 1 }), to = net([8, 4, 4, 4], { units: 1 });
  const w = await randomWeights(from, 5);
  const t = weightsToTensors(paramLayout(to), widenWeights(from, w, to, 2).weights);
  // body.1.c1.1 is stage 2's pointwise conv, reading stage 1's 8 channels (4 of them copies). With equal
  // shares a copy's column would equal its original's; with random shares no column equals another.
  const pw = t['body.1.c1.1.weight'];
  const [k2, c2] = pw.shape;
  const column = (j: number) => Array.from({ length: k2 }, (_, k) => pw.data[k * c2 + j]);
  for (let j = 4; j < c2; j++) for (let i = 0; i < c2; i++) {
    if (i !== j) assert.notDeepEqual(column(j), column(i), `columns ${j} and ${i}`);
  }
});

test('widenWeights: refuses narrowing, other structure and other class counts, saying why', async () => {
  const from = net([4, 6, 8, 8]);
  const w = await randomWeights(from, 1);
  assert.throws(() => widenWeights(from, w, net([4, 5, 8, 8]), 1), /body\.\d+\.\S+ would go from 6 to 5 channels; widening cannot remove channels/);
  assert.throws(() => widenWeights(from, w, net([4, 6, 8, 8], { units: 1 }), 1), /differ in more than their widths/);
  assert.throws(() => widenWeights(from, w, net([4, 6, 8, 8], { dropout: 0.2 }), 1), /differ in more than their widths/);
  assert.throws(() => widenWeights(from, w, net([4, 6, 8, 8], { classes: 8 }), 1), /different number of classes/);
});

test('widenWeights: the same widths give the same weights back', async () => {
  const g = net([4, 6, 8, 8]);
  const w = await randomWeights(g, 4);
  const r = widenWeights(g, w, g, 1);
  assert.deepEqual(Array.from(r.weights.trainable), Array.from(w.trainable));
  assert.deepEqual(Array.from(r.weights.buffers), Array.from(w.buffers));
  assert.deepEqual(r.widened, []);
});
