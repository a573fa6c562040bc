import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparePaired, mcnemarExact } from '../../src/eval/paired.js';
import { evaluateLogits } from '../../src/eval/labels.js';

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

test('mcnemarExact: hand-computed binomial tails', () => {
  // no discordant faces: no evidence either way
  assert.equal(mcnemarExact(0, 0), 1);
  // 5 faces all one way: 2 * (1/2)^5
  close(mcnemarExact(0, 5), 2 / 32);
  // 1 against 9: 2 * (C(10,0) + C(10,1)) / 2^10 = 22/1024
  close(mcnemarExact(1, 9), 22 / 1024);
  // 3 against 12: 2 * (1 + 15 + 105 + 455) / 2^15 = 1152/32768
  close(mcnemarExact(12, 3), 1152 / 32768);
  // an even split: the doubled tail passes 1 and is capped
  assert.equal(mcnemarExact(5, 5), 1);
  // 2 against 1: 2 * (1 + 3)/8 = 1
  assert.equal(mcnemarExact(2, 1), 1);
});

test('mcnemarExact: symmetric, monotone in the imbalance, and finite for thousands of faces', () => {
  for (const [b, c] of [[3, 11], [40, 61], [0, 7]]) close(mcnemarExact(b, c), mcnemarExact(c, b));
  let last = 1;
  for (let b = 50; b >= 0; b -= 5) { const p = mcnemarExact(b, 100 - b); assert.ok(p <= last + 1e-15, `p(${b}, ${100 - b}) = ${p} rose above ${last}`); last = p; }
  assert.equal(mcnemarExact(1000, 1000), 1);
  // 900 against 1100: z = 200 / sqrt(2000) = 4.47, normal two-sided p about 8e-6; the exact one is of that order
  const p = mcnemarExact(900, 1100);
  assert.ok(p > 1e-6 && p < 2e-5, `p = ${p}`);
  // 74 against 63 (the kind of split behind a 0.3-point gap on 3,589 faces): nowhere near 0.05
  assert.ok(mcnemarExact(74, 63) > 0.3);
});

test('mcnemarExact: counts must be non-negative integers', () => {
  for (const [b, c] of [[-1, 2], [1.5, 2], [NaN, 0]]) assert.throws(() => mcnemarExact(b, c), /counts must be integers >= 0/);
});

test('comparePaired: the four cells, both accuracies and the p-value of the discordant ones', () => {
  //        image: 0  1  2  3  4  5
  const a = [1, 1, 0, 0, 1, 1], b = [1, 0, 1, 0, 0, 1];
  const r = comparePaired(a, b);
  assert.deepEqual({ ...r, pValue: undefined }, { n: 6, accuracyA: 4 / 6, accuracyB: 3 / 6, bothRight: 2, bothWrong: 1, onlyA: 2, onlyB: 1, pValue: undefined });
  assert.equal(r.pValue, mcnemarExact(2, 1));
  assert.throws(() => comparePaired([1, 0], [1]), /must cover the same images/);
  assert.throws(() => comparePaired([], []), /no images/);
});

test('evaluateLogits: correct marks the images whose top class is the label, in order', () => {
  // 3 classes, 4 images: top classes 0, 2, 1, 1 against labels 0, 1, 1, 2
  const logits = [3, 1, 0, 0, 1, 4, 0, 2, 1, 1, 5, 0];
  const r = evaluateLogits(logits, [0, 1, 1, 2], ['a', 'b', 'c']);
  assert.deepEqual(Array.from(r.correct), [1, 0, 1, 0]);
  close(r.accuracy, 0.5);
});
