import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LrSchedule } from '../../src/engine/schedule.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/safetensors.js';

const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), msg ?? `${a} != ${b}`);

test('cosine schedule warms up linearly then decays to minLr', () => {
  const s = new LrSchedule(0.1, { type: 'cosine', totalSteps: 110, warmupSteps: 10, minLr: 0.001 });
  close(s.lr(0), 0.01); close(s.lr(9), 0.1); close(s.lr(10), 0.1);
  close(s.lr(60), 0.001 + 0.099 * 0.5); close(s.lr(110), 0.001);
});

test('one-cycle rises from base/div to base then anneals to base/(div*finalDiv)', () => {
  const s = new LrSchedule(1, { type: 'onecycle', totalSteps: 100, pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 });
  close(s.lr(0), 1 / 25); close(s.lr(29), 1); close(s.lr(99), 1 / 25 / 1e4);
  assert.ok(s.lr(15) > s.lr(5) && s.lr(60) < s.lr(40));
});

test('step schedule multiplies by gamma every stepSize steps', () => {
  const s = new LrSchedule(0.5, { type: 'step', stepSize: 10, gamma: 0.1 });
  close(s.lr(9), 0.5); close(s.lr(10), 0.05); close(s.lr(25), 0.005);
});

test('reduce-on-plateau cuts the rate after `patience` epochs without improvement', () => {
  const s = new LrSchedule(1, { type: 'plateau', patience: 2, factor: 0.5 });
  for (const m of [0.5, 0.6, 0.6, 0.6]) s.epochEnd(m);
  close(s.lr(0), 1);
  s.epochEnd(0.59);
  close(s.lr(0), 0.5);
  const st = s.state;
  const t = new LrSchedule(1, { type: 'plateau', patience: 2, factor: 0.5 });
  t.state = st;
  close(t.lr(0), 0.5);
});

test('safetensors round trip keeps names, shapes, values and metadata', () => {
  const bytes = encodeSafetensors({ a: { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) }, b: { shape: [1], data: Float32Array.from([Math.PI]) } }, { k: 'v' });
  const hlen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + hlen) % 8, 0);
  const r = decodeSafetensors(bytes);
  assert.deepEqual(r.tensors.a.shape, [2, 3]);
  assert.deepEqual([...r.tensors.a.data], [1, 2, 3, 4, 5, -6.5]);
  assert.equal(r.tensors.b.data[0], Math.fround(Math.PI));
  assert.equal(r.metadata.k, 'v');
  assert.throws(() => decodeSafetensors(bytes.subarray(0, 20)), /not a valid safetensors/);
});
