/**
 * int8 against float for one model, in one process: PublicTest accuracy, and single-face latency on
 * onnxruntime-node (native kernels) and onnxruntime-web (WebAssembly SIMD, what the web page runs),
 * in interleaved blocks so that both see the same minutes of a shared machine.
 *
 * int8 is onnxruntime's QDQ format from ferkit's exporter (`exportOnnx(..., { int8: ranges })`), with
 * activation ranges (min/max) measured on evenly spaced FER2013 Training faces; PublicTest is not used to
 * calibrate. The result decides whether the classifier should run an int8 export (docs/latency.md).
 *
 *   node dist/bench/int8.js [--model tiny] [--weight-bits 7|8] [--calibration 1000] [--blocks 6] [--calls 300] [--shared DIR] [--json]
 *
 * --weight-bits 8 measures what 8-bit weights would give on this CPU (exact only with VNNI; see quantizeWeights).
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { homedir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ACTIVATION_PREFIX, exportOnnx, widenRanges, type ActivationRanges } from '../src/engine/index.js';
import { loadModel } from '../src/engine/node/index.js';
import { packageRoot, resolveModelPath } from '../src/model/registry.js';
import { INPUT_LUT, loadDatasetCached, type Dataset } from '../src/data/index.js';
import { evaluateLogits } from '../src/eval/index.js';
import { quantile } from './pipeline/stats.js';

const { values: a } = parseArgs({ options: {
  model: { type: 'string', default: 'tiny' }, calibration: { type: 'string', default: '1000' },
  blocks: { type: 'string', default: '6' }, calls: { type: 'string', default: '300' },
  shared: { type: 'string' }, json: { type: 'boolean', default: false }, 'weight-bits': { type: 'string', default: '7' },
} });
const weightBits = Number(a['weight-bits']);
if (weightBits !== 7 && weightBits !== 8) {
  console.error(`int8: --weight-bits must be 7 or 8, got '${a['weight-bits']}'`);
  process.exit(2);
}
const ncal = Number(a.calibration), blocks = Number(a.blocks), calls = Number(a.calls);
if (![ncal, blocks, calls].every((v) => Number.isInteger(v) && v > 0)) {
  console.error('int8: --calibration, --blocks and --calls must be positive integers');
  process.exit(2);
}
const fer2013 = join(resolve(a.shared ?? join(packageRoot(), '..', 'shared')), 'datasets', 'fer2013');
if (!existsSync(join(fer2013, 'train')) || !existsSync(join(fer2013, 'publictest'))) {
  console.error(`int8: skipped, ${fer2013}/train and /publictest not found (../shared is absent); calibration and accuracy need FER2013`);
  process.exit(0);
}
const log = (s: string) => (a.json ? console.error(s) : console.log(s));
const m = loadModel(resolveModelPath(a.model!));
const cacheDir = join(homedir(), '.cache', 'ferkit');
const load = (split: string) => loadDatasetCached({ format: 'fer2013', path: fer2013, split }, cacheDir);
const [train, test] = [await load('train'), await load('publictest')];
const px = train.size * train.size, dims = (n: number) => [n, 1, train.size, train.size];
const inputs = (ds: Dataset, idx: number[]) => {
  const x = new Float32Array(idx.length * px);
  idx.forEach((j, i) => { for (let p = 0; p < px; p++) x[i * px + p] = INPUT_LUT[ds.images[j * px + p]]; });
  return x;
};
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

// 1. ranges of every activation over evenly spaced training faces (the folders group classes)
const calSession = await ort.InferenceSession.create(exportOnnx(m.graph, m.weights, { exposeActivations: true }), { logSeverityLevel: 3 });
const names = calSession.outputNames.filter((o) => o.startsWith(ACTIVATION_PREFIX));
const calIdx = Array.from({ length: Math.min(ncal, train.labels.length) }, (_, i) => Math.floor((i * train.labels.length) / Math.min(ncal, train.labels.length)));
const ranges: ActivationRanges = {};
for (let b = 0; b < calIdx.length; b += 64) {
  const idx = calIdx.slice(b, b + 64);
  const r = await calSession.run({ input: new ort.Tensor('float32', inputs(train, idx), dims(idx.length)) }, names);
  widenRanges(ranges, Object.fromEntries(names.map((o) => [o.slice(ACTIVATION_PREFIX.length), r[o].data as Float32Array])));
}
await calSession.release();
const float = exportOnnx(m.graph, m.weights), int8 = exportOnnx(m.graph, m.weights, { int8: ranges, weightBits });
log(`${a.model}: ${names.length} activations calibrated on ${calIdx.length} FER2013 Training faces; ONNX float ${(float.length / 1024).toFixed(0)} KiB, int8 ${(int8.length / 1024).toFixed(0)} KiB`);

// 2. PublicTest accuracy
const sessions = {
  'node float': await ort.InferenceSession.create(float, { logSeverityLevel: 3, intraOpNumThreads: 1 }),
  'node int8': await ort.InferenceSession.create(int8, { logSeverityLevel: 3, intraOpNumThreads: 1 }),
};
const accuracy: Record<string, number> = {};
const K = test.classes.length;
for (const [k, s] of Object.entries(sessions)) {
  const logits = new Float32Array(test.labels.length * K);
  for (let b = 0; b < test.labels.length; b += 64) {
    const idx = range(b, Math.min(64, test.labels.length - b));
    logits.set((await s.run({ input: new ort.Tensor('float32', inputs(test, idx), dims(idx.length)) }, ['logits'])).logits.data as Float32Array, b * K);
  }
  accuracy[k.split(' ')[1]] = evaluateLogits(logits, Int32Array.from(test.labels), test.classes).accuracy;
}
log(`PublicTest accuracy (${test.labels.length} faces): float ${(accuracy.float * 100).toFixed(2)}%, int8 ${(accuracy.int8 * 100).toFixed(2)}%`);

// 3. single-face latency, interleaved blocks: native and WebAssembly runtimes, float and int8
const web = await import('onnxruntime-web');
web.env.wasm.numThreads = 1;
type Run = (x: Float32Array) => Promise<unknown>;
const runners: Record<string, Run> = {
  'node float': (x) => sessions['node float'].run({ input: new ort.Tensor('float32', x, dims(1)) }, ['logits']),
  'node int8': (x) => sessions['node int8'].run({ input: new ort.Tensor('float32', x, dims(1)) }, ['logits']),
};
for (const [k, bytes] of [['web float', float], ['web int8', int8]] as const) {
  const s = await web.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  runners[k] = (x) => s.run({ input: new web.Tensor('float32', x, dims(1)) }, ['logits']);
}
const faces = inputs(test, range(0, 100));
/** the middle value (the upper one of an even count): quantile 0.5 as bench:pipeline computes it */
const median = (v: number[]) => quantile(v, 0.5);
const medians: Record<string, number[]> = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
for (const run of Object.values(runners)) for (let i = 0; i < 50; i++) await run(faces.slice(0, px)); // warm-up
const loadAvg = [loadavg()[0]];
for (let b = 0; b < blocks; b++) {
  for (const [k, run] of Object.entries(runners)) {
    const t: number[] = [];
    for (let i = 0; i < calls; i++) {
      const x = faces.slice((i % 100) * px, (i % 100 + 1) * px); // onnxruntime-web may transfer the buffer
      const t0 = performance.now();
      await run(x);
      t.push(performance.now() - t0);
    }
    medians[k].push(median(t));
  }
  if (!a.json) process.stderr.write(`\rblock ${b + 1}/${blocks}`);
}
loadAvg.push(loadavg()[0]);
if (!a.json) process.stderr.write('\n');
const latency = Object.fromEntries(Object.entries(medians).map(([k, v]) => [k, { blockMediansMs: v.map((x) => +x.toFixed(4)), medianMs: +median(v).toFixed(4) }]));
if (a.json) {
  console.log(JSON.stringify({ model: a.model, weightBits, calibrationFaces: calIdx.length, onnxBytes: { float: float.length, int8: int8.length }, accuracy, latency, blocks, calls, loadAverage: loadAvg }));
} else {
  log(`single-face latency, ${blocks} interleaved blocks of ${calls} calls, load average ${loadAvg.map((l) => l.toFixed(2)).join(' -> ')}`);
  for (const [k, v] of Object.entries(latency)) log(`${k.padEnd(11)} median ${v.medianMs.toFixed(3)} ms   blocks ${v.blockMediansMs.map((x) => x.toFixed(3)).join(' ')}`);
  for (const rt of ['node', 'web']) log(`${rt}: int8 / float = ${(latency[`${rt} int8`].medianMs / latency[`${rt} float`].medianMs).toFixed(2)}`);
}
process.exit(0);
