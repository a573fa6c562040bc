/**
 * `ferkit calibrate`: fit the softmax temperature on a validation set (minimum NLL) and store it in the
 * model file, so reported confidences are calibrated. Prints ECE and NLL before and after.
 *
 * `--tta flip` (or `none,flip,tencrop`) fits a temperature for scoring with that test-time augmentation
 * too: the averaged logits of several views are smaller than one view's, so their NLL is lowest at a lower
 * temperature. Whether that also lowers ECE varies (on the bundled models it mostly did not, so they keep
 * the single view's alone: docs/decisions.md); the output shows both figures at both temperatures. Each fit
 * is recorded on its own (metadata `temperature` and `calibration` for the single view, `ttaCalibration`
 * for the others); a fit replaces only its own record.
 */
import { parseArgs } from 'node:util';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { calibrateTemperature, scoreAtTemperature, type TemperatureFit } from '../../eval/calibration.js';
import { modelLogitsPerTta } from '../../eval/evaluate.js';
import { modelTemperature, ttaCalibrations } from '../../eval/labels.js';
import { TTAS, isTta, type Tta } from '../../data/tta.js';
import { saveModel } from '../../engine/node/index.js';
import type { ModelData } from '../../engine/model-file.js';
import { resolveModelPath } from '../../model/registry.js';
import { DATASET_FORMATS, type DatasetFormat } from '../../data/index.js';
import { processIo, progressLine } from './eval.js';

const USAGE = `Usage: ferkit calibrate --model M --data PATH --format F [--split NAME] [--tta LIST] [--out FILE] [--json]
Fits the temperature on the given (validation) data and writes it into --out (default: the model file itself;
--out is required for a bundled model name).
  --tta LIST   the test-time augmentations to fit a temperature for, comma-separated from ${TTAS.join(', ')}
               (default none: the single view). ferkit eval, predict and serve use the one that matches
               their own --tta, and the single view's where that was not fitted.
`;

/** One fit; for an augmentation, also its NLL and ECE at the single view's temperature, which it replaces. */
type Fit = TemperatureFit & { n: number; singleViewTemperature?: { temperature: number; nll: number; ece: number } };

/** The model's metadata with one fit recorded for `tta`, every other record kept. */
function withFit(metadata: Record<string, string>, tta: Tta, record: Fit & { data: string; split: string | null }): Record<string, string> {
  if (tta === 'none') return { ...metadata, temperature: String(record.temperature), calibration: JSON.stringify(record) };
  return { ...metadata, ttaCalibration: JSON.stringify({ ...ttaCalibrations(metadata), [tta]: record }) };
}

export async function calibrateCommand(argv: string[]): Promise<number> {
  let a, ttas: Tta[];
  try {
    a = parseArgs({ args: argv, strict: true, options: { model: { type: 'string' }, data: { type: 'string' }, format: { type: 'string' },
      split: { type: 'string' }, tta: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, 'cache-dir': { type: 'string' }, help: { type: 'boolean' } } }).values;
    if (a.help) { process.stdout.write(USAGE); return 0; }
    if (!a.model || !a.data || !a.format) throw new Error('--model, --data and --format are required');
    if (!(DATASET_FORMATS as readonly string[]).includes(a.format)) throw new Error(`--format must be one of ${DATASET_FORMATS.join(', ')}`);
    const list = (a.tta ?? 'none').split(',').map((s) => s.trim());
    const bad = list.filter((s) => !isTta(s));
    if (bad.length || !list.length) throw new Error(`--tta takes a comma-separated list of ${TTAS.join(', ')}; got '${a.tta}'`);
    // the single view first: an augmentation's fit is compared with the single view's temperature
    ttas = TTAS.filter((t) => list.includes(t));
  } catch (err: any) {
    console.error(`ferkit calibrate: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const modelPath = resolveModelPath(a.model);
  if (!a.out && modelPath !== a.model) {
    // a bundled name: writing in place would change the installed package's model for every user of it
    console.error(`ferkit calibrate: --model ${a.model} is a bundled model; give --out FILE for the calibrated copy (its file, ${modelPath}, is left as it is)\n\n${USAGE}`);
    return 2;
  }
  const out = a.out ?? modelPath;
  const io = processIo(), progress = progressLine(io, io.stderrIsTTY && !a.json);
  const r = await modelLogitsPerTta({ modelPath, data: { format: a.format as DatasetFormat, path: a.data, split: a.split },
    cacheDir: a['cache-dir'] ?? join(homedir(), '.cache', 'ferkit'),
    onLoadProgress: (d, t) => progress.update('loading', d, t),
    onProgress: (d, t) => progress.update(`predicting (${ttas.join(', ')})`, d, t),
    onWarning: (m) => { progress.done(); io.stderr(m + '\n'); } }, ttas);
  progress.done();
  let model: ModelData = r.model;
  const fits: ({ tta: Tta } & Fit)[] = [];
  for (const tta of ttas) {
    const logits = r.logits.get(tta)!;
    const fit: Fit = { n: r.targets.length, ...calibrateTemperature(logits, r.targets, r.K) };
    if (tta !== 'none') {
      const T = modelTemperature(model.metadata);
      fit.singleViewTemperature = { temperature: T, ...scoreAtTemperature(logits, r.targets, r.K, T) };
    }
    model = { ...model, metadata: withFit(model.metadata, tta, { data: a.data, split: a.split ?? null, ...fit }) };
    fits.push({ tta, ...fit });
  }
  // written once, after every fit: a failure half-way leaves the file as it was
  saveModel(out, model);
  if (a.json) {
    const single = fits.find((f) => f.tta === 'none');
    console.log(JSON.stringify({ out, ...(single ? { n: single.n, temperature: single.temperature, before: single.before, after: single.after } : {}), fits }));
  } else {
    for (const c of fits) {
      const sv = c.singleViewTemperature;
      console.log(`${c.tta === 'none' ? 'single view' : `--tta ${c.tta}`}: temperature ${c.temperature.toFixed(4)} fitted on ${c.n} images; ECE ${c.before.ece.toFixed(4)} -> ${c.after.ece.toFixed(4)}, ` +
        `NLL ${c.before.nll.toFixed(4)} -> ${c.after.nll.toFixed(4)}` +
        (sv ? ` (at the single view's temperature ${sv.temperature.toFixed(4)}: ECE ${sv.ece.toFixed(4)}, NLL ${sv.nll.toFixed(4)})` : ''));
    }
    console.log(`written to ${out}`);
  }
  return 0;
}
