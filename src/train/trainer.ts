/**
 * The training loop: data in, checkpoints and metrics out. Everything random derives from one seed
 * (initialisation, per-epoch order, per-batch augmentation, dropout), and a checkpoint records where in
 * which epoch the run stood, so a killed run resumed from its last checkpoint ends with the same weights
 * as an uninterrupted one.
 *
 * Run folder: config.json, metrics.jsonl (one line per epoch), checkpoint.safetensors (latest, for
 * --resume), best.safetensors (best validation accuracy: a model file), last.safetensors, curves.svg, and
 * with `swaEpochs` swa.safetensors (the weights averaged over the last epochs). The model files a finished
 * run leaves carry BatchNorm statistics of the un-augmented training images (`bnStats`, batchnorm-stats.ts);
 * the checkpoint keeps the training run's own, so a resumed run continues exactly.
 */
import { existsSync, readFileSync, mkdirSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session, LrSchedule, countParams, inferShapes, type OptimizerSpec, type ScheduleSpec, type Weights } from '../engine/index.js';
import { decodeSafetensors, encodeSafetensors } from '../engine/safetensors.js';
import { tensorsToWeights, weightsToTensors } from '../engine/model-file.js';
import { paramLayout } from '../engine/params.js';
import { spawnNodeWorker, defaultThreads, writeFileAtomic, saveModel, loadModel } from '../engine/node/index.js';
import { buildReferenceNet, type NetConfig } from '../model/reference-net.js';
import { Augmenter, type AugmentOptions } from '../data/augment.js';
import { BatchIterator, EvalIterator } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import { INPUT_MEAN, INPUT_STD } from '../data/normalize.js';
import { renderCurves } from './curves.js';
import { modelLabels } from '../eval/labels.js';
import { fineTuneWeights } from './fine-tune.js';
import { BatchTeacher, blendTeacher, checkDistillConfig, teacherProbabilities, teacherRows, type DistillConfig } from './distill.js';
import { mixBatch, mixupDraw } from './mixup.js';
import { labelTargets } from './targets.js';
import { BN_STATS, recomputeBatchNorm, withCleanStatistics, type BnStats } from './batchnorm-stats.js';

export interface TrainConfig {
  model: Partial<NetConfig>;
  epochs: number;
  batch: number;
  optimizer: OptimizerSpec;
  lr: number;
  schedule: 'constant' | 'cosine' | 'onecycle' | 'step' | 'plateau';
  /** cosine: warm-up epochs */
  warmupEpochs: number;
  labelSmoothing: number;
  /** 'balanced' weighs each class by n / (K * n_class) */
  classWeights: 'none' | 'balanced';
  /** false = no augmentation */
  augment: AugmentOptions | false;
  seed: number;
  threads: number;
  /** stop when validation accuracy has not improved for this many epochs (0 = never) */
  patience: number;
  /** fine-tune: start from this model file's weights (same architecture and classes) instead of random */
  init?: string;
  /** with init: the network is wider than the file's; start it as the file's network widened (widen.ts) */
  widen?: boolean;
  /**
   * Stochastic weight averaging (Izmailov et al. 2018): average the weights at the end of each of the
   * last `swaEpochs` epochs (0 = off), recompute BatchNorm statistics for the average, and write it as
   * swa.safetensors. The average sits in a wider part of the loss surface than any one epoch's weights,
   * and it does not depend on which epoch happened to score best on the validation set.
   */
  swaEpochs: number;
  /** learn from teachers' probabilities as well as the labels (see distill.ts) */
  distill?: DistillConfig;
  /** mixup's Beta(alpha, alpha) parameter (see mixup.ts); 0 = off */
  mixup: number;
  /**
   * The BatchNorm statistics of the model files a finished run writes (best, last, swa): 'clean',
   * recomputed on the un-augmented training images, the faces as the model will see them; 'augmented',
   * those of the augmented (and mixed) training batches, as before 2026-12-01. Without augmentation and
   * mixup the two are the same and nothing is recomputed.
   */
  bnStats: BnStats;
  /**
   * With bnStats 'clean' and validation data: each epoch is validated with BatchNorm statistics recomputed
   * on this many un-augmented training batches (always the same ones), so the best epoch is picked, and
   * early stopping and the plateau schedule judge, by the accuracy the model file will have rather than the
   * accuracy with the augmented batches' statistics (which ranked epochs differently: docs/recipe-search.md,
   * "Choosing the epoch with the statistics it will ship with"). The run's own statistics are put back
   * afterwards, so training is unchanged; the end of the run still recomputes them on all the images.
   * 0 = validate with the training batches' statistics, as before 2026-12-01.
   */
  valStatsBatches: number;
}

