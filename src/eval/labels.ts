/**
 * Matching a model's outputs to a dataset's classes, reading the model's label and temperature metadata
 * (a temperature per test-time augmentation), and turning logits into an EvalResult. Pure (no I/O), shared
 * by evaluateModel and crossValidate.
 */
import type { Dataset } from '../data/dataset.js';
import { canonicalLabel, FER_LABELS } from '../data/labels.js';
import type { Tta } from '../data/tta.js';
import { wilsonInterval } from './interval.js';
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

/**
 * The calibrated softmax temperature for scoring with test-time augmentation `tta` (default 1).
 *
 * Averaging the logits of several views of a face (flip, ten-crop) shrinks them, so their best temperature
 * differs from one view's: `ferkit calibrate --tta flip` fits a temperature per augmentation and records it
 * in metadata `ttaCalibration` (a JSON object keyed by the augmentation). Metadata `temperature` is the
 * single view's, and the fallback for an augmentation that was not calibrated.
 */
export function modelTemperature(metadata: Record<string, string>, tta: Tta = 'none'): number {
  if (tta !== 'none' && metadata.ttaCalibration) {
    const t = ttaCalibrations(metadata)[tta]?.temperature;
    if (t !== undefined) {
      if (!(typeof t === 'number' && t > 0 && Number.isFinite(t))) throw new Error(`the model's ${tta} temperature (metadata ttaCalibration) '${t}' is not a positive number`);
      return t;
    }
  }
  const raw = metadata.temperature;
  if (raw === undefined || raw === '') return 1;
  const t = Number(raw);
  if (!(t > 0 && Number.isFinite(t))) throw new Error(`the model's temperature metadata '${raw}' is not a positive number`);
  return t;
}

/** What `ferkit calibrate` records of one fit: the temperature, the data it was fitted on, and NLL/ECE before and after. */
export interface CalibrationRecord {
  temperature: number;
  data?: string;
  split?: string | null;
  n?: number;
  before?: { nll: number; ece: number };
  after?: { nll: number; ece: number };
  /** for an augmentation: the NLL and ECE it had at the single view's temperature, before its own was fitted */
  singleViewTemperature?: { temperature: number; nll: number; ece: number };
}

/** Metadata `ttaCalibration`: the calibration record of each test-time augmentation fitted on its own ({} when none). */
export function ttaCalibrations(metadata: Record<string, string>): Partial<Record<Tta, CalibrationRecord>> {
  const raw = metadata.ttaCalibration;
  if (!raw) return {};
  let v: unknown;
  try { v = JSON.parse(raw); } catch { throw new Error(`the model's ttaCalibration metadata is not JSON: '${raw.slice(0, 80)}'`); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('the model\'s ttaCalibration metadata is not a JSON object keyed by augmentation');
  return v as Partial<Record<Tta, CalibrationRecord>>;
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
  const correct = Uint8Array.from(m.predicted, (p, i) => (p === targets[i] ? 1 : 0));
  const perClass: EvalResult['perClass'] = {};
  labels.forEach((l, k) => { perClass[l] = m.perClass[k]; });
  return {
    n: m.n, accuracy: m.accuracy, accuracyInterval: wilsonInterval(m.confusion.reduce((a, row, k) => a + row[k], 0), m.n), macroF1: m.macroF1, ece: m.ece, nll: m.nll, perClass,
    confusion: m.confusion, labels: [...labels], temperature, reliability: m.reliability, correct,
  };
}

