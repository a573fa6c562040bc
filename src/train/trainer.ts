/**
 * The training loop: data in, checkpoints and metrics out. Everything random derives from one seed
 * (initialisation, per-epoch order, per-batch augmentation, dropout), and a checkpoint records where in
 * which epoch the run stood, so a killed run resumed from its last checkpoint ends with the same weights
 * as an uninterrupted one.
 *
 * Run folder: config.json, metrics.jsonl (one line per epoch), checkpoint.safetensors (latest, for
 * --resume), best.safetensors (best validation accuracy: a model file), curves.svg.
 */
import { existsSync, readFileSync, mkdirSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session, LrSchedule, countParams, type OptimizerSpec, type ScheduleSpec, type Weights } from '../engine/index.js';
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
import { fineTuneWeights } from './fine-tune.js';

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
}

export const DEFAULT_CONFIG: TrainConfig = {
  model: {}, epochs: 60, batch: 64, optimizer: { type: 'adamw', weightDecay: 5e-4 }, lr: 3e-3, schedule: 'onecycle',
  warmupEpochs: 2, labelSmoothing: 0.1, classWeights: 'none',
  augment: { shift: 4, flip: true, rotate: 10, scale: [0.9, 1.1], brightness: 0.2, contrast: 0.2, erase: 0.25 },
  seed: 1, threads: 0, patience: 0,
};

export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAcc: number;
  valLoss: number | null;
  valAcc: number | null;
  imgPerSec: number;
  seconds: number;
}

export interface ProgressInfo { epoch: number; epochs: number; batch: number; batches: number; loss: number; acc: number; imgPerSec: number; etaSeconds: number }