export const DEFAULT_CONFIG: TrainConfig = {
  model: {}, epochs: 60, batch: 64, optimizer: { type: 'adamw', weightDecay: 5e-4 }, lr: 3e-3, schedule: 'onecycle',
  warmupEpochs: 2, labelSmoothing: 0.1, classWeights: 'none',
  augment: { shift: 4, flip: true, rotate: 10, scale: [0.9, 1.1], brightness: 0.2, contrast: 0.2, erase: 0.25 },
  seed: 1, threads: 0, patience: 0, swaEpochs: 0, mixup: 0, bnStats: 'clean', valStatsBatches: 100,
};

export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAcc: number;
  /** validation loss and accuracy: with sampled un-augmented statistics when `valStatsBatches` applies, else the run's */
  valLoss: number | null;
  valAcc: number | null;
  /** with `valStatsBatches`: the same validation with the training run's own (augmented batches') statistics */
  runStatsValLoss?: number | null;
  runStatsValAcc?: number | null;
  imgPerSec: number;
  /** training time of the epoch (what imgPerSec counts) */
  seconds: number;
  /** validation time after it (recomputing the statistics included) */
  valSeconds?: number;
}

/** An epoch's wall time: its training and, where recorded (since 2026-12-01), the validation after it. */
export function epochWallSeconds(r: Pick<EpochRecord, 'seconds' | 'valSeconds'>): number {
  return r.seconds + (r.valSeconds ?? 0);
}

export interface ProgressInfo { epoch: number; epochs: number; batch: number; batches: number; loss: number; acc: number; imgPerSec: number; etaSeconds: number }

export interface TrainHooks {
  onProgress?: (p: ProgressInfo) => void;
  /** after each epoch; `history` is every epoch of the run so far, those before a --resume included */
  onEpoch?: (r: EpochRecord, history: readonly EpochRecord[]) => void;
  log?: (msg: string) => void;
  /** distillation: teacher images done of total, before training starts */
  onTeacherProgress?: (done: number, total: number) => void;
}

interface CheckpointState {
  epoch: number;
  /** next batch to run inside `epoch` (0 at an epoch boundary) */
  batch: number;
  step: number;
  bestAcc: number;
  bestEpoch: number;
  history: EpochRecord[];
  plateau?: LrSchedule['state'];
  /** running sums of the partial epoch */
  partial: { loss: number; correct: number; seen: number; seconds: number };
  elapsedSeconds: number;
  /** epochs averaged so far into the SWA weights (stored beside the checkpoint's weights) */
  swaCount?: number;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export interface TrainResult {
  interrupted: boolean;
  epochs: number;
  bestAcc: number;
  bestEpoch: number;
  history: EpochRecord[];
  seconds: number;
  params: number;
  weights: Weights;
  outDir: string;
  /** with swaEpochs: how many epochs were averaged and the average's validation accuracy (null without validation) */
  swa?: { epochs: number; valAcc: number | null; valLoss: number | null };
  /**
   * With bnStats 'clean' (and augmentation or mixup): the best epoch's validation accuracy and loss with the
   * training run's statistics (`before`) and with those recomputed on the un-augmented images, as written
   * to best.safetensors (`after`); null without validation.
   */
  cleanStats?: { before: { acc: number; loss: number } | null; after: { acc: number; loss: number } | null };
}

function classWeightsFor(ds: Dataset, indices: Int32Array, K: number): number[] {
  const counts = new Array(K).fill(0);
  for (const i of indices) counts[ds.labels[i]]++;
  const n = indices.length;
  return counts.map((c) => (c > 0 ? n / (K * c) : 0));
}

export class Trainer {
  private stopRequested = false;
  readonly config: TrainConfig;

