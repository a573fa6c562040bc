/**
 * Knowledge distillation (Hinton et al. 2015): the student learns from a mix of the labels and a teacher's
 * probabilities. FER2013's labels come from one annotator per face and many faces are ambiguous (fear vs
 * surprise, sad vs neutral); a teacher's full distribution says how ambiguous each face is, which a
 * one-hot label cannot.
 *
 * Two ways to get the teachers' probabilities (`views`):
 * - 'clean' (default): once per run, before training, on every training image as it is and mirrored
 *   (averaged over both views and over the teachers). One pass of each teacher over the training set; the
 *   small shifts, rotations and mirroring of the augmentation do not change a face's expression.
 * - 'augmented': per training step, on exactly the batch the student sees (augmented, and mixed when mixup
 *   is on). Beyer et al. 2022 ("Knowledge distillation: A good teacher is patient and consistent") found
 *   that a student learns more from a teacher shown the same crop it is shown: with clean views the student
 *   is never told how a face looks to the teacher when it is shifted, erased or blended. It costs one
 *   teacher forward pass per step.
 * - 'augmented-mirror': as 'augmented', and the teachers also see each augmented image mirrored, their
 *   answers averaged over both. Mirror averaging (test-time flipping) usually makes a model more accurate,
 *   and it makes the targets the same for a face and its mirror image, which the student meets as another
 *   augmentation.
 *   Two teacher passes per step.
 *
 * `temperature` T: the teachers' softmax(logits / T) is the teacher part of the target. At T = 1 label and
 * teacher parts are blended into one distribution; at any other T they are kept apart and the student
 * matches the teacher part with its own softmax(logits / T), that loss scaled by T^2 (Hinton et al.), so
 * that a high T teaches the teachers' ranking of the unlikely classes and not merely softer targets.
 */
import { createInferenceSession } from '../engine/index.js';
import { spawnNodeWorker, loadModel } from '../engine/node/index.js';
import type { Dataset } from '../data/dataset.js';
import { INPUT_LUT } from '../data/normalize.js';
import { mirrorImages } from '../data/augment.js';
import { softmax } from '../eval/metrics.js';
import { modelLabels } from '../eval/labels.js';

export interface DistillConfig {
  /** teacher model files (their probabilities are averaged) */
  teachers: string[];
  /** weight of the teachers' distribution in the target; 1 - weight goes to the (smoothed) label */
  weight: number;
  /** teachers' logits are divided by this before the softmax (> 1 softens them) */
  temperature: number;
  /** which images the teachers see: 'clean' training images once per run, or each 'augmented' batch, optionally with its mirror (see above) */
  views?: DistillViews;
}

export const DISTILL_VIEWS = ['clean', 'augmented', 'augmented-mirror'] as const;
export type DistillViews = (typeof DISTILL_VIEWS)[number];

export function checkDistillConfig(d: DistillConfig): void {
  if (!d.teachers.length) throw new Error('distill: at least one teacher model is needed');
  if (!(d.weight > 0 && d.weight <= 1)) throw new Error(`distill: weight must be in (0, 1], got ${d.weight}`);
  if (!(d.temperature > 0)) throw new Error(`distill: temperature must be > 0, got ${d.temperature}`);
  if (d.views !== undefined && !DISTILL_VIEWS.includes(d.views)) throw new Error(`distill: views must be one of ${DISTILL_VIEWS.map((v) => `'${v}'`).join(', ')}, got '${d.views}'`);
}

type InferenceSession = Awaited<ReturnType<typeof createInferenceSession>>;

