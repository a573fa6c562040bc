/**
 * Knowledge distillation (Hinton et al. 2015): the student learns from a mix of the labels and a teacher's
 * probabilities. FER2013's labels come from one annotator per face and many faces are ambiguous (fear vs
 * surprise, sad vs neutral); a teacher's full distribution says how ambiguous each face is, which a
 * one-hot label cannot.
 *
 * The teachers' probabilities are computed once per run, before training, on every training image as it
 * is and mirrored (averaged over both views and over the teachers), not per augmented batch: that costs
 * one pass of each teacher instead of a teacher forward pass per training step, and the small shifts,
 * rotations and mirroring of the augmentation do not change a face's expression.
 */
import { createInferenceSession } from '../engine/index.js';
import { spawnNodeWorker, loadModel } from '../engine/node/index.js';
import type { Dataset } from '../data/dataset.js';
import { INPUT_LUT } from '../data/normalize.js';
import { softmax } from '../eval/metrics.js';
import { modelLabels } from '../eval/labels.js';
import { smoothedLabel } from './targets.js';

export interface DistillConfig {
  /** teacher model files (their probabilities are averaged) */
  teachers: string[];
  /** weight of the teachers' distribution in the target; 1 - weight goes to the (smoothed) label */
  weight: number;
  /** teachers' logits are divided by this before the softmax (> 1 softens them) */
  temperature: number;
}

export function checkDistillConfig(d: DistillConfig): void {
  if (!d.teachers.length) throw new Error('distill: at least one teacher model is needed');
  if (!(d.weight > 0 && d.weight <= 1)) throw new Error(`distill: weight must be in (0, 1], got ${d.weight}`);
  if (!(d.temperature > 0)) throw new Error(`distill: temperature must be > 0, got ${d.temperature}`);
}

/**
 * Probabilities [sample][class] of the teachers for the samples `indices` of `ds` (other rows stay 0),
 * each teacher's softmax(logits / temperature) averaged over the image and its mirror image.
 */
export async function teacherProbabilities(ds: Dataset, indices: Int32Array, d: DistillConfig, threads: number,
  onProgress?: (done: number, total: number) => void): Promise<Float32Array> {
  checkDistillConfig(d);
  const K = ds.classes.length, S = ds.size, px = S * S;
  const out = new Float32Array(ds.labels.length * K);
  const B = 256, x = new Float32Array(B * px), xm = new Float32Array(B * px);
  const views = 2 * d.teachers.length;
  let done = 0;
  const total = d.teachers.length * indices.length;
  for (const path of d.teachers) {
    const m = loadModel(path);
    const labels = modelLabels(m.metadata, K);
    if (labels.join() !== ds.classes.join()) {
      throw new Error(`teacher ${path} predicts [${labels}], the training data has [${ds.classes}]: a teacher must have the same classes in the same order`);
    }
    const s = await createInferenceSession({ graph: m.graph, weights: m.weights, threads, spawn: threads > 1 ? spawnNodeWorker : undefined, inferBatches: [B] });
    try {
      for (let from = 0; from < indices.length; from += B) {
        const n = Math.min(B, indices.length - from);
        for (let j = 0; j < n; j++) {
          const img = ds.images.subarray(indices[from + j] * px, (indices[from + j] + 1) * px);
          for (let r = 0; r < S; r++) for (let c = 0; c < S; c++) {
            const v = INPUT_LUT[img[r * S + c]];
            x[j * px + r * S + c] = v;
            xm[j * px + r * S + (S - 1 - c)] = v;
          }
        }
        for (const input of [x, xm]) {
          const p = softmax(s.predict(input, n), K, d.temperature);
          for (let j = 0; j < n; j++) {
            const row = indices[from + j] * K;
            for (let k = 0; k < K; k++) out[row + k] += p[j * K + k] / views;
          }
        }
        done += n;
        onProgress?.(done, total);
      }
    } finally {
      await s.close();
    }
  }
  return out;
}

/**
 * The targets of one batch: (1 - weight) * smoothed one-hot label + weight * teacher probabilities, into
 * `out` [batch][class].
 */
export function mixTargets(out: Float32Array | Float64Array, labels: Int32Array, batchIndices: Int32Array, teacher: Float32Array,
  K: number, weight: number, smoothing: number): void {
  for (let j = 0; j < batchIndices.length; j++) {
    const row = batchIndices[j] * K;
    for (let k = 0; k < K; k++) {
      out[j * K + k] = (1 - weight) * smoothedLabel(k, labels[j], K, smoothing) + weight * teacher[row + k];
    }
  }
}
