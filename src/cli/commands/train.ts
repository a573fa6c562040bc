/**
 * `ferkit train`: train (or fine-tune) the network on a dataset, with checkpoints, resume, early stopping,
 * metrics log and training curves in a run folder.
 */
import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { loadDatasetCached, stratifiedHoldout, DATASET_FORMATS, type Dataset, type AugmentOptions, type LoadDatasetOptions } from '../../data/index.js';
import { presetConfig } from '../../model/presets.js';
import { netConfigOfModel, resolveModelPath } from '../../model/registry.js';
import type { NetConfig } from '../../model/reference-net.js';
import { Trainer, DEFAULT_CONFIG, epochWallSeconds, summarize, type TrainConfig } from '../../train/trainer.js';
import { DISTILL_VIEWS, type DistillConfig, type DistillViews } from '../../train/distill.js';
import { BN_STATS, type BnStats } from '../../train/batchnorm-stats.js';
import { ProgressBar, formatSeconds } from '../progress.js';
import { modelList } from './eval.js';
import { oneOf, positiveInt, UsageError } from '../flags.js';

export const TRAIN_HELP = `Usage: ferkit train --data <path> [options]

Data:
  --data PATH            training data (folder or CSV)          --format F   ${DATASET_FORMATS.join('|')} (default fer2013)
  --split NAME           split of --data (fer2013: train)
  --val-data PATH        validation data (default: --data)      --val-split NAME  (fer2013: publictest)
  --val-format F         format of --val-data (default --format)
  --val-fraction X       hold out a stratified fraction of the training data instead
  --cache-dir DIR        decoded-dataset cache (default ~/.cache/ferkit)
  --keep-contempt        ckplus: keep contempt as an 8th class (default: skipped, with a count)
  --custom-classes       folder: class folders need not be expressions (e.g. engaged/, bored/): each is a class
Model:
  --model NAME           tiny | base (default tiny)
  --init MODEL           fine-tune from a model file or bundled name (its network, unless --model/--widths;
                         with other classes, e.g. --custom-classes: its layers, and head outputs only
                         for the classes it knows by name)
  --widen                with --init and a wider --widths or --stem: start as the file's network widened to
                         those widths, computing what the file computes (Net2Net), instead of refusing
  --widths LIST          e.g. 16,32,64,128 (overrides --model)  --units N
  --stem N               stem width (8 in the reference network)
  --dropout P            dropout before the head
  --conv sepconv|conv    --activation pre|post   --no-residual   (ablation variants)
Optimisation:
  --epochs N (60)  --batch N (64)  --optimizer sgd|adam|adamw (adamw)  --lr X (0.003)
  --momentum X (0.9, sgd)  --nesterov  --wd X (0.0005)
  --schedule onecycle|cosine|step|plateau|constant (onecycle)  --warmup EPOCHS (2, cosine)
  --label-smoothing X (0.1)  --class-weights none|balanced  --seed N (1)
Augmentation (per training image; defaults in brackets):
  --no-augment           none at all                            --no-flip    no horizontal flips
  --shift PX (4)  --rotate DEG (10)  --scale MIN,MAX (0.9,1.1)  --brightness X (0.2)  --contrast X (0.2)
  --erase P (0.25)       probability of random erasing (0 = off)
  --threads N (all cores)  --patience N (0 = no early stopping)
  --teacher MODEL[,MODEL] distil from these models (files or bundled names; probabilities averaged)
  --distill W (0.5)      weight of the teachers' probabilities in the target (the label gets 1 - W)
  --teacher-temperature T (1)  distil at temperature T (Hinton et al.): the student's softmax(logits / T) learns
                         the teachers' softmax(logits / T), that part of the loss scaled by T^2 (the label
                         part stays at T = 1; the loss shown then counts T^2 times the teachers' entropy);
                         T > 1 shows the student more of the teachers' runner-up classes (tiny: 1 was best)
  --teacher-views V (clean)    clean: teachers see each training image and its mirror once, before training;
                         augmented: they see every augmented (and mixed) batch the student sees (one
                         teacher pass per step: slower, the student learns how shifted faces look to them);
                         augmented-mirror: as augmented, averaged with each image's mirror (two passes)
  --mixup ALPHA          mixup: train on blends of two faces and of their labels, the blend weight drawn
                         from Beta(ALPHA, ALPHA) per batch (0.2 is usual; 0 = off, the default)
  --swa N                average the weights of the last N epochs (stochastic weight averaging; try it with
                         --schedule constant): BatchNorm statistics recomputed, written as swa.safetensors
  --bn-stats S (clean)   the BatchNorm statistics of the model files a finished run writes: clean, recomputed
                         on the un-augmented training images, the faces as the model will see them (FER2013:
                         +0.45 to +1.76 points single crop for 10 of ferkit's 11 bundled files, less with
                         ten-crop); augmented, the training batches' own
  --val-stats-batches N (100)  with --bn-stats clean, validate each epoch with statistics recomputed on N
                         un-augmented training batches, so the best epoch is picked as it will ship (the
                         run's own statistics are put back after; the line shows both figures); 0 = off
Run:
  --out DIR              run folder (default runs/<model>-<seed>)
  --resume               continue from DIR/checkpoint.safetensors (Ctrl-C or SIGTERM writes one mid-epoch
                         and exits 130; a second signal aborts)
  --json                 one JSON object with the result on stdout
`;

