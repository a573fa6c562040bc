/** `ferkit export`: write a model as a standard ONNX file (BatchNorm folded, temperature in the softmax). */
import { parseArgs } from 'node:util';
import { exportOnnx } from '../../engine/index.js';
import { loadModel, writeFileAtomic } from '../../engine/node/index.js';
import { resolveModelPath } from '../../model/registry.js';

const USAGE = `Usage: ferkit export --model <name|path> --out model.onnx [--json]
Outputs of the ONNX model: logits [N,K] and probabilities [N,K] (softmax with the calibrated temperature).
Input: "input" [N,1,48,48] float32, (pixel/255 - 0.5)/0.25.
`;

export async function exportCommand(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs({ args: argv, strict: true, options: { model: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } } }).values;
    if (a.help) { process.stdout.write(USAGE); return 0; }
    if (!a.model || !a.out) throw new Error('--model and --out are required');
  } catch (err: any) {
    console.error(`ferkit export: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const path = resolveModelPath(a.model);
  const m = loadModel(path);
  const temperature = Number(m.metadata.temperature ?? 1);
  const bytes = exportOnnx(m.graph, m.weights, { temperature, metadata: { labels: m.metadata.labels ?? '', input: m.metadata.input ?? '' } });
  writeFileAtomic(a.out, bytes);
  if (a.json) console.log(JSON.stringify({ out: a.out, bytes: bytes.length, temperature }));
  else console.log(`wrote ${a.out} (${(bytes.length / 1024).toFixed(1)} KiB, temperature ${temperature})`);
  return 0;
}
