import type { ClassMetrics, ReliabilityBin } from './metrics.js';

/** What evaluateModel returns (and what the eval command prints and reports). */
export interface EvalResult {
  /** images evaluated */
  n: number;
  accuracy: number;
  /** 95% Wilson score interval of the accuracy over these n images: how well it is known */
  accuracyInterval: [number, number];
  /** mean F1 over the classes with support > 0 */
  macroF1: number;
  /** expected calibration error, 15 equal-width bins, with `temperature` applied */
  ece: number;
  /** mean negative log-likelihood (natural log), with `temperature` applied */
  nll: number;
  perClass: { [label: string]: ClassMetrics };
  /** rows = true, columns = predicted, both in the order of `labels` */
  confusion: number[][];
  /** the model's class names, in output order */
  labels: string[];
  /** the softmax temperature from the model's metadata (1 when it has none) */
  temperature: number;
  /** per-bin accuracy and confidence behind `ece` (for the reliability diagram) */
  reliability: ReliabilityBin[];
  /** per image, in the dataset's order: 1 where the top class is the label (what a paired comparison of two models needs) */
  correct: Uint8Array;
}
