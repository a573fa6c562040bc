import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracy, argmaxRows, computeMetrics, confidenceBin, confusionMatrix, expectedCalibrationError, macroF1,
  negativeLogLikelihood, perClassMetrics, reliabilityBins, softmax,
} from '../../src/eval/metrics.js';

const close = (a: number, b: number, eps = 1e-12, msg = '') => assert.ok(Math.abs(a - b) <= eps, `${msg} ${a} vs ${b}`);

/** One-hot-ish probability rows whose arg-max is `pred` (confidence 0.6 on it, the rest shared). */
function probsFor(pred: number[], K: number): number[] {
  return pred.flatMap((p) => Array.from({ length: K }, (_, c) => (c === p ? 0.6 : 0.4 / (K - 1))));
}

/*
 * Hand-worked 3-class example (classes A=0, B=1, C=2), 10 samples:
 *   true A (4): predicted A, A, B, C
 *   true B (3): predicted B, B, A
 *   true C (3): predicted C, C, C
 *
 * Confusion (rows true, cols predicted):      column sums (predicted): A 3, B 3, C 4
 *        A  B  C
 *   A [  2  1  1 ]  support 4
 *   B [  1  2  0 ]  support 3
 *   C [  0  0  3 ]  support 3
 *
 * precision: A 2/3, B 2/3, C 3/4
 * recall:    A 2/4 = 1/2, B 2/3, C 3/3 = 1
 * F1 = 2PR/(P+R): A 2(2/3)(1/2)/(2/3+1/2) = (2/3)/(7/6) = 4/7
 *                 B 2/3 (P = R)
 *                 C 2(3/4)(1)/(7/4) = 6/7
 * macro-F1 = (4/7 + 2/3 + 6/7)/3 = (30/21 + 14/21)/3 = 44/63
 * accuracy = (2+2+3)/10 = 7/10
 */
const Y = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
const P = [0, 0, 1, 2, 1, 1, 0, 2, 2, 2];

test('3-class example: confusion, precision/recall/F1, macro-F1 and accuracy match the hand computation', () => {
  const probs = probsFor(P, 3);
  assert.deepEqual(Array.from(argmaxRows(probs, 3)), P);
  const cm = confusionMatrix(Y, P, 3);
  assert.deepEqual(cm, [[2, 1, 1], [1, 2, 0], [0, 0, 3]]);
  const pc = perClassMetrics(cm);
  close(pc[0].precision, 2 / 3); close(pc[1].precision, 2 / 3); close(pc[2].precision, 3 / 4);
  close(pc[0].recall, 1 / 2); close(pc[1].recall, 2 / 3); close(pc[2].recall, 1);
  close(pc[0].f1, 4 / 7); close(pc[1].f1, 2 / 3); close(pc[2].f1, 6 / 7);
  assert.deepEqual(pc.map((c) => c.support), [4, 3, 3]);
  close(macroF1(pc), 44 / 63);
  close(accuracy(Y, probs, 3), 7 / 10);
  const m = computeMetrics(Y, probs, 3);
  assert.equal(m.n, 10);
  close(m.accuracy, 0.7); close(m.macroF1, 44 / 63);
  assert.deepEqual(m.confusion, cm);
});

test('macro-F1 averages only over classes with support > 0; a never-predicted class has precision 0', () => {
  // the same data with a 4th class D that no sample has and nothing predicts
  const m = computeMetrics(Y, probsFor(P, 4), 4);
  assert.equal(m.perClass[3].support, 0);
  assert.deepEqual(m.perClass[3], { precision: 0, recall: 0, f1: 0, support: 0 });
  close(m.macroF1, 44 / 63);
  // a class that has samples but is never predicted counts, with F1 0
  const m2 = computeMetrics([0, 1], probsFor([0, 0], 2), 2);
  assert.deepEqual(m2.perClass[1], { precision: 0, recall: 0, f1: 0, support: 1 });
  close(m2.perClass[0].f1, 2 * 0.5 * 1 / 1.5);
  close(m2.macroF1, (2 / 3 + 0) / 2);
});