export function num(v: string | undefined, name: string, def: number, int = false): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n))) throw new UsageError(`--${name} must be a${int ? 'n integer' : ' number'}, got '${v}'`);
  return n;
}

/** The augmentation from the per-knob flags, each defaulting to DEFAULT_CONFIG's; ranges checked here so a typo fails before hours of training. */
export function augmentFlags(a: Flags): AugmentOptions {
  const d = DEFAULT_CONFIG.augment as AugmentOptions;
  const str = (k: string) => a[k] as string | undefined;
  const inRange = (k: string, def: number, lo: number, hi: number) => {
    const v = num(str(k), k, def);
    if (!(v >= lo && v <= hi)) throw new UsageError(`--${k} must be between ${lo} and ${hi}, got '${str(k)}'`);
    return v;
  };
  let scale = d.scale ?? [0.9, 1.1];
  if (str('scale') !== undefined) {
    const parts = str('scale')!.split(',');
    const [lo, hi] = parts.map((x) => Number(x));
    if (parts.length !== 2 || !(lo > 0 && hi >= lo && hi <= 4)) throw new UsageError(`--scale must be MIN,MAX with 0 < MIN <= MAX <= 4, got '${str('scale')}'`);
    scale = [lo, hi];
  }
  return {
    ...d, flip: !a['no-flip'], shift: inRange('shift', d.shift ?? 4, 0, 24), rotate: inRange('rotate', d.rotate ?? 10, 0, 180), scale,
    brightness: inRange('brightness', d.brightness ?? 0.2, 0, 1), contrast: inRange('contrast', d.contrast ?? 0.2, 0, 1), erase: inRange('erase', d.erase ?? 0, 0, 1),
  };
}

type Flags = Record<string, string | boolean | undefined>;

/**
 * The network from --model/--widths/--units/--stem/--dropout/--conv/--activation/--no-residual. Fine-tuning with
 * no --model/--widths starts from the network the --init file records, so `--init base` is enough.
 */
export function networkFlags(a: Flags, initPath: string | undefined): Partial<NetConfig> {
  const str = (k: string) => a[k] as string | undefined;
  const recorded = initPath && !a.model && !a.widths ? netConfigOfModel(initPath) : undefined;
  const model = { ...(recorded ?? presetConfig(str('model') ?? 'tiny')) };
  // checked here: a size below 1 would otherwise pass and fail only after the data has loaded
  if (a.widths) model.widths = str('widths')!.split(',').map((w) => positiveInt(w, `--widths must be positive integers separated by commas, got '${a.widths}'`));
  if (a.units) model.units = positiveInt(str('units')!, `--units must be a positive integer, got '${a.units}'`);
  if (a.stem) model.stem = positiveInt(str('stem')!, `--stem must be a positive integer (8 in the reference network), got '${a.stem}'`);
  if (a.dropout) model.dropout = num(str('dropout'), 'dropout', 0);
  if (a.conv) model.conv = oneOf('conv', str('conv'), ['sepconv', 'conv'] as const);
  if (a.activation) model.activation = oneOf('activation', str('activation'), ['pre', 'post'] as const);
  if (a['no-residual']) model.residual = false;
  return model;
}

export function mixupFlag(a: Flags): number {
  const alpha = num(a.mixup as string | undefined, 'mixup', 0);
  if (!(alpha >= 0)) throw new UsageError(`--mixup must be >= 0 (0 = off; 0.2 is usual), got '${a.mixup}'`);
  return alpha;
}