  constructor(config: Partial<TrainConfig>, private readonly train: { ds: Dataset; indices?: Int32Array },
    private readonly val: { ds: Dataset; indices?: Int32Array } | undefined, readonly outDir: string) {
    this.config = { ...DEFAULT_CONFIG, ...config };
    const c = this.config;
    for (const [k, v] of Object.entries({ epochs: c.epochs, batch: c.batch })) {
      if (!(Number.isInteger(v) && v > 0)) throw new Error(`train: ${k} must be a positive integer, got ${v}`);
    }
    if (!(c.lr > 0)) throw new Error(`train: lr must be > 0, got ${c.lr}`);
    if (c.distill) checkDistillConfig(c.distill);
    if (!(c.mixup >= 0 && Number.isFinite(c.mixup))) throw new Error(`train: mixup must be a number >= 0 (0 = off), got ${c.mixup}`);
    if (!BN_STATS.includes(c.bnStats)) throw new Error(`train: bnStats must be one of ${BN_STATS.join(', ')}, got ${c.bnStats}`);
    if (!(Number.isInteger(c.valStatsBatches) && c.valStatsBatches >= 0)) throw new Error(`train: valStatsBatches must be an integer >= 0 (0 = off), got ${c.valStatsBatches}`);
    if (!(Number.isInteger(c.swaEpochs) && c.swaEpochs >= 0 && c.swaEpochs <= c.epochs)) {
      throw new Error(`train: swaEpochs must be an integer from 0 to epochs (${c.epochs}), got ${c.swaEpochs}`);
    }
  }

  /** Ask the loop to stop after the current step; it writes a checkpoint first (Ctrl-C). */
  stop(): void { this.stopRequested = true; }

