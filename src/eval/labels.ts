/**
 * Matching a model's outputs to a dataset's classes, reading the model's label and temperature metadata,
 * and turning logits into an EvalResult. Pure (no I/O), shared by evaluateModel and crossValidate.
 */
import type { Dataset } from '../data/dataset.js';
import { canonicalLabel, FER_LABELS } from '../data/labels.js';
import { computeMetrics, softmax } from './metrics.js';
import type { EvalResult } from './types.js';

/** Name used to compare class names: the canonical expression label when there is one, else lower case. */
export const classKey = (name: string): string => canonicalLabel(name) ?? name.trim().toLowerCase();

/**
 * The model's class names in output order, from metadata `labels` (a JSON array; a comma-separated list is
 * accepted too). Without it the model is taken to have FER2013's 7 classes.
 */
export function modelLabels(metadata: Record<string, string>, classes: number): string[] {
  let labels: string[];
  const raw = metadata.labels;
  if (raw === undefined || raw === '') labels = [...FER_LABELS];
  else {
    try {
      const v = JSON.parse(raw);
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error('not an array of strings');
      labels = v;
    } catch {
      labels = raw.split(',').map((s) => s.trim());
    }
  }
  if (labels.length !== classes) {
    throw new Error(`the model has ${classes} outputs but its labels are ${labels.length} (${labels.join(', ')})${raw ? '' : ' (no labels metadata: assumed FER2013\'s 7)'}`);
  }
  const seen = new Set<string>();
  for (const l of labels) { if (seen.has(classKey(l))) throw new Error(`the model's labels name ${l} twice`); seen.add(classKey(l)); }
  return labels;
}

/** The calibrated softmax temperature from metadata `temperature` (default 1). */
export function modelTemperature(metadata: Record<string, string>): number {
  const raw = metadata.temperature;
  if (raw === undefined || raw === '') return 1;
  const t = Number(raw);
  if (!(t > 0 && Number.isFinite(t))) throw new Error(`the model's temperature metadata '${raw}' is not a positive number`);
  return t;
}

/**
 * For each dataset class, its index among the model's labels (-1 for classes with no images that the model
 * lacks). Throws, listing them, if a class that has images is not among the model's labels.
 */
export function mapClasses(ds: Pick<Dataset, 'classes' | 'labels'>, labels: readonly string[]): number[] {
  const counts = new Array<number>(ds.classes.length).fill(0);
  for (let i = 0; i < ds.labels.length; i++) counts[ds.labels[i]]++;
  const modelKeys = labels.map((l) => classKey(l));
  const map = ds.classes.map((c) => modelKeys.indexOf(classKey(c)));
  const missing = ds.classes.filter((c, i) => map[i] < 0 && counts[i] > 0);
  if (missing.length) {
    throw new Error(`the dataset has classes the model does not predict: ${missing.map((c) => `${c} (${counts[ds.classes.indexOf(c)]} images)`).join(', ')}; the model's labels are ${labels.join(', ')}`);
  }
  return map;
}

/** Metrics of n x K logits against labels (indices into `labels`), with softmax(logits / temperature). */
export function evaluateLogits(logits: ArrayLike<number>, targets: ArrayLike<number>, labels: readonly string[], temperature = 1): EvalResult {
  const K = labels.length;
  const m = computeMetrics(targets, softmax(logits, K, temperature), K);
  const perClass: EvalResult['perClass'] = {};
  labels.forEach((l, k) => { perClass[l] = m.perClass[k]; });
  return {
    n: m.n, accuracy: m.accuracy, macroF1: m.macroF1, ece: m.ece, nll: m.nll, perClass,
    confusion: m.confusion, labels: [...labels], temperature, reliability: m.reliability,
  };
}

