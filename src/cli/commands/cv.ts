/**
 * `ferkit cv`: k-fold cross-validation. This module parses the arguments, loads the data, runs the eval
 * layer's crossValidate and prints the result; the training itself is the `train` function the CLI passes in.
 */
import { parseArgs } from 'node:util';
import type { Dataset } from '../../data/dataset.js';
import { loadDatasetCached } from '../../data/cache.js';
import { DATASET_FORMATS, loadDataset, type DatasetFormat, type LoadDatasetOptions } from '../../data/readers/index.js';
import { crossValidate, type CvResult, type TrainedModel } from '../../eval/cv.js';
import type { Tta } from '../../data/tta.js';
import { parseTta, processIo, progressLine, type CliIo } from './eval.js';
import { oneOf, UsageError } from '../flags.js';

/** Settings from the command line that the training function should honour. */
export interface CvTrainSettings {
  /** --epochs, when given (otherwise the trainer's default) */
  epochs?: number;
  /** --seed (default 0); also seeds the fold assignment */
  seed: number;
  /** --threads, when given */
  threads?: number;
  /** progress messages (to stderr) */
  log: (message: string) => void;
}

export type CvCommandTrain = (trainDs: Dataset, testDs: Dataset, fold: number, settings: CvTrainSettings) => Promise<TrainedModel>;

export const CV_USAGE = `Usage: ferkit cv --data <path> --format <${DATASET_FORMATS.join('|')}> [options]

Options:
  --data <path>            dataset folder (the CSV file for fer2013-csv)
  --format <format>        ${DATASET_FORMATS.join(', ')}
  --split <name>           dataset split, as for ferkit eval
  --folds <k>              number of folds (default 10)
  --subject-independent    keep every subject's images in one fold (needs subject ids: ckplus, jaffe)
  --epochs <n>             training epochs per fold
  --seed <n>               seed for the folds and the training (default 0)
  --threads <n>            compute threads
  --tta <none|flip|tencrop>  test-time augmentation when scoring (default none)
  --all-outputs            let every output of the model be a candidate (default: only the classes the
                           fold's training images have; the other figure is printed as well)
  --keep-contempt          ckplus: keep contempt as an 8th class
  --custom-classes         folder: class folders need not be expressions: each is a class
  --cache-dir <dir>        cache the decoded dataset here
  --json                   print one JSON object instead of the table
  -h, --help               this text
`;

function int(name: string, s: string | undefined, min: number): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${s}'`);
  return n;
}

