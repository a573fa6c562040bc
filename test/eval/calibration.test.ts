import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.js';
import { calibrateTemperature, fitTemperature, nllAtTemperature } from '../../src/eval/calibration.js';
import { negativeLogLikelihood, softmax } from '../../src/eval/metrics.js';

/** n x K logits z ~ N(0, scale^2) and labels drawn from softmax(z / T0): the true temperature is T0. */
function synthetic(n: number, K: number, T0: number, seed: number, scale = 3): { z: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const z = new Float32Array(n * K), y = new Int32Array(n);
  for (let i = 0; i < z.length; i++) z[i] = rng.normal() * scale;
  const p = softmax(z, K, T0);
  for (let i = 0; i < n; i++) {
    let u = rng.next(), c = 0;
    while (c < K - 1 && (u -= p[i * K + c]) > 0) c++;
    y[i] = c;
  }
  return { z, y };
}

test('fitTemperature recovers the temperature the labels were sampled with', () => {
  for (const T0 of [0.5, 2]) {
    const { z, y } = synthetic(6000, 5, T0, 11 + T0 * 10);
    const T = fitTemperature(z, y, 5);
    assert.ok(Math.abs(Math.log(T / T0)) < 0.08, `fitted ${T}, true ${T0}`);
    // it is a minimum of the NLL
    const f = (t: number) => nllAtTemperature(z, y, 5, t);
    assert.ok(f(T) <= f(T * 1.05) && f(T) <= f(T / 1.05));
  }
});

test('calibrateTemperature reports NLL and ECE before and after; scaling lowers both on over-confident logits', () => {
  const { z, y } = synthetic(4000, 4, 2.5, 5);
  const r = calibrateTemperature(z, y, 4);
  assert.ok(r.temperature > 2 && r.temperature < 3, `T = ${r.temperature}`);
  assert.ok(r.after.nll < r.before.nll, `NLL ${r.before.nll} -> ${r.after.nll}`);
  assert.ok(r.after.ece < r.before.ece, `ECE ${r.before.ece} -> ${r.after.ece}`);
  assert.ok(r.after.ece < 0.03, `calibrated ECE ${r.after.ece}`);
  // nllAtTemperature agrees with softmax + NLL
  const direct = negativeLogLikelihood(y, softmax(z, 4, r.temperature), 4);
  assert.ok(Math.abs(direct - r.after.nll) < 1e-9);
});

test('degenerate inputs: no samples gives 1, perfect separable logits go to the small end', () => {
  assert.equal(fitTemperature(new Float32Array(0), new Int32Array(0), 3), 1);
  const T = fitTemperature([5, 0, 0, 5], [0, 1], 2);
  assert.ok(T <= 0.011, `T = ${T}`);
  assert.throws(() => fitTemperature([1, 2], [2], 2), /label 2/);
});
