/**
 * `ferkit cv`: the generic k-fold driver (eval/cv) with ferkit's trainer plugged in. Each fold trains a
 * fresh network, or fine-tunes `--init` (e.g. the FER2013 model) on the fold's training images for a
 * fixed number of epochs: no early stopping, since the held-out fold must not choose anything.
 * `--init a,b` fine-tunes each model in every fold (each with its own network, the same recipe and seed as
 * a run with that --init alone) and scores the average of their probabilities: an ensemble's CV estimate,
 * whose members' own estimates are the single-model runs.
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Dataset } from '../../data/dataset.js';
import { buildReferenceNet } from '../../model/reference-net.js';
import { createInferenceSession, type Session } from '../../engine/index.js';
import { spawnNodeWorker, defaultThreads } from '../../engine/node/index.js';
import { resolveModelPath } from '../../model/registry.js';
import { Trainer, DEFAULT_CONFIG } from '../../train/trainer.js';
import { cvCommand, type CvCommandTrain, type CvTrainSettings } from './cv.js';
import { augmentFlags, bnStatsFlag, classWeightsFlag, mixupFlag, networkFlags, num } from './train.js';
import { modelList } from './eval.js';
import { UsageError } from '../flags.js';

/**
 * Trainer flags that `ferkit cv` adds to the driver's own (see `ferkit cv --help`): the network, and the
 * fine-tuning recipe with the same names and checks as `ferkit train`'s.
 */
const TRAIN_FLAGS = {
  init: { type: 'string' }, model: { type: 'string' }, lr: { type: 'string' }, batch: { type: 'string' }, wd: { type: 'string' },
  'label-smoothing': { type: 'string' }, 'class-weights': { type: 'string' }, dropout: { type: 'string' },
  'no-augment': { type: 'boolean' }, 'no-flip': { type: 'boolean' }, shift: { type: 'string' }, rotate: { type: 'string' },
  scale: { type: 'string' }, brightness: { type: 'string' }, contrast: { type: 'string' }, erase: { type: 'string' },
  mixup: { type: 'string' }, 'bn-stats': { type: 'string' },
} as const;

const TRAIN_HELP = `Trainer options (as in ferkit train):
  --model tiny|base        network (default: the --init file's, else tiny)
  --init MODEL[,MODEL]     fine-tune from a model file or bundled name in every fold; several: fine-tune
                           each and score the average of their probabilities (an ensemble; with
                           --tta, of each member's views averaged first, as eval --model a,b does)
  --lr X (1e-3 with --init, else 3e-3)  --batch N (32)  --wd X (5e-4)  --label-smoothing X (0.1)
  --class-weights none|balanced  --dropout P
  --no-augment  --no-flip  --shift PX  --rotate DEG  --scale MIN,MAX  --brightness X  --contrast X  --erase P
  --mixup ALPHA (0 = off)
  --bn-stats clean|augmented (clean)  each fold's model scored with BatchNorm statistics of its un-augmented
                           training images, or of its augmented training batches
`;

export async function cvTrainCommand(argv: string[]): Promise<number> {
  // take our flags out, leave the driver's to cvCommand (which rejects unknown ones)
  const ours: string[] = [], rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '').split('=')[0] as keyof typeof TRAIN_FLAGS;
    if (argv[i].startsWith('--') && name in TRAIN_FLAGS) {
      ours.push(argv[i]);
      if (TRAIN_FLAGS[name].type === 'string' && !argv[i].includes('=') && i + 1 < argv.length) ours.push(argv[++i]);
    } else rest.push(argv[i]);
  }
  if (rest.includes('--help') || rest.includes('-h')) process.stdout.write(TRAIN_HELP);
  let recipe, members: { name: string; init: string | undefined; model: ReturnType<typeof networkFlags> }[];
  try {
    const { values: t } = parseArgs({ args: ours, options: TRAIN_FLAGS, strict: true });
    const names = t.init ? modelList(t.init, 'init') : [];
    if (names.length > 1 && t.model) throw new UsageError('--model cannot be combined with several --init models: each keeps its own network');
    members = names.map((name) => { const init = resolveModelPath(name); return { name, init, model: networkFlags(t, init) }; });
    if (!members.length) members.push({ name: 'model', init: undefined, model: networkFlags(t, undefined) });
    const init = members[0].init;
    recipe = {
      lr: num(t.lr, 'lr', init ? 1e-3 : DEFAULT_CONFIG.lr), batch: num(t.batch, 'batch', 32, true),
      optimizer: { type: 'adamw' as const, weightDecay: num(t.wd, 'wd', 5e-4) },
      labelSmoothing: num(t['label-smoothing'], 'label-smoothing', DEFAULT_CONFIG.labelSmoothing), classWeights: classWeightsFlag(t),
      augment: t['no-augment'] ? false as const : augmentFlags(t),
      mixup: mixupFlag(t),
      bnStats: bnStatsFlag(t),
    };
  } catch (e) {
    // every error here is about an argument (a bad value, an --init file that is missing or unreadable)
    process.stderr.write(`ferkit cv: ${(e as Error).message}\n\n${TRAIN_HELP}`);
    return 2;
  }
  /** one fold's fine-tuning of one member, as an inference session */
  const trainMember = async (member: typeof members[number], trainDs: Dataset, fold: number, s: CvTrainSettings) => {
    const dir = mkdtempSync(join(tmpdir(), `ferkit-cv-${fold}-`));
    try {
      const trainer = new Trainer({
        ...recipe, init: member.init, model: member.model, epochs: s.epochs ?? 30, seed: s.seed + fold, threads: s.threads ?? 0, schedule: 'cosine', warmupEpochs: 1,
      }, { ds: trainDs }, undefined, dir);
      const r = await trainer.run({ hooks: { log: s.log } });
      s.log(`fold ${fold + 1}: trained ${member.init ? `${basename(member.init)} ` : ''}${r.epochs} epochs in ${r.seconds.toFixed(0)} s`);
      const graph = buildReferenceNet({ ...member.model, classes: trainDs.classes.length, inputSize: trainDs.size });
      return await createInferenceSession({ graph, weights: r.weights, threads: s.threads ?? defaultThreads(), spawn: spawnNodeWorker, inferBatches: [64] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const train: CvCommandTrain = async (trainDs, _testDs, fold, s) => {
    const sessions: Session[] = [];
    const close = () => Promise.all(sessions.map((x) => x.close()));
    try {
      for (const member of members) sessions.push(await trainMember(member, trainDs, fold, s));
    } catch (e) {
      await close(); // the members already trained hold worker threads that would keep the process alive
      throw e;
    }
    if (sessions.length === 1) return { predict: (x, n) => sessions[0].predict(x, n), close, labels: trainDs.classes };
    return { close, labels: trainDs.classes, members: sessions.map((predictor, i) => ({ name: members[i].name, predictor })) };
  };
  return cvCommand(rest, train);
}
