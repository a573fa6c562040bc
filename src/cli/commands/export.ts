/**
 * `ferkit export`: write a model as a standard ONNX file (BatchNorm folded, temperature in the softmax), or
 * as a ferkit model file in another precision (`--out m.safetensors --dtype f16`: half the size).
 */
import { parseArgs } from 'node:util';
import { encodeModel, exportOnnx, type StoredDtype } from '../../engine/index.js';
import { loadModel, writeFileAtomic } from '../../engine/node/index.js';
import { resolveModelPath } from '../../model/registry.js';
import { modelTemperature } from '../../eval/labels.js';
import { oneOf } from '../flags.js';

const USAGE = `Usage: ferkit export --model <name|path> --out model.onnx [--json]
       ferkit export --model <name|path> --out model.safetensors --dtype f16|f32 [--json]
ONNX (--out *.onnx): outputs logits [N,K] and probabilities [N,K] (softmax with the calibrated temperature);
  input "input" [N,1,48,48] float32, (pixel/255 - 0.5)/0.25.
Model file (--out *.safetensors): the same model with its values stored as f16 (half the size, each value
  rounded to half precision) or f32; every ferkit command loads either.
`;

export async function exportCommand(argv: string[]): Promise<number> {
  let a;
  let dtype: StoredDtype | undefined;
  let asModelFile = false;
  try {
    a = parseArgs({ args: argv, strict: true, options: { model: { type: 'string' }, out: { type: 'string' }, dtype: { type: 'string' },
      json: { type: 'boolean' }, help: { type: 'boolean' } } }).values;
    if (a.help) { process.stdout.write(USAGE); return 0; }
    if (!a.model || !a.out) throw new Error('--model and --out are required');
    asModelFile = a.out.endsWith('.safetensors');
    if (!asModelFile && !a.out.endsWith('.onnx')) throw new Error(`--out must end in .onnx (ONNX) or .safetensors (a ferkit model file), not '${a.out}'`);
    if (a.dtype !== undefined) {
      if (!asModelFile) throw new Error('--dtype applies to a .safetensors --out; ONNX files are written in float32');
      dtype = oneOf('dtype', a.dtype, ['f16', 'f32']) === 'f16' ? 'F16' : 'F32';
    }
  } catch (err: any) {
    console.error(`ferkit export: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const path = resolveModelPath(a.model);
  const m = loadModel(path);
  // the single view's: an ONNX file scores one view per face
  const temperature = modelTemperature(m.metadata);
  const stored: StoredDtype = asModelFile ? dtype ?? m.storedAs ?? 'F32' : 'F32';
  let bytes: Uint8Array;
  let what: string;
  if (asModelFile) {
    try { bytes = encodeModel(m, stored); } catch (err: any) {
      console.error(`ferkit export: ${err.message}`);
      return 1;
    }
    what = `model file, ${stored}`;
  } else {
    bytes = exportOnnx(m.graph, m.weights, { temperature, metadata: { labels: m.metadata.labels ?? '', input: m.metadata.input ?? '' } });
    what = 'ONNX';
  }
  writeFileAtomic(a.out, bytes);
  if (a.json) console.log(JSON.stringify({ out: a.out, bytes: bytes.length, temperature, format: asModelFile ? 'safetensors' : 'onnx', dtype: stored }));
  else console.log(`wrote ${a.out} (${what}, ${(bytes.length / 1024).toFixed(1)} KiB, temperature ${temperature})`);
  return 0;
}
