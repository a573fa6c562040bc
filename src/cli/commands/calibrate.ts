/**
 * `ferkit calibrate`: fit the softmax temperature on a validation set (minimum NLL) and store it in the
 * model file, so reported confidences are calibrated. Prints ECE and NLL before and after.
 */
import { parseArgs } from 'node:util';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { calibrateTemperature } from '../../eval/calibration.js';
import { modelLogits } from '../../eval/evaluate.js';
import { saveModel } from '../../engine/node/index.js';
import { resolveModelPath } from '../../model/registry.js';
import { DATASET_FORMATS, type DatasetFormat } from '../../data/index.js';

const USAGE = `Usage: ferkit calibrate --model M --data PATH --format F [--split NAME] [--out FILE] [--json]
Fits the temperature on the given (validation) data and writes it into --out (default: the model file itself).
`;

export async function calibrateCommand(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs({ args: argv, strict: true, options: { model: { type: 'string' }, data: { type: 'string' }, format: { type: 'string' },
      split: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, 'cache-dir': { type: 'string' }, help: { type: 'boolean' } } }).values;
    if (a.help) { process.stdout.write(USAGE); return 0; }
    if (!a.model || !a.data || !a.format) throw new Error('--model, --data and --format are required');
    if (!(DATASET_FORMATS as readonly string[]).includes(a.format)) throw new Error(`--format must be one of ${DATASET_FORMATS.join(', ')}`);
  } catch (err: any) {
    console.error(`ferkit calibrate: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const modelPath = resolveModelPath(a.model);
  const r = await modelLogits({ modelPath, data: { format: a.format as DatasetFormat, path: a.data, split: a.split },
    cacheDir: a['cache-dir'] ?? join(homedir(), '.cache', 'ferkit') });
  const c = calibrateTemperature(r.logits, r.targets, r.K);
  const out = a.out ?? modelPath;
  saveModel(out, { ...r.model, metadata: { ...r.model.metadata, temperature: String(c.temperature),
    calibration: JSON.stringify({ data: a.data, split: a.split ?? null, n: r.targets.length, ...c }) } });
  if (a.json) console.log(JSON.stringify({ out, n: r.targets.length, ...c }));
  else console.log(`temperature ${c.temperature.toFixed(4)} fitted on ${r.targets.length} images; ECE ${c.before.ece.toFixed(4)} -> ${c.after.ece.toFixed(4)}, ` +
    `NLL ${c.before.nll.toFixed(4)} -> ${c.after.nll.toFixed(4)}; written to ${out}`);
  return 0;
}
