/**
 * `ferkit cv`: the generic k-fold driver (eval/cv) with ferkit's trainer plugged in. Each fold trains a
 * fresh network, or fine-tunes `--init` (e.g. the FER2013 model) on the fold's training images for a
 * fixed number of epochs: no early stopping, since the held-out fold must not choose anything.
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInferenceSession } from '../../engine/index.js';
import { spawnNodeWorker, defaultThreads } from '../../engine/node/index.js';
import { netConfigOfModel, presetConfig } from '../../model/presets.js';
import { resolveModelPath } from '../../model/registry.js';
import { Trainer, DEFAULT_CONFIG } from '../../train/trainer.js';
import { cvCommand, type CvCommandTrain } from './cv.js';

/** Trainer flags that `ferkit cv` adds to the driver's own (see `ferkit cv --help`). */
const TRAIN_FLAGS = { init: { type: 'string' }, model: { type: 'string' }, lr: { type: 'string' }, batch: { type: 'string' } } as const;

export async function cvTrainCommand(argv: string[]): Promise<number> {
  // take our flags out, leave the driver's to cvCommand (which rejects unknown ones)
  const ours: string[] = [], rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '').split('=')[0];
    if (argv[i].startsWith('--') && name in TRAIN_FLAGS) {
      ours.push(argv[i]);
      if (!argv[i].includes('=') && i + 1 < argv.length) ours.push(argv[++i]);
    } else rest.push(argv[i]);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write('Trainer options: --model tiny|base, --init MODEL (fine-tune from a model file or bundled name; its network unless --model), --lr X, --batch N\n');
  }
  const { values: t } = parseArgs({ args: ours, options: TRAIN_FLAGS, strict: true });
  const init = t.init ? resolveModelPath(t.init) : undefined;
  // as in `ferkit train`: fine-tuning without --model builds the network the --init file records
  const model = (!t.model && init ? netConfigOfModel(init) : undefined) ?? presetConfig(t.model ?? 'tiny');
  const train: CvCommandTrain = async (trainDs, _testDs, fold, s) => {
    const dir = mkdtempSync(join(tmpdir(), `ferkit-cv-${fold}-`));
    try {
      const trainer = new Trainer({
        model, init, epochs: s.epochs ?? 30, seed: s.seed + fold, threads: s.threads ?? 0,
        lr: t.lr ? Number(t.lr) : init ? 1e-3 : DEFAULT_CONFIG.lr, batch: t.batch ? Number(t.batch) : 32, schedule: 'cosine', warmupEpochs: 1,
      }, { ds: trainDs }, undefined, dir);
      const r = await trainer.run({ hooks: { log: s.log } });
      s.log(`fold ${fold + 1}: trained ${r.epochs} epochs in ${r.seconds.toFixed(0)} s`);
      const graph = (await import('../../model/reference-net.js')).buildReferenceNet({ ...model, classes: trainDs.classes.length, inputSize: trainDs.size });
      const threads = s.threads ?? defaultThreads();
      const session = await createInferenceSession({ graph, weights: r.weights, threads, spawn: spawnNodeWorker, inferBatches: [64] });
      return { predict: (x, n) => session.predict(x, n), close: () => session.close(), labels: trainDs.classes };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return cvCommand(rest, train);
}