  async run(opts: { resume?: boolean; hooks?: TrainHooks; stopAfterSteps?: number } = {}): Promise<TrainResult> {
    const c = this.config, hooks = opts.hooks ?? {}, log = hooks.log ?? (() => {});
    const ds = this.train.ds;
    const K = ds.classes.length;
    const graph = buildReferenceNet({ ...c.model, classes: K, inputSize: ds.size });
    const trainIdx = this.train.indices ?? Int32Array.from({ length: ds.labels.length }, (_, i) => i);
    const it = new BatchIterator(ds, trainIdx, { batchSize: c.batch, seed: c.seed });
    if (it.batchesPerEpoch < 1) throw new Error(`train: ${trainIdx.length} training samples do not fill one batch of ${c.batch}`);
    const steps = it.batchesPerEpoch;
    const totalSteps = steps * c.epochs;
    const schedule = new LrSchedule(c.lr, this.scheduleSpec(totalSteps, steps));
    const augmenter = c.augment ? new Augmenter({ ...c.augment, size: ds.size }, c.seed) : undefined;
    // the model files get statistics of the un-augmented images only when something augments the batches
    const clean = c.bnStats === 'clean' && (augmenter !== undefined || c.mixup > 0);
    // the un-augmented training batches each epoch is validated with (valStatsBatches): the same ones every epoch
    const statsIt = clean && this.val && c.valStatsBatches > 0 ? new BatchIterator(ds, trainIdx, { batchSize: c.batch, seed: c.seed }) : undefined;
    const threads = c.threads > 0 ? c.threads : defaultThreads();
    // at a temperature other than 1 the label and teacher parts of a target are kept apart (blendTeacher)
    const distillTemperature = c.distill && c.distill.temperature !== 1 ? c.distill.temperature : undefined;
    const parts = distillTemperature === undefined ? undefined : { K };
    const targetWidth = parts ? 2 * K : K;
    const session = await Session.create({
      graph, threads, spawn: spawnNodeWorker, trainBatch: c.batch, inferBatches: [c.batch * 4], seed: c.seed,
      train: { optimizer: c.optimizer, labelSmoothing: c.labelSmoothing, softTargets: Boolean(c.distill) || c.mixup > 0, distillTemperature,
        classWeights: c.classWeights === 'balanced' ? classWeightsFor(ds, trainIdx, K) : undefined },
    });
    // from here on the session (and a batch teacher) hold worker threads: every exit path closes them
    let batchTeacher: BatchTeacher | undefined;
    try {
      let teacher: Float32Array | undefined;
      if (c.distill?.views === 'augmented' || c.distill?.views === 'augmented-mirror') {
        batchTeacher = await BatchTeacher.open(c.distill, ds.classes, c.batch, threads, ds.size);
        log(`distillation: ${c.distill.teachers.join(' + ')} will see every augmented training batch${c.distill.views === 'augmented-mirror' ? ' and its mirror image' : ''}`);
      } else if (c.distill) {
        log(`distillation: computing the probabilities of ${c.distill.teachers.join(' + ')} on ${trainIdx.length} training images`);
        const t = performance.now();
        teacher = await teacherProbabilities(ds, trainIdx, c.distill, threads, hooks.onTeacherProgress);
        log(`distillation: teacher probabilities ready in ${((performance.now() - t) / 1000).toFixed(0)} s`);
      }
      const teacherBatch = new Float32Array(teacher ? c.batch * K : 0);
      mkdirSync(this.outDir, { recursive: true });
      const ckptPath = join(this.outDir, 'checkpoint.safetensors');
      const metricsPath = join(this.outDir, 'metrics.jsonl');
      const resuming = Boolean(opts.resume) && existsSync(ckptPath);
      // a resumed run takes every weight from its checkpoint: the --init file is not read (it may be gone)
      if (c.init && !resuming) {
        const file = loadModel(c.init);
        const fileLabels = modelLabels(file.metadata, inferShapes(file.graph)[file.graph.output][0]);
        const start = fineTuneWeights(graph, session.getWeights(), { ...file, labels: fileLabels }, c.init, ds.classes, c.widen ? { seed: c.seed } : undefined);
        if (start.widened?.length) log(`widened ${c.init} (Net2Net, same function): ${start.widened.join('; ')}`);
        const newClasses = ds.classes.filter((l) => !start.carried.includes(l));
        if (start.fresh.length) log(`fine-tuning ${c.init} onto ${K} classes (${ds.classes.join(', ')}): a new head (${start.fresh.join(', ')}), every other layer from the file`);
        else if (newClasses.length) log(`fine-tuning ${c.init} onto ${K} classes: the head's outputs for ${start.carried.join(', ')} from the file, new for ${newClasses.join(', ')}`);
        session.setWeights(start.weights);
      }
      let st: CheckpointState = { epoch: 0, batch: 0, step: 0, bestAcc: -1, bestEpoch: -1, history: [],
        partial: { loss: 0, correct: 0, seen: 0, seconds: 0 }, elapsedSeconds: 0 };
      // running mean of the weights at the ends of the SWA epochs (float32, so a resumed run reproduces it exactly)
      let swaMean: Float32Array | undefined;
      if (resuming) {
        ({ st, swaMean } = this.loadCheckpoint(ckptPath, session, schedule));
        log(`resuming from ${ckptPath}: epoch ${st.epoch + 1}, batch ${st.batch}, step ${st.step}`);
        // metrics.jsonl may hold epochs logged after the checkpoint was written: rewrite it from the checkpoint
        writeFileAtomic(metricsPath, st.history.map((r) => JSON.stringify(r) + '\n').join(''));
      } else {
        writeFileAtomic(join(this.outDir, 'config.json'), JSON.stringify({ ...c, graphParams: countParams(graph) }, null, 2) + '\n');
        writeFileAtomic(metricsPath, '');
      }
      const params = countParams(graph);
      const t0 = performance.now() / 1000 - st.elapsedSeconds;
      let stepsThisRun = 0;
      const result = (interrupted: boolean, swa?: TrainResult['swa']): TrainResult => ({ interrupted, epochs: st.history.length, bestAcc: st.bestAcc, bestEpoch: st.bestEpoch,
        history: st.history, seconds: performance.now() / 1000 - t0, params, weights: session.getWeights(), outDir: this.outDir, swa });

      for (; st.epoch < c.epochs; st.epoch++, st.batch = 0) {
        it.setEpoch(st.epoch);
        const epochStart = performance.now() / 1000 - st.partial.seconds;
        for (; st.batch < steps; st.batch++) {
          // a training step is synchronous compute: without a turn of the event loop between steps, a
          // SIGINT/SIGTERM handler (which only sets stopRequested) would not run until the run had ended
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (this.stopRequested || (opts.stopAfterSteps !== undefined && stepsThisRun >= opts.stopAfterSteps)) {
            st.partial.seconds = performance.now() / 1000 - epochStart;
            st.elapsedSeconds = performance.now() / 1000 - t0;
            this.saveCheckpoint(ckptPath, session, st, schedule, swaMean);
            log(`stopped: checkpoint written to ${ckptPath} (epoch ${st.epoch + 1}, batch ${st.batch})`);
            return result(true);
          }
          it.fill(st.batch, session.trainInput, session.trainLabels, augmenter);
          if (teacher || batchTeacher || c.mixup > 0) labelTargets(session.trainTargets, session.trainLabels, K, c.labelSmoothing, targetWidth);
          // the clean pass's teacher before mixup: it saw the unmixed image, so its targets are mixed with it
          if (teacher) blendTeacher(session.trainTargets, teacherRows(teacher, it.batchIndices(st.batch), K, teacherBatch), c.distill!.weight, parts);
          if (c.mixup > 0) {
            const { lambda, perm } = mixupDraw(c.seed, st.step, c.mixup, c.batch);
            mixBatch(session.trainInput, session.trainTargets, c.batch, ds.size * ds.size, targetWidth, lambda, perm);
          }
          // after mixup: the teacher sees the very images (blended or not) the student trains on
          if (batchTeacher) blendTeacher(session.trainTargets, batchTeacher.probabilities(session.trainInput, c.batch), c.distill!.weight, parts);
          const lr = schedule.lr(st.step);
          const r = session.trainStep(lr);
          st.step++; stepsThisRun++;
          st.partial.loss += r.loss * c.batch; st.partial.correct += r.correct; st.partial.seen += c.batch;
          const secs = performance.now() / 1000 - epochStart;
          const ips = st.partial.seen / Math.max(1e-9, secs);
          const left = (totalSteps - st.step) * c.batch / ips;
          hooks.onProgress?.({ epoch: st.epoch, epochs: c.epochs, batch: st.batch + 1, batches: steps,
            loss: st.partial.loss / st.partial.seen, acc: st.partial.correct / st.partial.seen, imgPerSec: ips, etaSeconds: left });
        }
        const seconds = performance.now() / 1000 - epochStart;
        const val = this.val, valStart = performance.now() / 1000;
        const runV = val ? this.validate(session, val.ds, val.indices) : undefined;
        const cleanV = val && statsIt ? withCleanStatistics(session, statsIt, c.valStatsBatches, () => this.validate(session, val.ds, val.indices)) : undefined;
        const v = cleanV ?? runV;
        const rec: EpochRecord = { epoch: st.epoch + 1, lr: schedule.lr(Math.max(0, st.step - 1)),
          trainLoss: st.partial.loss / st.partial.seen, trainAcc: st.partial.correct / st.partial.seen,
          valLoss: v?.loss ?? null, valAcc: v?.acc ?? null, ...(cleanV ? { runStatsValLoss: runV!.loss, runStatsValAcc: runV!.acc } : {}),
          imgPerSec: st.partial.seen / seconds, seconds, ...(val ? { valSeconds: performance.now() / 1000 - valStart } : {}) };
        st.history.push(rec);
        st.partial = { loss: 0, correct: 0, seen: 0, seconds: 0 };
        appendFileSync(metricsPath, JSON.stringify(rec) + '\n');
        hooks.onEpoch?.(rec, st.history);
        if (v) schedule.epochEnd(v.acc);
        const score = v ? v.acc : rec.trainAcc;
        if (score > st.bestAcc) {
          st.bestAcc = score; st.bestEpoch = st.epoch + 1;
          this.saveModelFile(join(this.outDir, 'best.safetensors'), session, graph, st, ds.classes, params);
        }
        writeFileAtomic(join(this.outDir, 'curves.svg'), renderCurves(st.history));
        if (st.epoch + 1 > c.epochs - c.swaEpochs) {
          const w = session.getWeights().trainable;
          const k = (st.swaCount ?? 0) + 1;
          if (!swaMean) swaMean = new Float32Array(w.length);
          for (let i = 0; i < w.length; i++) swaMean[i] += (w[i] - swaMean[i]) / k;
          st.swaCount = k;
        }
        st.elapsedSeconds = performance.now() / 1000 - t0;
        // checkpoint at the boundary: the next epoch starts at batch 0
        this.saveCheckpoint(ckptPath, session, { ...st, epoch: st.epoch + 1, batch: 0 }, schedule, swaMean);
        if (c.patience > 0 && st.epoch + 1 - st.bestEpoch >= c.patience) {
          log(`early stop: no improvement in validation accuracy for ${c.patience} epochs (best ${(st.bestAcc * 100).toFixed(2)}% at epoch ${st.bestEpoch})`);
          st.epoch++;
          break;
        }
      }
      // the model files: statistics of the faces they will see (bnStats); the checkpoint above keeps the run's own
      let cleanStats: TrainResult['cleanStats'];
      if (clean) {
        const last = session.getWeights(), bestPath = join(this.outDir, 'best.safetensors');
        // best is often the last epoch itself (always, without validation): then one pass serves both files
        let lastIsBest = false;
        if (existsSync(bestPath)) {
          const best = loadModel(bestPath).weights;
          lastIsBest = best.trainable.length === last.trainable.length && best.trainable.every((v, i) => v === last.trainable[i]);
          session.setWeights(best);
          const before = this.val ? this.validate(session, this.val.ds, this.val.indices) : null;
          recomputeBatchNorm(session, it, undefined, c.epochs);
          const after = this.val ? this.validate(session, this.val.ds, this.val.indices) : null;
          cleanStats = { before, after };
          this.saveModelFile(bestPath, session, graph, st, ds.classes, params, { epoch: String(st.bestEpoch), valAcc: String(after?.acc ?? st.bestAcc), bnStats: 'clean' });
          if (before && after) log(`BatchNorm statistics of the un-augmented training images: best epoch ${st.bestEpoch}, validation accuracy ${pct(before.acc)} -> ${pct(after.acc)}, loss ${before.loss.toFixed(4)} -> ${after.loss.toFixed(4)}; written to best.safetensors`);
        }
        if (!lastIsBest) {
          session.setWeights(last);
          recomputeBatchNorm(session, it, undefined, c.epochs);
        }
      }
      this.saveModelFile(join(this.outDir, 'last.safetensors'), session, graph, st, ds.classes, params, clean ? { bnStats: 'clean' } : {});
      if (!swaMean || !st.swaCount) return { ...result(false), cleanStats };
      const last = session.getWeights();
      session.setWeights({ trainable: swaMean, buffers: last.buffers });
      log(`weight averaging: ${st.swaCount} epoch(s) averaged; recomputing BatchNorm statistics${clean ? ' on the un-augmented training images' : ''}`);
      recomputeBatchNorm(session, it, clean ? undefined : augmenter, c.epochs);
      const v = this.val ? this.validate(session, this.val.ds, this.val.indices) : undefined;
      const swa = { epochs: st.swaCount, valAcc: v?.acc ?? null, valLoss: v?.loss ?? null };
      this.saveModelFile(join(this.outDir, 'swa.safetensors'), session, graph, st, ds.classes, params,
        { epoch: `swa ${c.epochs - st.swaCount + 1}-${c.epochs}`, valAcc: String(v?.acc ?? ''), ...(clean ? { bnStats: 'clean' as const } : {}) });
      if (v) log(`weight averaging: validation accuracy ${pct(v.acc)} (best single epoch ${pct(cleanStats?.after?.acc ?? st.bestAcc)} at epoch ${st.bestEpoch}); written to swa.safetensors`);
      const r = result(false, swa);
      session.setWeights(last);
      return { ...r, weights: last, cleanStats };
    } finally {
      await session.close();
      await batchTeacher?.close();
    }
  }

