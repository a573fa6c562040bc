// Fine-tuning starts: same network -> the file's weights; other classes -> all but the head; other body -> a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initParams, paramLayout } from '../../src/engine/index.js';
import { weightsToTensors } from '../../src/engine/model-file.js';
import { buildReferenceNet } from '../../src/model/reference-net.js';
import { fineTuneWeights } from '../../src/train/fine-tune.js';

const net = (classes: number, widths = [4, 8, 8, 8]) => buildReferenceNet({ widths, units: 1, classes, stem: 4, inputSize: 16 });
const weights = (g: ReturnType<typeof net>, seed: number) => initParams(paramLayout(g), seed);

test('fineTuneWeights: the same network takes the file weights unchanged', () => {
  const g = net(7), file = weights(g, 1);
  const r = fineTuneWeights(g, weights(g, 2), { graph: g, weights: file }, 'x');
  assert.equal(r.weights, file);
  assert.deepEqual(r.fresh, []);
});

test('fineTuneWeights: other classes keep a fresh head and copy every other tensor', () => {
  const from = net(7), to = net(3);
  const file = weights(from, 1), fresh = weights(to, 2);
  const r = fineTuneWeights(to, fresh, { graph: from, weights: file }, 'x');
  assert.deepEqual(r.fresh.sort(), ['head.bias', 'head.weight']);
  const got = weightsToTensors(paramLayout(to), r.weights), src = weightsToTensors(paramLayout(from), file), init = weightsToTensors(paramLayout(to), fresh);
  for (const [name, t] of Object.entries(got)) {
    const want = name.startsWith('head.') ? init[name] : src[name];
    assert.deepEqual(Array.from(t.data), Array.from(want.data), name);
  }
});

test('fineTuneWeights: a different body is refused with what to do', () => {
  assert.throws(() => fineTuneWeights(net(7), weights(net(7), 1), { graph: net(7, [4, 8, 8, 16]), weights: weights(net(7, [4, 8, 8, 16]), 1) }, 'm.safetensors'),
    /--init m\.safetensors: that model's network differs.*leave them out to take the file's/);
});

const SEVEN = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
/** head tensor `name`'s output row k (first dimension) */
const row = (w: ReturnType<typeof weights>, g: ReturnType<typeof net>, name: string, k: number) => {
  const t = weightsToTensors(paramLayout(g), w)[name], per = t.data.length / t.shape[0];
  return Array.from(t.data.subarray(k * per, (k + 1) * per));
};

test('fineTuneWeights: the head outputs of classes the file knows carry over by name; only new classes start fresh', () => {
  const from = net(7), to = net(8);
  const file = weights(from, 1), fresh = weights(to, 2);
  const labels = [...SEVEN.slice(0, 6), 'contempt', 'neutral']; // contempt in the middle: rows must follow the names
  const r = fineTuneWeights(to, fresh, { graph: from, weights: file, labels: SEVEN }, 'x', labels);
  assert.deepEqual(r.fresh, []);
  assert.deepEqual(r.carried, [...SEVEN.slice(0, 6), 'neutral']);
  for (const name of ['head.weight', 'head.bias']) {
    labels.forEach((l, k) => {
      const want = l === 'contempt' ? row(fresh, to, name, k) : row(file, from, name, SEVEN.indexOf(l));
      assert.deepEqual(row(r.weights, to, name, k), want, `${name} output ${k} (${l})`);
    });
  }
});

test('fineTuneWeights: the same network with the classes in another order permutes the head', () => {
  const g = net(7), file = weights(g, 1);
  const reversed = [...SEVEN].reverse();
  const r = fineTuneWeights(g, weights(g, 2), { graph: g, weights: file, labels: SEVEN }, 'x', reversed);
  assert.deepEqual(r.fresh, []);
  for (let k = 0; k < 7; k++) assert.deepEqual(row(r.weights, g, 'head.weight', k), row(file, g, 'head.weight', 6 - k));
  // and with the same classes in the same order, the file's weights as they are
  assert.equal(fineTuneWeights(g, weights(g, 2), { graph: g, weights: file, labels: SEVEN }, 'x', SEVEN).weights, file);
});

test('fineTuneWeights: a wider body with widen on starts from the file widened; the head still follows class names', () => {
  const from = net(7), to = net(8, [6, 8, 12, 8]);
  const file = weights(from, 1);
  assert.throws(() => fineTuneWeights(to, weights(to, 2), { graph: from, weights: file, labels: SEVEN }, 'm'), /add --widen/);
  const labels = [...SEVEN, 'contempt'];
  const r = fineTuneWeights(to, weights(to, 2), { graph: from, weights: file, labels: SEVEN }, 'm', labels, { seed: 1 });
  assert.deepEqual(r.widened, ['body.0.c1.1: 4 -> 6 channels', 'body.0.c2.1: 4 -> 6 channels', 'body.2.c1.1: 8 -> 12 channels', 'body.2.c2.1: 8 -> 12 channels']);
  assert.deepEqual(r.carried, SEVEN);
  // an unwidened layer (stage 4's depthwise filter reads stage 3's widened channels, so take the stem) is the file's
  const got = weightsToTensors(paramLayout(to), r.weights), src = weightsToTensors(paramLayout(from), file);
  assert.deepEqual(Array.from(got['stem.0.weight'].data), Array.from(src['stem.0.weight'].data));
});