/*
 * ECE example, 2 classes, 4 samples, 15 bins of width 1/15 (bin b = (b/15, (b+1)/15]):
 *   s1 probs [0.90, 0.10], label 0: confidence 0.90, correct -> bin 13 (0.867, 0.933]
 *   s2 probs [0.10, 0.90], label 0: confidence 0.90, wrong   -> bin 13
 *   s3 probs [0.65, 0.35], label 0: confidence 0.65, correct -> bin 9  (0.600, 0.667]
 *   s4 probs [0.45, 0.55], label 0: confidence 0.55, wrong   -> bin 8  (0.533, 0.600]
 * bin 13: acc 1/2, conf 0.90, n 2 -> |0.5 - 0.9| * 2/4 = 0.2
 * bin 9:  acc 1,   conf 0.65, n 1 -> 0.35 * 1/4      = 0.0875
 * bin 8:  acc 0,   conf 0.55, n 1 -> 0.55 * 1/4      = 0.1375
 * ECE = 0.425
 * NLL = -(ln 0.9 + ln 0.1 + ln 0.65 + ln 0.45)/4
 */
test('ECE with 15 equal-width bins and NLL on a tiny example', () => {
  const y = [0, 0, 0, 0];
  const p = [0.9, 0.1, 0.1, 0.9, 0.65, 0.35, 0.45, 0.55];
  close(expectedCalibrationError(y, p, 2), 0.425, 1e-12);
  const bins = reliabilityBins(y, p, 2);
  assert.equal(bins.length, 15);
  assert.deepEqual(bins.map((b) => b.count), [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 2, 0]);
  close(bins[13].accuracy, 0.5); close(bins[13].confidence, 0.9);
  close(bins[9].accuracy, 1); close(bins[8].accuracy, 0);
  close(negativeLogLikelihood(y, p, 2), -(Math.log(0.9) + Math.log(0.1) + Math.log(0.65) + Math.log(0.45)) / 4);
  // perfectly calibrated: confidence 1 and always right
  close(expectedCalibrationError([0, 1], [1, 0, 0, 1], 2), 0);
});

test('confidence bins are right-closed, with 0 in the first and 1 in the last', () => {
  assert.equal(confidenceBin(0, 15), 0);
  assert.equal(confidenceBin(1, 15), 14);
  assert.equal(confidenceBin(1 / 15, 15), 0);
  assert.equal(confidenceBin(0.5, 15), 7);
  assert.equal(confidenceBin(0.6, 15), 8);
  assert.equal(confidenceBin(0.6000001, 15), 9);
  for (let b = 1; b < 15; b++) { assert.equal(confidenceBin(b / 15, 15), b - 1); assert.equal(confidenceBin(b / 15 + 1e-9, 15), b); }
});

test('softmax is stable, sums to 1 and applies the temperature', () => {
  const p = softmax([1000, 1000, 999, 0, 0, 0], 3);
  close(p[0] + p[1] + p[2], 1, 1e-12);
  close(p[0], p[1]);
  close(p[3], 1 / 3);
  const t = softmax([2, 0], 2, 2);
  close(t[0], Math.exp(1) / (Math.exp(1) + 1));
  assert.throws(() => softmax([1, 2], 2, 0), /temperature/);
  assert.throws(() => softmax([1, 2, 3], 2), /multiple/);
});

test('shape and label errors are reported', () => {
  assert.throws(() => accuracy([0, 1], [0.5, 0.5], 2), /expected 2 x 2/);
  assert.throws(() => accuracy([0, 3], [0.5, 0.5, 0.5, 0.5], 2), /label 3 at index 1/);
  assert.throws(() => confusionMatrix([0], [0, 1], 2), /1 labels but 2 predictions/);
});
