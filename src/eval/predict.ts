/**
 * Logits for a dataset (or some of its images), batch by batch, optionally with test-time augmentation:
 * `flip`, the image and its mirror image; `tencrop`, the 4 corner crops, the centre crop and their mirror
 * images (data's tenCrop), each resized back to full size. The logit vectors of an image's views are
 * averaged. Views and average are data/views.ts's, the layout the pipeline's classifiers use too.
 */
import type { Dataset } from '../data/dataset.js';
import { averageViews, defaultCropSize, writeViews } from '../data/views.js';
import { softmax } from './metrics.js';
import { TTA_VIEWS, TTAS, isTta, type Tta } from '../data/tta.js';

/** Anything that maps count NCHW images to count x K logits (an engine Session, a trainer's model ...). */
export interface Predictor {
  predict(input: Float32Array, count: number): Float32Array | ArrayLike<number>;
}

/**
 * Several models' answers as one: the log of their averaged probabilities (softmax of each member's n x K
 * logits, at its own temperature when given), so that the arg-max and any softmax downstream see the
 * ensemble's probabilities. Averaging probabilities rather than logits keeps a member with large logits
 * from outvoting the rest. Floored so that a probability that underflowed to 0 stays a finite logit.
 */
export function averageProbabilities(logits: readonly ArrayLike<number>[], K: number, temperatures?: readonly number[]): Float32Array {
  if (!logits.length) throw new RangeError('averageProbabilities: at least one member is needed');
  let sum: Float64Array | undefined;
  logits.forEach((z, i) => {
    if (sum && z.length !== sum.length) throw new Error(`averageProbabilities: member ${i} gave ${z.length} values, member 0 ${sum.length}`);
    const p = softmax(z, K, temperatures?.[i] ?? 1);
    if (!sum) sum = p;
    else for (let j = 0; j < p.length; j++) sum[j] += p[j];
  });
  return Float32Array.from(sum!, (v) => Math.log(Math.max(v / logits.length, 1e-30)));
}

/**
 * Several models as one predictor (averageProbabilities of their logits). Members must share the classes
 * and their order.
 */
export function ensemblePredictor(members: Predictor[]): Predictor {
  if (!members.length) throw new RangeError('ensemblePredictor: at least one member is needed');
  return {
    predict(input, count) {
      const outputs = members.map((m, i) => {
        const z = m.predict(input, count);
        if (z.length % count !== 0) throw new Error(`ensemblePredictor: member ${i} returned ${z.length} values for ${count} inputs`);
        return z;
      });
      // members that disagree on the number of classes are caught by averageProbabilities
      return averageProbabilities(outputs, outputs[0].length / count);
    },
  };
}

export interface PredictOptions {
  /** dataset indices to predict, in this order (default: all) */
  indices?: ArrayLike<number>;
  /** test-time augmentation (default 'none') */
  tta?: Tta;
  /** images per predict call (default 64; each call gets one input per view: 2x with flip, 10x with ten-crop) */
  batch?: number;
  /** ten-crop crop side (default round(size * 11/12), i.e. 44 of 48) */
  cropSize?: number;
  /** called after each batch with images done so far and the total */
  onProgress?: (done: number, total: number) => void;
}

export { defaultCropSize };

/** Returns n x K logits (float32), n = indices.length (or the dataset size). */
export function predictDataset(model: Predictor, ds: Dataset, opts: PredictOptions = {}): Float32Array {
  const count = ds.labels.length;
  const indices = opts.indices ?? Int32Array.from({ length: count }, (_, i) => i);
  const tta = opts.tta ?? 'none';
  if (!isTta(tta)) throw new Error(`predictDataset: unknown tta '${tta}' (expected ${TTAS.join(', ')})`);
  const batch = opts.batch ?? 64;
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`predictDataset: batch must be a positive integer, got ${batch}`);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!(Number.isInteger(i) && i >= 0 && i < count)) throw new RangeError(`predictDataset: index ${i} (position ${k}) is outside 0..${count - 1}`);
  }
  const n = indices.length, S = ds.size, px = S * S, views = TTA_VIEWS[tta];
  const cropSize = opts.cropSize ?? defaultCropSize(S);
  const input = new Float32Array(Math.min(batch, Math.max(n, 1)) * views * px);
  let out: Float32Array | undefined, K = 0;
  opts.onProgress?.(0, n);
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    for (let k = 0; k < m; k++) {
      const i = indices[start + k];
      writeViews(ds.images.subarray(i * px, (i + 1) * px), S, tta, input, k * views * px, cropSize);
    }
    const logits = model.predict(input.subarray(0, m * views * px), m * views);
    if (!out) {
      K = logits.length / (m * views);
      if (!Number.isInteger(K) || K < 1) throw new Error(`predictDataset: the model returned ${logits.length} values for ${m * views} inputs`);
      out = new Float32Array(n * K);
    } else if (logits.length !== m * views * K) {
      throw new Error(`predictDataset: the model returned ${logits.length} values for ${m * views} inputs, expected ${m * views * K}`);
    }
    out.set(averageViews(logits, m, K, views), start * K);
    opts.onProgress?.(start + m, n);
  }
  return out ?? new Float32Array(0);
}
