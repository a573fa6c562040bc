/**
 * `ferkit bn-stats`: a trained model's BatchNorm statistics recomputed on its training images as they are
 * (no augmentation), for a model file written before `ferkit train` did so itself (--bn-stats clean, the
 * default since 2026-12-01). The trainable weights are left as they are. The model's calibrated
 * temperatures were fitted to the old statistics and are removed: the output says how to fit them again.
 */
import { parseArgs } from 'node:util';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DATASET_FORMATS, loadDatasetCached, type DatasetFormat } from '../../data/index.js';
import { canonicalLabel, CONTEMPT } from '../../data/labels.js';
import { inferShapes } from '../../engine/index.js';
import { loadModel, saveModel } from '../../engine/node/index.js';
import { evaluateModel, graphInputSize, type DatasetMemo } from '../../eval/evaluate.js';
import type { ModelData } from '../../engine/model-file.js';
import { classKey, modelLabels } from '../../eval/labels.js';
import { resolveModelPath } from '../../model/registry.js';
import { BN_BATCHES, recomputeModelBatchNorm } from '../../train/batchnorm-stats.js';
import { oneOf, positiveInt, UsageError } from '../flags.js';
import { processIo, progressLine } from './eval.js';

const USAGE = `Usage: ferkit bn-stats --model M --data PATH [--format F] [--split NAME] --out FILE [options]
Recomputes the model's BatchNorm statistics on its training images as they are, with no augmentation: a
model trained on augmented faces carries their statistics, and is used on faces as they are. The
trainable weights are not changed. (ferkit train does this itself since 2026-12-01: --bn-stats clean.)
The calibrated temperatures were fitted to the old statistics and are removed: run ferkit calibrate after.
  --model M              model file or bundled name
  --data PATH            the model's training data     --format F   ${DATASET_FORMATS.join('|')} (default fer2013)
  --split NAME           split of --data (fer2013: train)
  --out FILE             the new model file (required; the --model file is left as it is)
  --val-split NAME       also score the model before and after on this split of --data (e.g. publictest)
  --val-data PATH        ... or on this dataset (--val-format F, default --format)
  --batches N            only the first N batches of the seeded order (default: all, at most ${BN_BATCHES})
  --batch N (64)  --seed N (1)  --threads N  --cache-dir DIR  --json
`;

