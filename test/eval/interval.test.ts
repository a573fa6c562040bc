import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wilsonInterval, Z95 } from '../../src/eval/interval.js';
import { evaluateLogits } from '../../src/eval/labels.js';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

test('wilsonInterval: hand-computed 95% intervals', () => {
  // 5 of 10: centre 1/2, half-width z sqrt(1/40 + z^2/400) / (1 + z^2/10)
  const z2 = Z95 * Z95, half = (Z95 * Math.sqrt(1 / 40 + z2 / 400)) / (1 + z2 / 10);
  const [lo, hi] = wilsonInterval(5, 10);
  close(lo, 0.5 - half); close(hi, 0.5 + half);
  close(lo, 0.236593, 1e-6); close(hi, 0.763407, 1e-6);
  // none right: [0, z^2 / (n + z^2)]; all right: the mirror image
  assert.deepEqual(wilsonInterval(0, 10), [0, z2 / (10 + z2)]);
  const [l10, h10] = wilsonInterval(10, 10);
  close(l10, 10 / (10 + z2)); assert.equal(h10, 1);
  // 2,376 of 3,589 (the bundled tiny on PublicTest): about ±1.55 points around 66.20%
  const [a, b] = wilsonInterval(2376, 3589);
  close(a, 0.64637, 1e-4); close(b, 0.67733, 1e-4);
});

test('wilsonInterval: contains the estimate, narrows with n, rejects bad counts', () => {
  for (const [k, n] of [[1, 3], [80, 93], [894, 927]]) { const [lo, hi] = wilsonInterval(k, n); assert.ok(lo < k / n && k / n < hi); }
  const w = (n: number) => { const [lo, hi] = wilsonInterval(n / 2, n); return hi - lo; };
  assert.ok(w(100) > w(1000) && w(1000) > w(10000));
  assert.throws(() => wilsonInterval(3, 2), /k must be an integer in \[0, 2\]/);
  assert.throws(() => wilsonInterval(0, 0), /n must be a positive integer/);
  assert.throws(() => wilsonInterval(1.5, 4), /k must be an integer/);
});

test('evaluateLogits: the accuracy interval is Wilson\'s for the images right', () => {
  const logits = [3, 1, 0, 0, 1, 4, 0, 2, 1, 1, 5, 0];
  const r = evaluateLogits(logits, [0, 1, 1, 2], ['a', 'b', 'c']);
  assert.deepEqual(r.accuracyInterval, wilsonInterval(2, 4));
});