/** The readable form of a CvResult. */
export function formatCvTable(r: CvResult): string {
  const p = r.protocol;
  const lines: string[] = [];
  lines.push(`${p.folds}-fold cross-validation, ${p.subjectIndependent ? 'subject-independent (each subject in one fold)' : 'stratified by class over images'}, seed ${p.seed}`);
  lines.push(`${p.images} images${p.subjects !== undefined ? `, ${p.subjects} subjects` : ''}; classes ${r.labels.join(', ')}`);
  lines.push('');
  lines.push('fold  train  test  accuracy  macro-F1  test subjects');
  for (const f of r.folds) {
    const subj = f.subjects.length ? f.subjects.join(' ') : '-';
    lines.push(`${String(f.fold + 1).padStart(4)}  ${String(f.trainSize).padStart(5)}  ${String(f.testSize).padStart(4)}  ${(f.accuracy * 100).toFixed(2).padStart(7)}%  ${f.macroF1.toFixed(4).padStart(8)}  ${subj}`);
  }
  lines.push('');
  lines.push(`accuracy  ${(r.accuracy.mean * 100).toFixed(2)}% ± ${(r.accuracy.std * 100).toFixed(2)}  (mean ± sample std over folds)`);
  lines.push(`macro-F1  ${r.macroF1.mean.toFixed(4)} ± ${r.macroF1.std.toFixed(4)}`);
  const [lo, hi] = r.pooled.accuracyInterval;
  lines.push(`pooled    accuracy ${(r.pooled.accuracy * 100).toFixed(2)}% (95% interval ${(lo * 100).toFixed(2)}-${(hi * 100).toFixed(2)}%), macro-F1 ${r.pooled.macroF1.toFixed(4)} over all ${r.pooled.n} held-out predictions`);
  const notTrained = r.labels.filter((_, c) => r.folds.some((f) => !f.trainedClasses.includes(c)));
  if (notTrained.length) {
    const pct = (x: { accuracy: { mean: number; std: number }; pooledAccuracy: number }) => `${(x.accuracy.mean * 100).toFixed(2)}% ± ${(x.accuracy.std * 100).toFixed(2)}, pooled ${(x.pooledAccuracy * 100).toFixed(2)}%`;
    lines.push(r.trainedClassesOnly
      ? `candidates: the classes of each fold's training images; ${notTrained.join(', ')} (no training image) never predicted. With every output a candidate (--all-outputs): ${pct(r.allOutputs)}`
      : `candidates: every output. With only the classes of each fold's training images (${notTrained.join(', ')} left out): ${pct(r.trainedClasses)}`);
  }
  if (r.members) {
    lines.push('', 'the ensemble\'s members alone (same folds and training):');
    for (const m of r.members) {
      lines.push(`  ${m.name}: accuracy ${(m.accuracy.mean * 100).toFixed(2)}% ± ${(m.accuracy.std * 100).toFixed(2)}, pooled ${(m.pooled.accuracy * 100).toFixed(2)}%, macro-F1 ${m.macroF1.mean.toFixed(4)}; per fold ${m.accuracy.values.map((v) => (v * 100).toFixed(2)).join(' ')}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The object --json prints. */
export function cvJson(r: CvResult): Record<string, unknown> {
  return {
    protocol: r.protocol,
    labels: r.labels,
    accuracy: { mean: r.accuracy.mean, std: r.accuracy.std },
    macroF1: { mean: r.macroF1.mean, std: r.macroF1.std },
    folds: r.folds.map((f) => ({
      fold: f.fold, trainSize: f.trainSize, testSize: f.testSize, accuracy: f.accuracy, macroF1: f.macroF1,
      subjects: f.subjects, testIndices: f.testIndices, confusion: f.confusion, ...(f.members ? { members: f.members } : {}),
      trainedClasses: f.trainedClasses.map((c) => r.labels[c]), trainedClassesAccuracy: f.trainedClassesAccuracy, allOutputsAccuracy: f.allOutputsAccuracy,
    })),
    trainedClassesOnly: r.trainedClassesOnly,
    trainedClasses: { accuracy: { mean: r.trainedClasses.accuracy.mean, std: r.trainedClasses.accuracy.std }, pooledAccuracy: r.trainedClasses.pooledAccuracy },
    allOutputs: { accuracy: { mean: r.allOutputs.accuracy.mean, std: r.allOutputs.accuracy.std }, pooledAccuracy: r.allOutputs.pooledAccuracy },
    pooled: { n: r.pooled.n, accuracy: r.pooled.accuracy, accuracyInterval: r.pooled.accuracyInterval, macroF1: r.pooled.macroF1, perClass: r.pooled.perClass, confusion: r.pooled.confusion },
    ...(r.members ? { members: r.members.map((m) => ({ name: m.name, accuracy: { mean: m.accuracy.mean, std: m.accuracy.std }, macroF1: { mean: m.macroF1.mean, std: m.macroF1.std }, pooledAccuracy: m.pooled.accuracy })) } : {}),
  };
}

export async function cvCommand(argv: string[], train: CvCommandTrain, io: CliIo = processIo()): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        data: { type: 'string' }, format: { type: 'string' }, split: { type: 'string' }, folds: { type: 'string' },
        'subject-independent': { type: 'boolean', default: false }, epochs: { type: 'string' }, seed: { type: 'string' },
        threads: { type: 'string' }, tta: { type: 'string' }, 'all-outputs': { type: 'boolean', default: false }, 'keep-contempt': { type: 'boolean', default: false }, 'custom-classes': { type: 'boolean', default: false },
        'cache-dir': { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    io.stderr(`ferkit cv: ${(e as Error).message.split('\n')[0]}\n\n${CV_USAGE}`);
    return 2;
  }
  if (values.help) { io.stdout(CV_USAGE); return 0; }

  let folds: number, epochs: number | undefined, seed: number, threads: number | undefined, tta: Tta, format: DatasetFormat;
  try {
    const missing = (['data', 'format'] as const).filter((k) => !values[k]);
    if (missing.length) throw new UsageError(`missing ${missing.map((k) => `--${k}`).join(', ')}`);
    format = oneOf('format', values.format, DATASET_FORMATS);
    folds = int('folds', values.folds, 2) ?? 10;
    epochs = int('epochs', values.epochs, 1);
    seed = int('seed', values.seed, 0) ?? 0;
    threads = int('threads', values.threads, 1);
    tta = parseTta(values.tta);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`ferkit cv: ${e.message}\n\n${CV_USAGE}`);
    return 2;
  }

  const progress = progressLine(io, io.stderrIsTTY && !values.json);
  const subjectIndependent = values['subject-independent']!;
  try {
    const opts: LoadDatasetOptions = {
      format, path: values.data!, split: values.split, keepContempt: values['keep-contempt'], allowCustomClasses: values['custom-classes'],
      onProgress: (d, t) => progress.update('loading', d, t),
      onWarning: (m) => { progress.done(); io.stderr(m + '\n'); },
    };
    const ds = values['cache-dir'] ? await loadDatasetCached(opts, values['cache-dir']) : await loadDataset(opts);
    progress.done();
    if (!subjectIndependent && ds.subjects) {
      io.stderr('ferkit cv: warning: this dataset records subjects but --subject-independent was not given, so one person\'s images can be in both the training and the test folds (optimistic accuracy)\n');
    }
    const log = (m: string) => { progress.done(); io.stderr(m + '\n'); };
    const result = await crossValidate({
      data: ds, folds, subjectIndependent, seed, tta, trainedClassesOnly: !values['all-outputs'],
      train: (trainDs, testDs, fold) => {
        log(`fold ${fold + 1}/${folds}: training on ${trainDs.labels.length} images, testing on ${testDs.labels.length}`);
        return train(trainDs, testDs, fold, { epochs, seed, threads, log });
      },
      onFold: (f) => log(`fold ${f.fold + 1}/${folds}: accuracy ${(f.accuracy * 100).toFixed(2)}%`),
    });
    if (values.json) io.stdout(JSON.stringify(cvJson(result)) + '\n');
    else io.stdout(formatCvTable(result));
    return 0;
  } catch (e) {
    progress.done();
    io.stderr(`ferkit cv: ${(e as Error).message}\n`);
    return 1;
  }
}
