// int8 quantization: the parameter arithmetic against hand-computed examples, and the QDQ export run in
// onnxruntime: fused into its integer kernels, close to the float export, and strict about missing ranges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  ACTIVATION_PREFIX, exportOnnx, fakeQuantize, quantizeBias, quantizeWeights, uint8Params, widenRanges, type ActivationRanges,
} from '../../src/engine/index.js';
import { buildReferenceNet } from '../../src/model/reference-net.js';
import { randomFill } from './kernel-harness.js';
import { trainedLikeWeights } from './random-weights.js';

const close = (a: number, b: number, tol = 1e-12) => Math.abs(a - b) <= tol;

test('uint8Params covers the range with 256 levels and keeps 0 exact', () => {
  const relu = uint8Params([0, 2.55]);
  assert.ok(close(relu.scale, 0.01) && relu.zeroPoint === 0);
  const sym = uint8Params([-1, 1]);
  assert.ok(close(sym.scale, 2 / 255) && sym.zeroPoint === 128); // 127.5 rounds up
  const up = uint8Params([0.5, 1]);
  assert.ok(close(up.scale, 1 / 255) && up.zeroPoint === 0); // widened down to 0
  const neg = uint8Params([-3, -1]);
  assert.ok(close(neg.scale, 3 / 255) && neg.zeroPoint === 255); // widened up to 0
  assert.deepEqual(uint8Params([0, 0]), { scale: 1, zeroPoint: 0 });
  assert.throws(() => uint8Params([1, 0]), /bad range/);
  assert.throws(() => uint8Params([0, NaN]), /bad range/);
});

test('fakeQuantize rounds half to even and saturates, as QuantizeLinear does', () => {
  const p = { scale: 0.5, zeroPoint: 10 };
  assert.equal(fakeQuantize(0.25, p), 0); // 0.5 -> 0
  assert.equal(fakeQuantize(0.75, p), 1); // 1.5 -> 2
  assert.equal(fakeQuantize(-0.75, p), -1); // -1.5 -> -2
  assert.equal(fakeQuantize(200, p), (255 - 10) * 0.5);
  assert.equal(fakeQuantize(-10, p), -5); // q = 0
});

test('quantizeWeights: symmetric int8 with one scale per output channel', () => {
  const { q, scales } = quantizeWeights(Float32Array.of(1, -0.5, 0.25, 0, 0, 0), 2, 8);
  assert.ok(close(scales[0], 1 / 127, 1e-9) && scales[1] === 1);
  assert.deepEqual(Array.from(q), [127, -63, 32, 0, 0, 0]); // -63.5 rounds to -63, 31.75 to 32
  assert.throws(() => quantizeWeights(new Float32Array(5), 2, 8), /do not split/);
  // 7 bits (what the ONNX export uses): |q| <= 63, so uint8 x int8 pair sums fit int16 on CPUs without VNNI
  const r7 = quantizeWeights(Float32Array.of(1, -0.5, 0.25, 0.1), 1, 7);
  assert.ok(close(r7.scales[0], 1 / 63, 1e-9));
  assert.deepEqual(Array.from(r7.q), [63, -31, 16, 6]); // -31.5 rounds to -31, 15.75 to 16, 6.3 to 6
  assert.throws(() => quantizeWeights(new Float32Array(2), 1, 6 as 7), /bits must be 7 or 8/);
});

test('quantizeBias: int32 at input scale x weight scale', () => {
  const { q, scales } = quantizeBias(Float32Array.of(0.3, -0.2), 0.1, Float32Array.of(0.5, 0.01));
  assert.ok(close(scales[0], 0.05, 1e-8) && close(scales[1], 0.001, 1e-9));
  assert.deepEqual(Array.from(q), [6, -200]);
  assert.throws(() => quantizeBias(new Float32Array(2), 1, new Float32Array(3)), /2 biases for 3 channels/);
});

test('widenRanges keeps the running min and max per activation', () => {
  const r = widenRanges({}, { a: [1, -2, 3], b: [0.5] });
  widenRanges(r, { a: [4, 0], b: [-1] });
  assert.deepEqual(r, { a: [-2, 4], b: [-1, 0.5] });
  assert.throws(() => widenRanges({}, { c: [1, Infinity] }), /"c" has a non-finite value/);
});

test('int8 export: onnxruntime runs it on integer kernels, close to the float model', async () => {
  const graph = buildReferenceNet({ widths: [4, 8], inputSize: 16 });
  const w = await trainedLikeWeights(graph);
  const n = 32, px = 16 * 16;
  const x = new Float32Array(n * px);
  randomFill(x, 5, 2);
  // calibrate on the same inputs: every activation's range, through the exposed outputs
  const cal = await ort.InferenceSession.create(exportOnnx(graph, w, { exposeActivations: true }), { logSeverityLevel: 3 });
  const names = cal.outputNames.filter((o) => o.startsWith(ACTIVATION_PREFIX));
  assert.ok(names.includes(`${ACTIVATION_PREFIX}input`) && names.length >= 8, `exposed: ${names.join(', ')}`);
  const r = await cal.run({ input: new ort.Tensor('float32', x, [n, 1, 16, 16]) });
  const ranges: ActivationRanges = {};
  widenRanges(ranges, Object.fromEntries(names.map((o) => [o.slice(ACTIVATION_PREFIX.length), r[o].data as Float32Array])));
  const float = r.logits.data as Float32Array;

  const dir = mkdtempSync(join(tmpdir(), 'ferkit-int8-'));
  try {
    const optimized = join(dir, 'optimized.onnx');
    const q = await ort.InferenceSession.create(exportOnnx(graph, w, { int8: ranges }), { logSeverityLevel: 3, optimizedModelFilePath: optimized });
    const ops = readFileSync(optimized).toString('latin1');
    assert.ok(ops.includes('QLinearConv') && ops.includes('QLinearAdd'), 'onnxruntime did not fuse the QDQ graph into integer kernels');
    const int8 = (await q.run({ input: new ort.Tensor('float32', x, [n, 1, 16, 16]) })).logits.data as Float32Array;
    let lo = Infinity, hi = -Infinity, worst = 0;
    for (let i = 0; i < float.length; i++) { lo = Math.min(lo, float[i]); hi = Math.max(hi, float[i]); worst = Math.max(worst, Math.abs(float[i] - int8[i])); }
    // uint8 activations and 7-bit weights on a few layers: within a few percent of the logits' spread (a wrong
    // scale or layout is far off; so are 8-bit weights on an AVX2 CPU without VNNI, whose int16 pair sums saturate)
    assert.ok(worst < 0.05 * (hi - lo), `max |float - int8| ${worst} over a logit range of ${hi - lo}`);
    console.log(`# int8 vs float: max abs logit difference ${worst.toExponential(2)} over a range of ${(hi - lo).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const missing = { ...ranges };
  delete missing['body.1.add'];
  assert.throws(() => exportOnnx(graph, w, { int8: missing }), /calibrated range for activation "body.1.add"/);
});
