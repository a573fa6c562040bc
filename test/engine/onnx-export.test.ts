// The ONNX export runs in onnxruntime-node and matches ferkit's engine to 1e-4 on random inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, createInferenceSession, exportOnnx, type Graph } from '../../src/engine/index.js';
import { buildReferenceNet } from '../../src/model/reference-net.js';
import { randomFill } from './kernel-harness.js';
import { trainedLikeWeights } from './random-weights.js';

async function check(graph: Graph, n: number, temperature: number) {
  const w = await trainedLikeWeights(graph);
  const engine = await createInferenceSession({ graph, weights: w, inferBatches: [n] });
  const [C, H, W] = (graph.nodes[0] as { shape: [number, number, number] }).shape;
  const x = new Float32Array(n * C * H * W);
  randomFill(x, 21);
  const ours = engine.predict(x, n);
  const bytes = exportOnnx(graph, w, { temperature, metadata: { labels: 'x' } });
  const sess = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const r = await sess.run({ input: new ort.Tensor('float32', x, [n, C, H, W]) });
  const logits = r.logits.data as Float32Array, probs = r.probabilities.data as Float32Array;
  assert.deepEqual(r.logits.dims, [n, ours.length / n]);
  let worst = 0;
  for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - logits[i]));
  assert.ok(worst < 1e-4, `max |ferkit - onnxruntime| = ${worst}`);
  const K = ours.length / n;
  for (let j = 0; j < n; j++) {
    const row = Array.from(ours.subarray(j * K, (j + 1) * K), (v) => v / temperature);
    const m = Math.max(...row), z = row.reduce((a, v) => a + Math.exp(v - m), 0);
    for (let k = 0; k < K; k++) assert.ok(Math.abs(Math.exp(row[k] - m) / z - probs[j * K + k]) < 1e-5);
  }
  await engine.close();
  return worst;
}

test('ONNX export of the tiny network matches the engine within 1e-4 (logits and tempered softmax)', async () => {
  const worst = await check(buildReferenceNet(), 3, 1.7);
  console.log(`# tiny: max abs logit difference ${worst.toExponential(2)}`);
});

// Identity units (units > 1) read their input twice, first through the pre-activation and last in the
// residual add: the case where an inference plan that reuses activation buffers would free one too early.
test('ONNX export of a base-shaped network (identity units, dropout) matches the engine at batch 1 and 64', async () => {
  const graph = buildReferenceNet({ widths: [4, 8, 8], units: 3, dropout: 0.2, inputSize: 24 });
  await check(graph, 1, 1);
  await check(graph, 64, 1);
});

test('ONNX export covers post-activation units, plain convolutions, dense, dropout', async () => {
  await check(buildReferenceNet({ widths: [4, 6], activation: 'post', conv: 'conv', dropout: 0.3, inputSize: 20 }), 2, 1);
  const b = new GraphBuilder([1, 9, 9]);
  let h = b.conv2d(b.inputId, { out: 3, k: 3, stride: 2, pad: 1 }, 'c');
  h = b.relu(h, 'r');
  h = b.dense(h, 4, 'fc');
  await check(b.build(h), 2, 1);
});
