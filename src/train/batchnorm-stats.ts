/**
 * BatchNorm running statistics recomputed for the weights now in a training session, from training-mode
 * passes at learning rate 0 (which move only the running statistics).
 *
 * Two uses. Averaged weights (SWA) never ran forward, so the statistics they carry belong to other
 * weights. And a network trained on augmented faces (shifted, rotated, rescaled, re-lit, erased, mixed)
 * carries the statistics of augmented faces, while it is used on faces as they are: recomputed on the
 * un-augmented training images ('clean'), the statistics match what the network will see: 10 of the 11
 * files ferkit has bundled gained 0.45 to 1.76 points single-crop on FER2013 PublicTest with no other change,
 * while ten-crop, whose views are enlarged crops, lost (docs/recipe-search.md, "BatchNorm statistics of
 * un-augmented faces"). Only training images are used, never validation ones.
 */
import { Session, type OptimizerSpec, type Weights } from '../engine/index.js';
import { spawnNodeWorker, defaultThreads } from '../engine/node/index.js';
import type { Augmenter } from '../data/augment.js';
import { BatchIterator } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import type { Graph } from '../engine/graph.js';
import { paramLayout } from '../engine/params.js';

/** Which images the statistics come from: the training images as they are, or augmented as in training. */
export type BnStats = 'clean' | 'augmented';
export const BN_STATS: readonly BnStats[] = ['clean', 'augmented'];

/** At most this many batches are run: 32,000 images at batch 64, so all of FER2013's 28,709 training faces. */
export const BN_BATCHES = 500;

/** Each running-statistics value's BatchNorm momentum, laid out like the session's buffers. */
function bufferMomenta(graph: Graph): Float32Array {
  const layout = paramLayout(graph), out = new Float32Array(layout.bufferSize);
  for (const p of layout.buffers) {
    const n = graph.nodes[p.node];
    if (n.op !== 'batchnorm' || !(n.momentum > 0)) throw new Error(`BatchNorm statistics: ${p.name} has no momentum above 0 to recover its batch statistics from`);
    out.fill(n.momentum, p.offset, p.offset + p.size);
  }
  return out;
}

/**
 * Recomputes the session's BatchNorm statistics as the mean of the statistics of the batches of `it`
 * (epoch `epoch` on; augmented by `augmenter` if given): each batch's mean and unbiased variance, as Ioffe
 * and Szegedy's inference statistics (E over batches of the mean, and of m/(m-1) times the variance). The
 * engine keeps running statistics as moving averages, r = (1 - momentum) r + momentum * batch; with r set to
 * 0 before a step, the step leaves momentum * batch, from which each batch's own statistics are read
 * exactly, so no old value lingers and every batch weighs the same. Clean images are passed over once (at
 * most BN_BATCHES batches); augmented ones up to 4 times, each pass new augmentations.
 */
export function recomputeBatchNorm(session: Session, it: BatchIterator, augmenter: Augmenter | undefined, epoch: number, maxBatches = BN_BATCHES): number {
  const momenta = bufferMomenta(session.spec.graph), zero = new Float32Array(momenta.length), sum = new Float64Array(momenta.length);
  const total = Math.min(maxBatches, BN_BATCHES, it.batchesPerEpoch * (augmenter ? 4 : 1));
  if (!(total >= 1)) throw new RangeError(`BatchNorm statistics: at least one batch is needed, got ${total}`);
  it.setEpoch(epoch);
  for (let b = 0; b < total; b++) {
    if (b > 0 && b % it.batchesPerEpoch === 0) it.setEpoch(epoch + b / it.batchesPerEpoch);
    it.fill(b % it.batchesPerEpoch, session.trainInput, session.trainLabels, augmenter);
    session.setBuffers(zero);
    session.trainStep(0);
    const buf = session.getBuffers();
    for (let i = 0; i < buf.length; i++) sum[i] += buf[i] / momenta[i];
  }
  session.setBuffers(Float32Array.from(sum, (v) => v / total));
  return total;
}

/**
 * Validation as the model files will be used, in the middle of a run: `score` is called with the session's
 * BatchNorm statistics recomputed on `maxBatches` un-augmented batches of `it`, then the run's own running
 * statistics and its optimizer state (the lr-0 steps move Adam's moments, its step count and with it the
 * dropout seeds) are put back, so the training continues exactly as if nothing had happened.
 */
export function withCleanStatistics<T>(session: Session, it: BatchIterator, maxBatches: number, score: () => T): T {
  const buffers = session.getBuffers(), optimizer = session.getOptimizerState();
  try {
    recomputeBatchNorm(session, it, undefined, 0, maxBatches);
    return score();
  } finally {
    session.setBuffers(buffers);
    session.setOptimizerState(optimizer);
  }
}

export interface ModelBatchNormOptions {
  /** training images per batch (default 64) */
  batch?: number;
  /** seeds the batch order (default 1) */
  seed?: number;
  /** at most this many batches (default BN_BATCHES): the first ones of the seeded order */
  maxBatches?: number;
  threads?: number;
}

/**
 * A trained network's weights with its BatchNorm statistics recomputed on `ds` as it is (no augmentation),
 * and how many batches and images they came from; the trainable weights come back unchanged. `ds` must be
 * the network's training data (or a sample of it).
 */
export async function recomputeModelBatchNorm(graph: Graph, weights: Weights, ds: Dataset, o: ModelBatchNormOptions = {}): Promise<{ weights: Weights; batches: number; images: number }> {
  const batch = o.batch ?? 64;
  const it = new BatchIterator(ds, undefined, { batchSize: batch, seed: o.seed ?? 1 });
  if (it.batchesPerEpoch < 1) throw new Error(`BatchNorm statistics: ${ds.labels.length} images do not fill one batch of ${batch}`);
  const threads = o.threads && o.threads > 0 ? o.threads : defaultThreads();
  // plain SGD at learning rate 0: the step leaves every trainable weight as it is
  const optimizer: OptimizerSpec = { type: 'sgd', momentum: 0, weightDecay: 0 };
  const session = await Session.create({ graph, weights, threads, spawn: spawnNodeWorker, trainBatch: batch, inferBatches: [batch], train: { optimizer } });
  try {
    const batches = recomputeBatchNorm(session, it, undefined, 0, o.maxBatches ?? BN_BATCHES);
    return { weights: session.getWeights(), batches, images: batches * batch };
  } finally {
    await session.close();
  }
}