export async function bnStatsCommand(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs({ args: argv, strict: true, options: {
      model: { type: 'string' }, data: { type: 'string' }, format: { type: 'string' }, split: { type: 'string' }, out: { type: 'string' },
      'val-split': { type: 'string' }, 'val-data': { type: 'string' }, 'val-format': { type: 'string' },
      batch: { type: 'string' }, batches: { type: 'string' }, seed: { type: 'string' }, threads: { type: 'string' }, 'cache-dir': { type: 'string' },
      json: { type: 'boolean' }, help: { type: 'boolean' },
    } }).values;
    if (a.help) { process.stdout.write(USAGE); return 0; }
    if (!a.model || !a.data || !a.out) throw new UsageError('--model, --data and --out are required');
    oneOf('format', a.format ?? 'fer2013', DATASET_FORMATS);
    if (a['val-format'] !== undefined) oneOf('val-format', a['val-format'], DATASET_FORMATS);
    for (const k of ['batch', 'batches', 'seed', 'threads'] as const) if (a[k] !== undefined) positiveInt(a[k]!, `--${k} must be a positive integer, got '${a[k]}'`);
  } catch (err: any) {
    console.error(`ferkit bn-stats: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const format = (a.format ?? 'fer2013') as DatasetFormat;
  const split = a.split ?? (format === 'fer2013' ? 'train' : undefined);
  const modelPath = resolveModelPath(a.model), out = resolve(a.out);
  if (out === resolve(modelPath)) {
    console.error(`ferkit bn-stats: --out is the --model file itself; write a new file (the old statistics cannot be recovered from it)\n\n${USAGE}`);
    return 2;
  }
  const cacheDir = a['cache-dir'] ?? join(homedir(), '.cache', 'ferkit');
  const io = processIo(), progress = progressLine(io, io.stderrIsTTY && !a.json);
  const model = loadModel(modelPath);
  const labels = modelLabels(model.metadata, inferShapes(model.graph)[model.graph.output][0]);
  const ds = await loadDatasetCached({
    format, path: a.data, split, size: graphInputSize(model.graph),
    keepContempt: labels.some((l) => classKey(l) === CONTEMPT), allowCustomClasses: labels.some((l) => canonicalLabel(l) === undefined),
    onProgress: (d, t) => progress.update('loading', d, t), onWarning: (m) => { progress.done(); io.stderr(m + '\n'); },
  }, cacheDir);
  progress.done();
  if (!ds.labels.length) throw new Error(`no images found in ${a.data}${split ? ` (split ${split})` : ''}`);
  // the passes run at learning rate 0, so the loss is never used: any valid class index does
  const images = { ...ds, labels: new Uint8Array(ds.labels.length) };
  const t0 = performance.now();
  const { weights, batches, images: used } = await recomputeModelBatchNorm(model.graph, model.weights, images, {
    batch: a.batch ? Number(a.batch) : undefined, seed: a.seed ? Number(a.seed) : undefined, maxBatches: a.batches ? Number(a.batches) : undefined, threads: a.threads ? Number(a.threads) : undefined,
  });
  const { temperature, calibration, ttaCalibration, ...kept } = model.metadata;
  const removed = [temperature, calibration, ttaCalibration].some((v) => v !== undefined);
  const record = { data: a.data, split: split ?? null, images: used, batches };
  const recomputed = { ...model, weights, metadata: { ...kept, bnStats: 'clean' } };
  const seconds = (performance.now() - t0) / 1000;
  let val: { before: { accuracy: number; macroF1: number }; after: { accuracy: number; macroF1: number } } | undefined;
  let source: Record<string, unknown> = record, valAcc: { valAcc?: string } = {};
  const valSplit = a['val-split'], valData = a['val-data'];
  if (valSplit || valData) {
    // both scored in memory, on images decoded once, before anything is written
    const data = { format: (a['val-format'] ?? format) as DatasetFormat, path: valData ?? a.data, split: valSplit }, datasets: DatasetMemo = new Map();
    const score = async (m: ModelData) => {
      const r = await evaluateModel({ modelPath: modelPath, model: m, data, cacheDir, datasets });
      return { accuracy: r.accuracy, macroF1: r.macroF1 };
    };
    val = { before: await score(model), after: await score(recomputed) };
    // the file's validation accuracy is now this one's, with the data it was measured on
    source = { ...record, validation: { data: data.path, split: data.split ?? null, ...val } };
    valAcc = { valAcc: String(val.after.accuracy) };
  }
  saveModel(out, { ...recomputed, metadata: { ...recomputed.metadata, ...valAcc, bnStatsSource: JSON.stringify(source) } });
  const calibrate = `ferkit calibrate --model ${out} --data <validation data> --format <F>`;
  if (a.json) {
    console.log(JSON.stringify({ out, images: used, batches, seconds, calibrationRemoved: removed, validation: val ?? null }));
  } else {
    console.log(`BatchNorm statistics recomputed on ${used} un-augmented images of ${a.data}${split ? ` (${split})` : ''} (${batches} batches) in ${seconds.toFixed(0)} s`);
    if (val) console.log(`validation accuracy ${(val.before.accuracy * 100).toFixed(2)}% -> ${(val.after.accuracy * 100).toFixed(2)}%, macro-F1 ${val.before.macroF1.toFixed(4)} -> ${val.after.macroF1.toFixed(4)}`);
    console.log(`written to ${out}`);
    if (removed) console.log(`its calibrated temperatures were fitted to the old statistics and were removed; fit them again: ${calibrate}`);
  }
  return 0;
}
