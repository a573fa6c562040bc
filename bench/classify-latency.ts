/**
 * Single-face classification latency over time: blocks of back-to-back `classify(face, 1)` calls, one
 * median per block, for each runtime, blocks interleaved. It shows how much the per-face latency of
 * bench:pipeline moves on a shared machine from one minute to the next (the machine, not the model:
 * the same calls in the same process), which a single median hides. A third row times the same
 * onnxruntime call on a network with next to no compute (global average pooling and a 1->7 dense layer):
 * the floor that onnxruntime-node's per-call overhead sets, so the rest is the model's own compute. The
 * onnx-flip row is the onnx classifier with `tta: 'flip'` (each face and its mirror image in one call).
 *
 *   node dist/bench/classify-latency.js [--model tiny] [--blocks 16] [--calls 400] [--json]
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import { createClassifier, type ClassifierBackend } from '../src/pipeline/classifier.js';
import { GraphBuilder, exportOnnx, initParams, paramLayout } from '../src/engine/index.js';
import { INPUT_LUT } from '../src/data/normalize.js';
import { quantile } from './pipeline/stats.js';

const { values: a } = parseArgs({ options: {
  model: { type: 'string', default: 'tiny' }, blocks: { type: 'string', default: '16' }, calls: { type: 'string', default: '400' },
  json: { type: 'boolean', default: false },
} });
const blocks = Number(a.blocks), calls = Number(a.calls);
if (!(Number.isInteger(blocks) && blocks > 0 && Number.isInteger(calls) && calls > 0)) {
  console.error('classify-latency: --blocks and --calls must be positive integers');
  process.exit(2);
}
const backends: ClassifierBackend[] = ['onnx', 'engine'];
const classifiers: { size: number; classify(faces: Uint8Array, n: number): Promise<unknown>; close(): Promise<void> | void }[] =
  await Promise.all([...backends.map((backend) => createClassifier({ model: a.model, backend })),
    // what --tta flip costs: the face and its mirror image in one onnxruntime call
    createClassifier({ model: a.model, backend: 'onnx', tta: 'flip' })]);
const size = classifiers[0].size, px = size * size;
{
  // the floor: one onnxruntime session.run, as the classifier makes it, with almost nothing to compute
  const b = new GraphBuilder([1, size, size]);
  b.dense(b.gap(0, 'gap'), 7, 'head');
  const g = b.build();
  const sess = await ort.InferenceSession.create(exportOnnx(g, initParams(paramLayout(g), 1), { temperature: 1 }), { logSeverityLevel: 3, intraOpNumThreads: 1 });
  const input = new Float32Array(px);
  classifiers.push({ size, close: () => sess.release(),
    classify: async (face) => { for (let i = 0; i < px; i++) input[i] = INPUT_LUT[face[i]]; return sess.run({ input: new ort.Tensor('float32', input, [1, 1, size, size]) }, ['logits']); } });
}
const runtimes = [...backends, 'onnx-flip', 'onnx-floor'];
// 100 different random faces, so no call sees exactly the input of the one before
const faces = new Uint8Array(100 * px);
for (let i = 0; i < faces.length; i++) faces[i] = (i * 2654435761) >>> 24;
/** the middle value (the upper one of an even count): quantile 0.5 as bench:pipeline computes it */
const median = (v: number[]) => quantile(v, 0.5);

const medians: number[][] = runtimes.map(() => []);
for (const c of classifiers) for (let i = 0; i < 50; i++) await c.classify(faces.subarray(0, px), 1); // warm-up
const load = [loadavg()[0]];
for (let b = 0; b < blocks; b++) {
  for (let r = 0; r < classifiers.length; r++) {
    const t: number[] = [];
    for (let i = 0; i < calls; i++) {
      const face = faces.subarray((i % 100) * px, (i % 100 + 1) * px);
      const t0 = performance.now();
      await classifiers[r].classify(face, 1);
      t.push(performance.now() - t0);
    }
    medians[r].push(median(t));
  }
  if (!a.json) process.stderr.write(`\rblock ${b + 1}/${blocks}`);
}
load.push(loadavg()[0]);
await Promise.all(classifiers.map(async (c) => c.close()));

const summary = runtimes.map((rt, r) => ({
  runtime: rt, blockMediansMs: medians[r].map((m) => +m.toFixed(4)),
  minMs: +Math.min(...medians[r]).toFixed(4), medianMs: +median(medians[r]).toFixed(4), maxMs: +Math.max(...medians[r]).toFixed(4),
}));
if (a.json) console.log(JSON.stringify({ model: a.model, blocks, calls, loadAverage: load, runtimes: summary }));
else {
  process.stderr.write('\n');
  console.log(`model ${a.model}, ${blocks} blocks of ${calls} single-face calls, load average ${load.map((l) => l.toFixed(2)).join(' -> ')}`);
  for (const s of summary) {
    console.log(`${s.runtime.padEnd(10)} block medians (ms): ${s.blockMediansMs.map((m) => m.toFixed(3)).join(' ')}`);
    console.log(`${''.padEnd(10)} min ${s.minMs.toFixed(3)}  median ${s.medianMs.toFixed(3)}  max ${s.maxMs.toFixed(3)}`);
  }
}
