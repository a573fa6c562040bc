import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProbabilitySmoother, smoothRecord } from '../../src/pipeline/smoothing.js';

/** Step from [1, 0] to [0, 1] just after t = 0, sampled at `fps`: the smoothed second component over time. */
function stepResponse(fps: number, tau: number, until: number): [number, number][] {
  const sm = new ProbabilitySmoother(tau), out: [number, number][] = [];
  sm.update(1, 0, [1, 0]);
  for (let i = 1; i / fps <= until + 1e-9; i++) out.push([i / fps, sm.update(1, i / fps, [0, 1])[1]]);
  return out;
}

test('smoothing: the step response follows 1 - exp(-t / tau) at 10 and 30 fps alike', () => {
  for (const tau of [0.5, 0.2]) {
    for (const fps of [10, 30]) {
      for (const [t, v] of stepResponse(fps, tau, 2)) assert.ok(Math.abs(v - (1 - Math.exp(-t / tau))) < 1e-9, `fps ${fps} tau ${tau} t ${t}: ${v}`);
    }
    const at = (fps: number, t: number) => stepResponse(fps, tau, t).at(-1)![1];
    assert.ok(Math.abs(at(10, tau) - at(30, tau)) < 1e-9);
    assert.ok(Math.abs(at(10, tau) - (1 - 1 / Math.E)) < 1e-9, '63% of the step after one time constant');
  }
});

test('smoothing: irregular sampling (gaps) gives the same value as regular sampling', () => {
  const a = new ProbabilitySmoother(0.5), b = new ProbabilitySmoother(0.5);
  a.update(1, 0, [1, 0]); b.update(1, 0, [1, 0]);
  for (let i = 1; i <= 30; i++) a.update(1, i / 30, [0, 1]);
  b.update(1, 0.1, [0, 1]); b.update(1, 0.7, [0, 1]);
  assert.ok(Math.abs(a.update(1, 1, [0, 1])[1] - b.update(1, 1, [0, 1])[1]) < 1e-9);
});

test('smoothing: sums stay 1, tracks are independent, 0 disables it', () => {
  const sm = new ProbabilitySmoother();
  sm.update(1, 0, [0.2, 0.3, 0.5]);
  const v = sm.update(1, 0.1, [0.9, 0.05, 0.05]);
  assert.ok(Math.abs(v[0] + v[1] + v[2] - 1) < 1e-12);
  assert.deepEqual([...sm.update(2, 0.1, [0, 0, 1])], [0, 0, 1], 'a new track starts from its first observation');
  sm.retain([2]);
  assert.deepEqual([...sm.update(1, 0.2, [1, 0, 0])], [1, 0, 0], 'a forgotten track starts over');
  const off = new ProbabilitySmoother(0);
  off.update(1, 0, [1, 0]);
  assert.deepEqual([...off.update(1, 0.01, [0, 1])], [0, 1]);
  const r = smoothRecord(new ProbabilitySmoother(), 1, 0, ['a', 'b'], { a: 0.25, b: 0.75 });
  assert.deepEqual(r, { a: 0.25, b: 0.75 });
  assert.throws(() => sm.update(2, 0, [0, 0, 1]), /back in time/);
  assert.throws(() => new ProbabilitySmoother(-1), /timeConstant/);
});