export function bnStatsFlag(a: Flags): BnStats {
  return oneOf<BnStats>('bn-stats', (a['bn-stats'] as string | undefined) ?? DEFAULT_CONFIG.bnStats, BN_STATS);
}

export function classWeightsFlag(a: Flags): 'none' | 'balanced' {
  return oneOf('class-weights', (a['class-weights'] as string | undefined) ?? 'none', ['none', 'balanced'] as const);
}

/** --teacher/--distill/--teacher-temperature: undefined without --teacher; the others alone are a mistake */
function distillFlags(a: Flags): DistillConfig | undefined {
  if (!a.teacher) {
    if (a.distill !== undefined || a['teacher-temperature'] !== undefined || a['teacher-views'] !== undefined) throw new UsageError('--distill, --teacher-temperature and --teacher-views need --teacher MODEL');
    return undefined;
  }
  const teachers = modelList(a.teacher as string, 'teacher').map((t) => resolveModelPath(t));
  const weight = num(a.distill as string | undefined, 'distill', 0.5);
  if (!(weight > 0 && weight <= 1)) throw new UsageError(`--distill must be in (0, 1], got '${a.distill}'`);
  const temperature = num(a['teacher-temperature'] as string | undefined, 'teacher-temperature', 1);
  if (!(temperature > 0)) throw new UsageError(`--teacher-temperature must be > 0, got '${a['teacher-temperature']}'`);
  const views = oneOf<DistillViews>('teacher-views', (a['teacher-views'] as string | undefined) ?? 'clean', DISTILL_VIEWS);
  return { teachers, weight, temperature, views };
}

