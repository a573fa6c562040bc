/**
 * Evaluate a saved model on a dataset: load both, map the dataset's classes onto the model's outputs by
 * name, predict (optionally with ten-crop TTA), and compute the metrics with the model's calibrated
 * temperature applied.
 */
import type { Graph } from '../engine/graph.js';
import { inferShapes } from '../engine/graph.js';
import { createInferenceSession } from '../engine/session.js';
import { defaultThreads, loadModel, spawnNodeWorker } from '../engine/node/index.js';
import type { Dataset } from '../data/dataset.js';
import { canonicalLabel, CONTEMPT } from '../data/labels.js';
import { loadDataset, type DatasetFormat, type LoadDatasetOptions } from '../data/readers/index.js';
import { loadDatasetCached } from '../data/cache.js';
import { classKey as key, evaluateLogits, mapClasses, modelLabels, modelTemperature } from './labels.js';
import { predictDataset, type Tta } from './predict.js';
import type { EvalResult } from './types.js';

export type { EvalResult } from './types.js';
export { evaluateLogits, mapClasses, modelLabels, modelTemperature } from './labels.js';

/** Input side of a one-channel square-image graph. */
export function graphInputSize(graph: Graph): number {
  const input = graph.nodes.find((n) => n.op === 'input');
  if (!input || input.op !== 'input') throw new Error('the model graph has no input node');
  const [c, h, w] = input.shape;
  if (c !== 1 || h !== w) throw new Error(`the model takes ${c}x${h}x${w} inputs; ferkit evaluates one-channel square faces`);
  return h;
}

export interface EvaluateOptions {
  /** a model file (.safetensors) */
  modelPath: string;
  data: { format: DatasetFormat; path: string; split?: string };
  /** test-time augmentation (default 'none') */
  tta?: Tta;
  /** compute threads (default: all cores) */
  threads?: number;
  /** dataset cache folder; without it the dataset is decoded afresh */
  cacheDir?: string;
  /** images per inference call (default 64; 16 with ten-crop) */
  batch?: number;
  /** progress of the prediction, in images */
  onProgress?: (done: number, total: number) => void;
  /** progress of loading the dataset, in files */
  onLoadProgress?: (done: number, total: number) => void;
  /** where data-loading warnings go (default console.warn) */
  onWarning?: (message: string) => void;
}

export async function evaluateModel(o: EvaluateOptions): Promise<EvalResult> {
  const r = await modelLogits(o);
  return evaluateLogits(r.logits, r.targets, r.labels, r.temperature);
}

/** The model's logits on a dataset, the targets mapped onto the model's labels, and the model itself. */
export async function modelLogits(o: EvaluateOptions) {
  const model = loadModel(o.modelPath);
  const shapes = inferShapes(model.graph);
  const K = shapes[model.graph.output][0];
  const labels = modelLabels(model.metadata, K);
  const temperature = modelTemperature(model.metadata);
  const size = graphInputSize(model.graph);

  const customs = labels.some((l) => canonicalLabel(l) === undefined);
  const dataOpts: LoadDatasetOptions = {
    format: o.data.format, path: o.data.path, split: o.data.split, size,
    keepContempt: labels.some((l) => key(l) === CONTEMPT), allowCustomClasses: customs,
    onProgress: o.onLoadProgress, onWarning: o.onWarning,
  };
  const ds = o.cacheDir ? await loadDatasetCached(dataOpts, o.cacheDir) : await loadDataset(dataOpts);
  if (ds.labels.length === 0) throw new Error(`no images found in ${o.data.path}${o.data.split ? ` (split ${o.data.split})` : ''}`);
  const map = mapClasses(ds, labels);
  const targets = Int32Array.from(ds.labels, (y) => map[y]);

  const threads = Math.max(1, Math.floor(o.threads ?? defaultThreads()));
  // ten-crop sends 10 inputs per image: fewer images per call keep the inference plan's memory the same
  const batch = o.batch ?? (o.tta === 'tencrop' ? 16 : 64);
  const session = await createInferenceSession({
    graph: model.graph, weights: model.weights, threads, spawn: threads > 1 ? spawnNodeWorker : undefined,
    inferBatches: o.tta === 'tencrop' ? [10, 10 * batch] : [1, batch],
  });
  let logits: Float32Array;
  try {
    logits = predictDataset(session, ds, { tta: o.tta ?? 'none', batch, onProgress: o.onProgress });
  } finally {
    await session.close();
  }
  return { logits, targets, labels, temperature, model, K };
}
