/**
 * k-fold cross-validation driver. It splits, calls the caller's training function once per fold, scores
 * what that returns on the held-out fold and summarises; it does not train anything itself.
 *
 * Subject-independent (the default, and the honest protocol for CK+ and JAFFE, which have several images
 * per person): every subject's images are in exactly one fold (data's subjectKFold). Otherwise a
 * stratified k-fold over images (data's kFold). The fold assignment (the subjects, and the image indices,
 * of each test fold) is part of the result, so a report can state the protocol exactly.
 *
 * Each fold's model is scored as a classifier over the classes its training images have, as a model
 * trained on that data alone would be: a pretrained model's extra outputs (FER2013's neutral, on CK+48)
 * are not candidates. The accuracy over every output is reported too.
 */
import type { Dataset } from '../data/dataset.js';
import { subset } from '../data/dataset.js';
import { kFold, subjectKFold, type Split } from '../data/splits.js';
import { evaluateLogits, mapClasses } from './labels.js';
import { averageProbabilities, predictDataset, type Predictor } from './predict.js';
import type { Tta } from '../data/tta.js';
import type { EvalResult } from './types.js';

/** One model of an ensemble, named for the report. */
export interface EnsembleMember { name: string; predictor: Predictor }

/**
 * What a fold's training returns: a predictor over the model's classes, or an ensemble's members, each of
 * which predicts the test fold once and is scored alone as well as in the ensemble (averageProbabilities of
 * their logits, after each member's test-time augmentation: as `ferkit eval --model a,b` scores them).
 * close() is called when scored.
 */
export type TrainedModel = { close?(): unknown; labels?: string[] } & (
  | (Predictor & { members?: undefined })
  | { members: EnsembleMember[]; predict?: undefined });

/**
 * Trains on `trainDs` for fold `fold`. `testDs` is the held-out fold that will be scored: a trainer must not
 * use it to choose epochs or hyper-parameters (hold out part of `trainDs` for that), or the CV estimate is
 * optimistic.
 */
export type CvTrainFn = (trainDs: Dataset, testDs: Dataset, fold: number) => Promise<TrainedModel>;

export interface CvOptions {
  data: Dataset;
  /** number of folds (default 10) */
  folds?: number;
  /** keep each subject in one fold (default true; needs data.subjects) */
  subjectIndependent?: boolean;
  /** seeds the fold assignment (default 0) */
  seed?: number;
  train: CvTrainFn;
  /** test-time augmentation when scoring (default 'none') */
  tta?: Tta;
  /** images per inference call when scoring (default 64) */
  batch?: number;
  /** the model's output classes (default: the trained model's `labels`, else the dataset's classes) */
  labels?: string[];
  /**
   * Score each fold's model as a classifier over the classes its training images have (default true): an
   * output no training image has (CK+48 has no neutral face, but a FER2013 model has a neutral output) is
   * not a candidate. The fold's own training data decides, never its test images. The accuracy over every
   * output is reported beside it (`allOutputs`).
   */
  trainedClassesOnly?: boolean;
  /** called after each fold is scored */
  onFold?: (r: FoldResult) => void;
}

export interface FoldResult {
  fold: number;
  trainSize: number;
  testSize: number;
  accuracy: number;
  macroF1: number;
  /** the test fold's subjects, sorted (empty when the data has no subject ids) */
  subjects: string[];
  /** the test fold's image indices into the dataset, ascending */
  testIndices: number[];
  confusion: number[][];
  /** an ensemble's members, each scored alone on this fold */
  members?: { name: string; accuracy: number; macroF1: number }[];
  /** the classes the fold's training images have (indices into `labels`): the candidates with trainedClassesOnly */
  trainedClasses: number[];
  /** accuracy with only the trained classes candidates, and with every output (one of them is `accuracy`) */
  trainedClassesAccuracy: number;
  allOutputsAccuracy: number;
}

/** One ensemble member's cross-validation estimate, over the same folds as the ensemble's. */
export interface MemberResult { name: string; accuracy: MeanStd; macroF1: MeanStd; pooled: EvalResult }

export interface MeanStd { mean: number; std: number; values: number[] }