/** An inference session of the teacher model file `path`, after checking it predicts `classes` in that order. */
async function openTeacher(path: string, classes: string[], threads: number, batch: number): Promise<InferenceSession> {
  const m = loadModel(path);
  const labels = modelLabels(m.metadata, classes.length);
  if (labels.join() !== classes.join()) {
    throw new Error(`teacher ${path} predicts [${labels}], the training data has [${classes}]: a teacher must have the same classes in the same order`);
  }
  return createInferenceSession({ graph: m.graph, weights: m.weights, threads, spawn: threads > 1 ? spawnNodeWorker : undefined, inferBatches: [batch] });
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
    const s = await openTeacher(path, ds.classes, threads, B);
    try {
      for (let from = 0; from < indices.length; from += B) {
        const n = Math.min(B, indices.length - from);
        for (let j = 0; j < n; j++) {
          const img = ds.images.subarray(indices[from + j] * px, (indices[from + j] + 1) * px);
          for (let i = 0; i < px; i++) x[j * px + i] = INPUT_LUT[img[i]];
        }
        mirrorImages(x, n, S, xm);
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
 * The clean pass's teacher probabilities for one batch: the rows `batchIndices` of `teacher` [image][K],
 * into `out` [batch][K], ready for blendTeacher like a BatchTeacher's.
 */
export function teacherRows(teacher: Float32Array, batchIndices: Int32Array, K: number, out: Float32Array): Float32Array {
  if (out.length < batchIndices.length * K) throw new RangeError(`teacherRows: ${batchIndices.length} rows of ${K} need ${batchIndices.length * K} values, out has ${out.length}`);
  for (let j = 0; j < batchIndices.length; j++) out.set(teacher.subarray(batchIndices[j] * K, (batchIndices[j] + 1) * K), j * K);
  return out.subarray(0, batchIndices.length * K);
}

/**
 * The teachers of `views: 'augmented'` (and 'augmented-mirror'): their averaged probabilities for whatever
 * batch the student is about to train on. Deterministic in its input, so a resumed run sees the same
 * targets as an uninterrupted one.
 */
export class BatchTeacher {
  private mirrored = new Float32Array(0);

  private constructor(private readonly sessions: InferenceSession[], private readonly K: number, private readonly temperature: number,
    private readonly mirror: boolean, private readonly size: number) {}

  /** `size`: the side of the square input images */
  static async open(d: DistillConfig, classes: string[], batch: number, threads: number, size: number): Promise<BatchTeacher> {
    checkDistillConfig(d);
    const sessions: InferenceSession[] = [];
    try {
      for (const path of d.teachers) sessions.push(await openTeacher(path, classes, threads, batch));
    } catch (e) {
      await Promise.all(sessions.map((s) => s.close()));
      throw e;
    }
    return new BatchTeacher(sessions, classes.length, d.temperature, d.views === 'augmented-mirror', size);
  }

  /**
   * Averaged softmax(logits / temperature) [n][K] of the teachers for the n input images in `x` (and
   * their mirror images, when asked for).
   */
  probabilities(x: ArrayLike<number>, n: number): Float32Array {
    const out = new Float32Array(n * this.K);
    const inputs: ArrayLike<number>[] = [x];
    if (this.mirror) {
      const S = this.size;
      if (x.length !== n * S * S) throw new Error(`distill: ${x.length} input values are not ${n} square images of ${S}x${S}`);
      if (this.mirrored.length !== x.length) this.mirrored = new Float32Array(x.length);
      inputs.push(mirrorImages(x, n, S, this.mirrored));
    }
    const views = this.sessions.length * inputs.length;
    for (const s of this.sessions) {
      for (const input of inputs) {
        const p = softmax(s.predict(input, n), this.K, this.temperature);
        for (let i = 0; i < out.length; i++) out[i] += p[i] / views;
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.close()));
  }
}

/**
 * targets = (1 - weight) * targets + weight * teacher, in place: the label part of `targets` is already there (smoothed, maybe
 * mixed). The one blend for both teacher views: the clean pass's rows (teacherRows) and a BatchTeacher's.
 * With `parts` (distillation at a temperature other than 1), each row of `targets` is [label part | teacher part],
 * K values each: the label part is scaled by 1 - weight and the teacher part becomes weight * teacher, kept
 * apart because the loss matches them at different temperatures (the engine's softmax_ce_distill).
 */
export function blendTeacher(targets: Float32Array | Float64Array, teacher: Float32Array, weight: number, parts?: { K: number }): void {
  if (!parts) {
    for (let i = 0; i < teacher.length; i++) targets[i] = (1 - weight) * targets[i] + weight * teacher[i];
    return;
  }
  const K = parts.K;
  for (let j = 0; j < teacher.length / K; j++) {
    for (let k = 0; k < K; k++) {
      targets[2 * j * K + k] *= 1 - weight;
      targets[2 * j * K + K + k] = weight * teacher[j * K + k];
    }
  }
}