export interface TrainHooks {
  onProgress?: (p: ProgressInfo) => void;
  onEpoch?: (r: EpochRecord) => void;
  log?: (msg: string) => void;
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
}

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
    const threads = c.threads > 0 ? c.threads : defaultThreads();
    const session = await Session.create({
      graph, threads, spawn: spawnNodeWorker, trainBatch: c.batch, inferBatches: [c.batch * 4], seed: c.seed,
      train: { optimizer: c.optimizer, labelSmoothing: c.labelSmoothing,
        classWeights: c.classWeights === 'balanced' ? classWeightsFor(ds, trainIdx, K) : undefined },
    });
    if (c.init) {
      const start = fineTuneWeights(graph, session.getWeights(), loadModel(c.init), c.init);
      if (start.fresh.length) log(`fine-tuning ${c.init} onto ${K} classes (${ds.classes.join(', ')}): a new head (${start.fresh.join(', ')}), every other layer from the file`);
      session.setWeights(start.weights);
    }
    mkdirSync(this.outDir, { recursive: true });
    const ckptPath = join(this.outDir, 'checkpoint.safetensors');
    const metricsPath = join(this.outDir, 'metrics.jsonl');
    let st: CheckpointState = { epoch: 0, batch: 0, step: 0, bestAcc: -1, bestEpoch: -1, history: [],
      partial: { loss: 0, correct: 0, seen: 0, seconds: 0 }, elapsedSeconds: 0 };
    if (opts.resume && existsSync(ckptPath)) {
      st = this.loadCheckpoint(ckptPath, session, schedule);
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
    const result = (interrupted: boolean): TrainResult => ({ interrupted, epochs: st.history.length, bestAcc: st.bestAcc, bestEpoch: st.bestEpoch,
      history: st.history, seconds: performance.now() / 1000 - t0, params, weights: session.getWeights(), outDir: this.outDir });

    try {
      for (; st.epoch < c.epochs; st.epoch++, st.batch = 0) {
        it.setEpoch(st.epoch);
        const epochStart = performance.now() / 1000 - st.partial.seconds;
        for (; st.batch < steps; st.batch++) {
          if (this.stopRequested || (opts.stopAfterSteps !== undefined && stepsThisRun >= opts.stopAfterSteps)) {
            st.partial.seconds = performance.now() / 1000 - epochStart;
            st.elapsedSeconds = performance.now() / 1000 - t0;
            this.saveCheckpoint(ckptPath, session, st, schedule);
            log(`stopped: checkpoint written to ${ckptPath} (epoch ${st.epoch + 1}, batch ${st.batch})`);
            return result(true);
          }
          it.fill(st.batch, session.trainInput, session.trainLabels, augmenter);
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
        const v = this.val ? this.validate(session, this.val.ds, this.val.indices) : undefined;
        const rec: EpochRecord = { epoch: st.epoch + 1, lr: schedule.lr(Math.max(0, st.step - 1)),
          trainLoss: st.partial.loss / st.partial.seen, trainAcc: st.partial.correct / st.partial.seen,
          valLoss: v?.loss ?? null, valAcc: v?.acc ?? null, imgPerSec: st.partial.seen / seconds, seconds };
        st.history.push(rec);
        st.partial = { loss: 0, correct: 0, seen: 0, seconds: 0 };
        appendFileSync(metricsPath, JSON.stringify(rec) + '\n');
        hooks.onEpoch?.(rec);
        if (v) schedule.epochEnd(v.acc);
        const score = v ? v.acc : rec.trainAcc;
        if (score > st.bestAcc) {
          st.bestAcc = score; st.bestEpoch = st.epoch + 1;
          this.saveModelFile(join(this.outDir, 'best.safetensors'), session, graph, st, ds.classes, params);
        }
        writeFileAtomic(join(this.outDir, 'curves.svg'), renderCurves(st.history));
        st.elapsedSeconds = performance.now() / 1000 - t0;
        // checkpoint at the boundary: the next epoch starts at batch 0
        this.saveCheckpoint(ckptPath, session, { ...st, epoch: st.epoch + 1, batch: 0 }, schedule);
        if (c.patience > 0 && st.epoch + 1 - st.bestEpoch >= c.patience) {
          log(`early stop: no improvement in validation accuracy for ${c.patience} epochs (best ${(st.bestAcc * 100).toFixed(2)}% at epoch ${st.bestEpoch})`);
          st.epoch++;
          break;
        }
      }
      this.saveModelFile(join(this.outDir, 'last.safetensors'), session, graph, st, ds.classes, params);
      return result(false);
    } finally {
      await session.close();
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

  private saveModelFile(path: string, s: Session, graph: ReturnType<typeof buildReferenceNet>, st: CheckpointState, labels: string[], params: number): void {
    saveModel(path, { graph, weights: s.getWeights(), metadata: {
      labels: JSON.stringify(labels), input: JSON.stringify({ size: this.train.ds.size, channels: 1, mean: INPUT_MEAN, std: INPUT_STD }),
      netConfig: JSON.stringify(this.config.model), epoch: String(st.epoch + 1), params: String(params),
      valAcc: String(st.bestAcc), trainConfig: JSON.stringify(this.config),
    } });
  }

  private saveCheckpoint(path: string, s: Session, st: CheckpointState, schedule: LrSchedule): void {
    const layout = paramLayout(s.spec.graph);
    const tensors = weightsToTensors(layout, s.getWeights());
    const opt = s.getOptimizerState();
    opt.state.forEach((a, i) => { tensors[`__optimizer.${i}`] = { shape: [a.length], data: a }; });
    const state = { ...st, step: opt.step, plateau: schedule.state, config: this.config };
    writeFileAtomic(path, encodeSafetensors(tensors, { ferkit_graph: JSON.stringify(s.spec.graph), ferkit_checkpoint: JSON.stringify(state) }));
  }

  private loadCheckpoint(path: string, s: Session, schedule: LrSchedule): CheckpointState {
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
    return rest;
  }
}

/** Writes a plain text summary of a finished run (used by the CLI and model cards). */
export function summarize(r: TrainResult): string {
  return `epochs ${r.epochs}, best validation accuracy ${(r.bestAcc * 100).toFixed(2)}% at epoch ${r.bestEpoch}, ` +
    `${r.params} parameters, ${(r.seconds / 60).toFixed(1)} min`;
}