export interface CvResult {
  protocol: {
    folds: number;
    subjectIndependent: boolean;
    /** stratified by class (the image-level k-fold is) */
    stratified: boolean;
    seed: number;
    images: number;
    /** distinct subjects in the data (undefined without subject ids) */
    subjects?: number;
  };
  folds: FoldResult[];
  /** per-fold accuracy: mean and sample standard deviation (n - 1) */
  accuracy: MeanStd;
  macroF1: MeanStd;
  /** every fold's predictions pooled: one confusion matrix and metrics over all n images */
  pooled: EvalResult;
  labels: string[];
  /** with an ensemble: each member's estimate */
  members?: MemberResult[];
  /** whether each fold was scored over the classes its training images have only (the figures above) */
  trainedClassesOnly: boolean;
  /** both ways of scoring, for comparison: only the trained classes candidates, and every output */
  trainedClasses: { accuracy: MeanStd; pooledAccuracy: number };
  allOutputs: { accuracy: MeanStd; pooledAccuracy: number };
}

/**
 * `logits` (n x K) with the outputs outside `candidates` pushed to -1e30, so that the softmax gives them
 * exactly 0 and the arg-max never picks them. A copy; the input is left as it is.
 */
export function restrictToCandidates(logits: Float32Array, K: number, candidates: readonly number[]): Float32Array {
  const out = Float32Array.from(logits);
  if (candidates.length === K) return out;
  const keep = new Uint8Array(K);
  for (const c of candidates) keep[c] = 1;
  for (let i = 0; i < out.length; i++) if (!keep[i % K]) out[i] = -1e30;
  return out;
}

/** Mean and sample standard deviation (divides by n - 1; 0 for a single value). */
export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  const mean = n ? values.reduce((s, v) => s + v, 0) / n : 0;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, values: [...values] };
}

/** The folds crossValidate will use (exposed so a caller can show or check the split before training). */
export function cvSplits(data: Dataset, folds = 10, subjectIndependent = true, seed = 0): Split[] {
  if (subjectIndependent) {
    if (!data.subjects || data.subjects.length !== data.labels.length) {
      throw new Error('subject-independent cross-validation needs subject ids per image (the ckplus and jaffe readers record them); this dataset has none');
    }
    return subjectKFold(data.subjects, data.labels, folds, seed);
  }
  return kFold(data.labels, folds, seed, true);
}

