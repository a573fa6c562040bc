import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session, createInferenceSession } from '../../src/engine/index.js';
import { loadModel, saveModel } from '../../src/engine/node/files.js';
import { buildReferenceNet } from '../../src/model/reference-net.js';
import { randomFill } from './kernel-harness.js';

test('a saved model loads back with the same graph, weights and predictions', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const graph = buildReferenceNet();
  const s = await Session.create({ graph, seed: 9, inferBatches: [3] });
  const w = s.getWeights();
  randomFill(w.buffers, 3, 0.2);
  for (const p of s.layout.buffers) if (p.name.endsWith('running_var')) for (let i = 0; i < p.size; i++) w.buffers[p.offset + i] += 1;
  s.setWeights(w);
  const x = new Float32Array(3 * 48 * 48);
  randomFill(x, 4);
  const before = s.predict(x, 3);
  const path = join(dir, 'm.safetensors');
  saveModel(path, { graph, weights: w, metadata: { labels: 'a,b' } });
  assert.deepEqual(readdirSync(dir), ['m.safetensors'], 'no temporary file is left behind');
  const m = loadModel(path);
  assert.equal(m.metadata.labels, 'a,b');
  assert.deepEqual(m.graph, graph);
  const s2 = await createInferenceSession({ graph: m.graph, weights: m.weights, inferBatches: [3] });
  const after = s2.predict(x, 3);
  for (let i = 0; i < before.length; i++) assert.ok(Math.abs(before[i] - after[i]) < 1e-4, `logit ${i}: ${before[i]} vs ${after[i]}`);
  await s.close(); await s2.close();
});

test('loading a corrupt or foreign file fails with a message naming the file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const p = join(dir, 'bad.safetensors');
  writeFileSync(p, 'not a model at all');
  assert.throws(() => loadModel(p), /bad\.safetensors: not a valid safetensors file/);
  assert.throws(() => loadModel(join(dir, 'missing.safetensors')), /cannot read model file .*ENOENT/);
});

test('weights of a different architecture are refused', async () => {
  const s = await Session.create({ graph: buildReferenceNet(), inferBatches: [1] });
  const other = await Session.create({ graph: buildReferenceNet({ widths: [8, 16] }), inferBatches: [1] });
  assert.throws(() => s.setWeights(other.getWeights()), /different architecture/);
});