  private scheduleSpec(totalSteps: number, stepsPerEpoch: number): ScheduleSpec {
    const c = this.config;
    switch (c.schedule) {
      case 'cosine': return { type: 'cosine', totalSteps, warmupSteps: c.warmupEpochs * stepsPerEpoch, minLr: c.lr * 1e-3 };
      case 'onecycle': return { type: 'onecycle', totalSteps };
      case 'step': return { type: 'step', stepSize: Math.max(1, Math.round(totalSteps / 3)), gamma: 0.1 };
      case 'plateau': return { type: 'plateau', patience: 5, factor: 0.2, mode: 'max' };
      default: return { type: 'constant' };
    }
  }

  /** Accuracy and mean NLL on a dataset with inference-mode BatchNorm. */
  validate(session: Session, ds: Dataset, indices?: Int32Array): { acc: number; loss: number } {
    const b = this.config.batch * 4;
    const it = new EvalIterator(ds, indices, b);
    const px = ds.size * ds.size, K = ds.classes.length;
    const x = new Float32Array(b * px), y = new Int32Array(b);
    let correct = 0, loss = 0, n = 0;
    for (let i = 0; i < it.batchesPerEpoch; i++) {
      const len = it.fill(i, x, y);
      const logits = session.predict(x, len);
      for (let j = 0; j < len; j++) {
        let best = 0, max = -Infinity;
        for (let k = 0; k < K; k++) if (logits[j * K + k] > max) { max = logits[j * K + k]; best = k; }
        let z = 0;
        for (let k = 0; k < K; k++) z += Math.exp(logits[j * K + k] - max);
        loss += Math.log(z) - (logits[j * K + y[j]] - max);
        if (best === y[j]) correct++;
      }
      n += len;
    }
    return { acc: correct / n, loss: loss / n };
  }