export function parseTrainArgs(argv: string[]) {
  const { values: a } = parseArgs({ args: argv, strict: true, options: {
    data: { type: 'string' }, format: { type: 'string', default: 'fer2013' }, split: { type: 'string' },
    'val-data': { type: 'string' }, 'val-format': { type: 'string' }, 'val-split': { type: 'string' }, 'val-fraction': { type: 'string' },
    'cache-dir': { type: 'string' }, model: { type: 'string' }, widths: { type: 'string' }, units: { type: 'string' }, stem: { type: 'string' },
    dropout: { type: 'string' }, conv: { type: 'string' }, activation: { type: 'string' }, 'no-residual': { type: 'boolean' },
    epochs: { type: 'string' }, batch: { type: 'string' }, optimizer: { type: 'string' }, lr: { type: 'string' }, momentum: { type: 'string' },
    nesterov: { type: 'boolean' }, wd: { type: 'string' }, schedule: { type: 'string' }, warmup: { type: 'string' },
    'label-smoothing': { type: 'string' }, 'class-weights': { type: 'string' }, 'no-augment': { type: 'boolean' }, seed: { type: 'string' },
    'no-flip': { type: 'boolean' }, shift: { type: 'string' }, rotate: { type: 'string' }, scale: { type: 'string' },
    brightness: { type: 'string' }, contrast: { type: 'string' }, erase: { type: 'string' },
    threads: { type: 'string' }, patience: { type: 'string' }, out: { type: 'string' }, resume: { type: 'boolean' }, json: { type: 'boolean' },
    help: { type: 'boolean' }, init: { type: 'string' }, 'keep-contempt': { type: 'boolean' }, 'custom-classes': { type: 'boolean' },
    widen: { type: 'boolean' }, swa: { type: 'string' }, mixup: { type: 'string' }, teacher: { type: 'string' }, distill: { type: 'string' }, 'teacher-temperature': { type: 'string' },
    'teacher-views': { type: 'string' }, 'bn-stats': { type: 'string' }, 'val-stats-batches': { type: 'string' },
  } });
  if (a.help) return { help: true as const };
  if (!a.data) throw new UsageError('--data is required (a dataset folder or CSV)');
  const fmt = oneOf('format', a.format, DATASET_FORMATS);
  const initPath = a.init ? resolveModelPath(a.init) : undefined;
  const model = networkFlags(a, initPath);
  if (a.widen && !(initPath && (a.widths || a.model || a.stem))) throw new UsageError('--widen needs --init MODEL and the wider network (--widths LIST, --model NAME or --stem N)');
  const opt = oneOf('optimizer', a.optimizer ?? 'adamw', ['sgd', 'adam', 'adamw'] as const);
  const schedule = oneOf<TrainConfig['schedule']>('schedule', a.schedule ?? DEFAULT_CONFIG.schedule, ['onecycle', 'cosine', 'step', 'plateau', 'constant']);
  const cw = classWeightsFlag(a);
  const seed = num(a.seed, 'seed', 1, true);
  const augment = a['no-augment'] ? false as const : augmentFlags(a);
  const config: Partial<TrainConfig> = {
    model, epochs: num(a.epochs, 'epochs', DEFAULT_CONFIG.epochs, true), batch: num(a.batch, 'batch', DEFAULT_CONFIG.batch, true),
    optimizer: { type: opt, weightDecay: num(a.wd, 'wd', 5e-4), momentum: opt === 'sgd' ? num(a.momentum, 'momentum', 0.9) : undefined, nesterov: a.nesterov },
    lr: num(a.lr, 'lr', DEFAULT_CONFIG.lr), schedule, warmupEpochs: num(a.warmup, 'warmup', DEFAULT_CONFIG.warmupEpochs),
    labelSmoothing: num(a['label-smoothing'], 'label-smoothing', DEFAULT_CONFIG.labelSmoothing), classWeights: cw,
    augment, seed, threads: num(a.threads, 'threads', 0, true),
    patience: num(a.patience, 'patience', 0, true),
    init: initPath, widen: Boolean(a.widen),
    swaEpochs: num(a.swa, 'swa', 0, true),
    distill: distillFlags(a),
    mixup: mixupFlag(a),
    bnStats: bnStatsFlag(a),
    valStatsBatches: num(a['val-stats-batches'], 'val-stats-batches', DEFAULT_CONFIG.valStatsBatches, true),
  };
  if (!(config.valStatsBatches! >= 0)) throw new UsageError(`--val-stats-batches must be an integer >= 0 (0 = validate with the training batches' statistics), got '${a['val-stats-batches']}'`);
  if (!(config.swaEpochs! >= 0 && config.swaEpochs! <= config.epochs!)) throw new UsageError(`--swa must be from 0 to --epochs (${config.epochs}), got '${a.swa}'`);
  const valFraction = a['val-fraction'] !== undefined ? num(a['val-fraction'], 'val-fraction', 0.1) : undefined;
  if (valFraction !== undefined && !(valFraction > 0 && valFraction < 1)) throw new UsageError('--val-fraction must be between 0 and 1');
  const split = a.split ?? (fmt === 'fer2013' ? 'train' : undefined);
  const valFormat = a['val-format'] === undefined ? fmt : oneOf('val-format', a['val-format'] as string, DATASET_FORMATS);
  const keepContempt = Boolean(a['keep-contempt']), allowCustomClasses = Boolean(a['custom-classes']);
  const val = valFraction !== undefined ? undefined : {
    format: valFormat, path: a['val-data'] ?? a.data,
    split: a['val-split'] ?? (valFormat === 'fer2013' ? 'publictest' : undefined), keepContempt, allowCustomClasses,
  };
  if (val && !a['val-data'] && val.split === split) throw new UsageError('validation would use the training data itself: give --val-data, --val-split or --val-fraction');
  return {
    help: false as const, config, train: { format: fmt, path: a.data, split, keepContempt, allowCustomClasses }, val, valFraction,
    cacheDir: a['cache-dir'] ?? join(homedir(), '.cache', 'ferkit'),
    out: resolve(a.out ?? join('runs', `${a.model ?? (a.init ? 'finetune' : 'tiny')}-${seed}`)), resume: Boolean(a.resume), json: Boolean(a.json),
  };
}