export async function crossValidate(o: CvOptions): Promise<CvResult> {
  const ds = o.data, k = o.folds ?? 10, subjectIndependent = o.subjectIndependent ?? true, seed = o.seed ?? 0;
  const splits = cvSplits(ds, k, subjectIndependent, seed);
  const n = ds.labels.length;
  const results: FoldResult[] = [];
  let labels = o.labels;
  const trainedOnly = o.trainedClassesOnly ?? true;
  /** every fold's logits pooled, as the model gave them and restricted to the trained classes */
  let pooledAll: Float32Array | undefined;
  let pooledRestricted: Float32Array | undefined;
  let pooledTargets: Int32Array | undefined;
  /** per member: pooled logits over all images */
  const memberPooled = new Map<string, Float32Array>();

  for (let f = 0; f < splits.length; f++) {
    const { train, test } = splits[f];
    const trainDs = subset(ds, train), testDs = subset(ds, test);
    const model = await o.train(trainDs, testDs, f);
    let logits: Float32Array;
    const memberLogits: [string, Float32Array][] = [];
    try {
      const po = { tta: o.tta ?? 'none', batch: o.batch ?? 64 } as const;
      if (model.members) {
        if (!model.members.length) throw new Error(`fold ${f}: the trained ensemble has no members`);
        for (const m of model.members) {
          if (memberLogits.some(([name]) => name === m.name)) throw new Error(`fold ${f}: two ensemble members are named '${m.name}'; members are reported by name`);
          memberLogits.push([m.name, predictDataset(m.predictor, testDs, po)]);
        }
        const K = memberLogits[0][1].length / Math.max(1, test.length);
        logits = averageProbabilities(memberLogits.map(([, z]) => z), K);
      } else {
        logits = predictDataset(model, testDs, po);
      }
    } finally {
      await model.close?.();
    }
    labels ??= model.labels ?? [...ds.classes];
    const K = labels.length;
    if (logits.length !== test.length * K) throw new Error(`fold ${f}: the trained model gives ${logits.length / Math.max(1, test.length)} outputs per image, but there are ${K} labels (${labels.join(', ')})`);
    const map = mapClasses(ds, labels);
    const targets = Int32Array.from(testDs.labels, (y) => map[y]);
    // the candidates: the outputs the fold's training images have (or all), decided without the test fold
    const trainedClasses = [...new Set(Array.from(trainDs.labels, (y) => map[y]))].filter((c) => c >= 0).sort((a, b) => a - b);
    const candidates = trainedOnly ? trainedClasses : labels.map((_, c) => c);
    const restricted = restrictToCandidates(logits, K, trainedClasses);
    const rRestricted = evaluateLogits(restricted, targets, labels), rAll = evaluateLogits(logits, targets, labels);
    const r = trainedOnly ? rRestricted : rAll;
    pooledAll ??= new Float32Array(n * K);
    pooledRestricted ??= new Float32Array(n * K);
    pooledTargets ??= new Int32Array(n);
    test.forEach((idx, j) => {
      pooledAll!.set(logits.subarray(j * K, (j + 1) * K), idx * K);
      pooledRestricted!.set(restricted.subarray(j * K, (j + 1) * K), idx * K);
      pooledTargets![idx] = targets[j];
    });
    const members = memberLogits.map(([name, raw]) => {
      if (raw.length !== test.length * K) throw new Error(`fold ${f}: member ${name} gives ${raw.length / Math.max(1, test.length)} outputs per image, expected ${K}`);
      const z = restrictToCandidates(raw, K, candidates);
      if (!memberPooled.has(name)) memberPooled.set(name, new Float32Array(n * K));
      test.forEach((idx, j) => memberPooled.get(name)!.set(z.subarray(j * K, (j + 1) * K), idx * K));
      const e = evaluateLogits(z, targets, labels!);
      return { name, accuracy: e.accuracy, macroF1: e.macroF1 };
    });
    const fr: FoldResult = {
      fold: f, trainSize: train.length, testSize: test.length, accuracy: r.accuracy, macroF1: r.macroF1,
      subjects: ds.subjects ? [...new Set(Array.from(test, (i) => ds.subjects![i]))].sort() : [],
      testIndices: Array.from(test), confusion: r.confusion, ...(members.length ? { members } : {}),
      trainedClasses, trainedClassesAccuracy: rRestricted.accuracy, allOutputsAccuracy: rAll.accuracy,
    };
    results.push(fr);
    o.onFold?.(fr);
  }
  const pooledR = evaluateLogits(pooledRestricted!, pooledTargets!, labels!), pooledA = evaluateLogits(pooledAll!, pooledTargets!, labels!);
  const pooled = trainedOnly ? pooledR : pooledA;
  return {
    protocol: {
      folds: k, subjectIndependent, stratified: !subjectIndependent, seed, images: n,
      subjects: ds.subjects ? new Set(ds.subjects).size : undefined,
    },
    folds: results,
    accuracy: meanStd(results.map((r) => r.accuracy)),
    macroF1: meanStd(results.map((r) => r.macroF1)),
    pooled,
    labels: labels!,
    trainedClassesOnly: trainedOnly,
    trainedClasses: { accuracy: meanStd(results.map((r) => r.trainedClassesAccuracy)), pooledAccuracy: pooledR.accuracy },
    allOutputs: { accuracy: meanStd(results.map((r) => r.allOutputsAccuracy)), pooledAccuracy: pooledA.accuracy },
    ...(memberPooled.size ? {
      members: [...memberPooled].map(([name, z]) => {
        const of = (k: 'accuracy' | 'macroF1') => meanStd(results.map((r) => r.members!.find((m) => m.name === name)![k]));
        return { name, accuracy: of('accuracy'), macroF1: of('macroF1'), pooled: evaluateLogits(z, pooledTargets!, labels!) };
      }),
    } : {}),
  };
}