  private saveModelFile(path: string, s: Session, graph: ReturnType<typeof buildReferenceNet>, st: CheckpointState, labels: string[], params: number,
    override: { epoch?: string; valAcc?: string; bnStats?: BnStats } = {}): void {
    const c = this.config;
    saveModel(path, { graph, weights: s.getWeights(), metadata: {
      labels: JSON.stringify(labels), input: JSON.stringify({ size: this.train.ds.size, channels: 1, mean: INPUT_MEAN, std: INPUT_STD }),
      netConfig: JSON.stringify(c.model), epoch: override.epoch ?? String(st.epoch + 1), params: String(params),
      valAcc: override.valAcc ?? String(st.bestAcc), trainConfig: JSON.stringify(c),
      // which images the BatchNorm statistics are of (the training batches' are the clean images' when nothing augments them)
      bnStats: override.bnStats ?? (c.augment || c.mixup > 0 ? 'augmented' : 'clean'),
    } });
  }

  private saveCheckpoint(path: string, s: Session, st: CheckpointState, schedule: LrSchedule, swaMean?: Float32Array): void {
    const layout = paramLayout(s.spec.graph);
    const tensors = weightsToTensors(layout, s.getWeights());
    const opt = s.getOptimizerState();
    opt.state.forEach((a, i) => { tensors[`__optimizer.${i}`] = { shape: [a.length], data: a }; });
    if (swaMean) tensors.__swa = { shape: [swaMean.length], data: swaMean };
    const state = { ...st, step: opt.step, plateau: schedule.state, config: this.config };
    writeFileAtomic(path, encodeSafetensors(tensors, { ferkit_graph: JSON.stringify(s.spec.graph), ferkit_checkpoint: JSON.stringify(state) }));
  }