export async function trainCommand(argv: string[]): Promise<number> {
  let args;
  try { args = parseTrainArgs(argv); } catch (err: any) {
    console.error(`ferkit train: ${err.message}\nRun 'ferkit train --help' for the options.`);
    return 2;
  }
  if (args.help) { process.stdout.write(TRAIN_HELP); return 0; }
  const say = (m: string) => { if (!args.json) console.error(m); };
  const bar = new ProgressBar(!args.json);
  const load = async (o: LoadDatasetOptions, what: string): Promise<Dataset> => {
    say(`loading ${what}: ${o.path}${o.split ? ` (${o.split})` : ''}`);
    const ds = await loadDatasetCached({ ...o, onProgress: (d, t) => bar.update(d / t, `decoding ${d}/${t}`) }, args.cacheDir,
      (e) => say(e.hit ? `  from cache (${e.ms.toFixed(0)} ms)` : `  decoded and cached (${(e.ms / 1000).toFixed(1)} s)`));
    bar.done();
    return ds;
  };
  const trainDs = await load(args.train, 'training data');
  let train: { ds: Dataset; indices?: Int32Array } = { ds: trainDs };
  let val: { ds: Dataset; indices?: Int32Array } | undefined;
  if (args.valFraction !== undefined) {
    const sp = stratifiedHoldout(trainDs.labels, args.valFraction, args.config.seed ?? 1);
    train = { ds: trainDs, indices: sp.train };
    val = { ds: trainDs, indices: sp.test };
  } else if (args.val) {
    const vds = await load(args.val, 'validation data');
    if (vds.classes.join() !== trainDs.classes.join()) throw new Error(`validation classes [${vds.classes}] differ from training classes [${trainDs.classes}]`);
    val = { ds: vds };
  }
  const trainer = new Trainer(args.config, train, val, args.out);
  // SIGTERM too: `kill`, a container stop or a background job (`&` ignores Ctrl-C) must not lose the partial epoch
  const stopSignals = ['SIGINT', 'SIGTERM'] as const;
  const onStopSignal = (signal: NodeJS.Signals) => {
    say(`\n${signal}: finishing the current step and writing a checkpoint (send it again to abort)`);
    trainer.stop();
    for (const s of stopSignals) { process.removeListener(s, onStopSignal); process.once(s, () => process.exit(130)); }
  };
  for (const s of stopSignals) process.once(s, onStopSignal);
  say(`training ${args.out}: ${JSON.stringify(args.config.model)}, ${args.config.epochs} epochs, batch ${args.config.batch}`);
  let teacherQuarter = 0;
  const r = await trainer.run({ resume: args.resume, hooks: {
    log: say,
    onTeacherProgress: (d, t) => {
      bar.update(d / t, `teacher ${d}/${t}`);
      if (d === t) bar.done();
      // a log file gets no bar: a line at each quarter instead, so a long teacher pass shows it is alive
      const quarter = Math.floor((4 * d) / t);
      if (!process.stderr.isTTY && quarter > teacherQuarter && d < t) { teacherQuarter = quarter; say(`distillation: teacher pass ${quarter * 25}% (${d}/${t} images)`); }
    },
    onProgress: (p) => bar.update((p.epoch + p.batch / p.batches) / p.epochs,
      `epoch ${p.epoch + 1}/${p.epochs} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(3)} acc ${(p.acc * 100).toFixed(1)}% ${p.imgPerSec.toFixed(0)} img/s ETA ${formatSeconds(p.etaSeconds)}`),
    onEpoch: (e, history) => {
      bar.done();
      // a log file has no bar: each epoch's line carries the best so far and the time left, so a `tail` of
      // a background run's log says where it stands (the ETA is an upper bound with --patience)
      const best = history.reduce((b, h) => ((h.valAcc ?? -1) > (b.valAcc ?? -1) ? h : b));
      const left = (args.config.epochs ?? DEFAULT_CONFIG.epochs) - e.epoch, mean = history.reduce((a, h) => a + epochWallSeconds(h), 0) / history.length;
      const runStats = e.runStatsValAcc != null ? ` [${(e.runStatsValAcc * 100).toFixed(2)}% with the run's statistics]` : '';
      say(`epoch ${e.epoch}: lr ${e.lr.toExponential(2)} train loss ${e.trainLoss.toFixed(4)} acc ${(e.trainAcc * 100).toFixed(2)}%` +
        (e.valAcc !== null ? ` | val loss ${e.valLoss!.toFixed(4)} acc ${(e.valAcc * 100).toFixed(2)}%${runStats} (best ${(best.valAcc! * 100).toFixed(2)}% at epoch ${best.epoch})` : '') +
        ` | ${e.imgPerSec.toFixed(0)} img/s ${e.seconds.toFixed(1)} s` + (left > 0 ? ` | ETA ${formatSeconds(left * mean)}` : ''));
    },
  } });
  for (const s of stopSignals) process.removeListener(s, onStopSignal);
  bar.done();
  if (args.json) console.log(JSON.stringify({ out: r.outDir, interrupted: r.interrupted, epochs: r.epochs, bestAcc: r.bestAcc, bestEpoch: r.bestEpoch, params: r.params, seconds: r.seconds, history: r.history, swa: r.swa ?? null, cleanStats: r.cleanStats ?? null }));
  else say(`${r.interrupted ? 'interrupted' : 'done'}: ${summarize(r)}; run folder ${r.outDir}`);
  return r.interrupted ? 130 : 0;
}