  private loadCheckpoint(path: string, s: Session, schedule: LrSchedule): { st: CheckpointState; swaMean?: Float32Array } {
    const bytes = readFileSync(path);
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (!metadata.ferkit_checkpoint) throw new Error(`${path} is not a ferkit training checkpoint`);
    if (metadata.ferkit_graph !== JSON.stringify(s.spec.graph)) throw new Error(`${path} was written for a different network; resume with the same --model/--widths/--units`);
    const state = JSON.parse(metadata.ferkit_checkpoint) as CheckpointState & { config: TrainConfig };
    const { config: _ignored, ...rest } = state;
    s.setWeights(tensorsToWeights(paramLayout(s.spec.graph), tensors));
    const opt: Float32Array[] = [];
    for (let i = 0; tensors[`__optimizer.${i}`]; i++) opt.push(tensors[`__optimizer.${i}`].data);
    s.setOptimizerState({ step: state.step, state: opt });
    if (state.plateau) schedule.state = state.plateau;
    return { st: rest, swaMean: tensors.__swa ? Float32Array.from(tensors.__swa.data) : undefined };
  }
}

/** Writes a plain text summary of a finished run (used by the CLI and model cards). */
export function summarize(r: TrainResult): string {
  const swa = r.swa ? `, weights averaged over the last ${r.swa.epochs} epoch(s)${r.swa.valAcc !== null ? ` ${(r.swa.valAcc * 100).toFixed(2)}%` : ''}` : '';
  const after = r.cleanStats?.after;
  const clean = after ? ` (${(after.acc * 100).toFixed(2)}% with BatchNorm statistics of the un-augmented images, as written)` : '';
  return `epochs ${r.epochs}, best validation accuracy ${(r.bestAcc * 100).toFixed(2)}% at epoch ${r.bestEpoch}${clean}${swa}, ` +
    `${r.params} parameters, ${(r.seconds / 60).toFixed(1)} min`;
}

