/**
 * Evaluate a saved model on a dataset: load both, map the dataset's classes onto the model's outputs by
 * name, predict (optionally with flip or ten-crop TTA), and compute the metrics with the model's calibrated
 * temperature for that TTA applied.
 */
import type { Graph } from '../engine/graph.js';
import { inferShapes } from '../engine/graph.js';
import type { ModelData } from '../engine/model-file.js';
import { createInferenceSession } from '../engine/session.js';
import { defaultThreads, loadModel, spawnNodeWorker } from '../engine/node/index.js';
import type { Dataset } from '../data/dataset.js';
import { canonicalLabel, CONTEMPT } from '../data/labels.js';
import { loadDataset, type DatasetFormat, type LoadDatasetOptions } from '../data/readers/index.js';
import { loadDatasetCached } from '../data/cache.js';
import { classKey as key, evaluateLogits, mapClasses, modelLabels, modelTemperature } from './labels.js';
import { averageProbabilities, predictDataset } from './predict.js';
import { TTA_VIEWS, type Tta } from '../data/tta.js';
import type { EvalResult } from './types.js';

export type { EvalResult } from './types.js';
export { evaluateLogits, mapClasses, modelLabels, modelTemperature, ttaCalibrations } from './labels.js';

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
  /** decoded datasets to share with other evaluations of the same command (see DatasetMemo) */
  datasets?: DatasetMemo;
}

/** One model's evaluation; `model` is the file already in memory (then `modelPath` only names it). */
export interface EvaluateModelOptions extends EvaluateOptions {
  model?: ModelData;
}

/**
 * Decoded datasets shared by the evaluations of one command (eval --compare scores two models on the same
 * images, bn-stats one model before and after), so the images are decoded once: keyed by everything the
 * decoding depends on (the data, the model's input size, whether it keeps contempt or custom classes), so a
 * model with another input size gets its own; each model maps the shared images onto its labels.
 */
export type DatasetMemo = Map<string, Promise<Dataset>>;

export async function evaluateModel(o: EvaluateModelOptions): Promise<EvalResult> {
  const r = await modelLogits(o);
  return evaluateLogits(r.logits, r.targets, r.labels, r.temperature);
}

/**
 * Several models as one: each predicts the dataset, its probabilities at its own calibrated temperature
 * are averaged, and the metrics are computed on the average (temperature 1: the average is already a
 * probability). The models must share labels (in order) and input size, as members fine-tuned from the
 * same bundled models do.
 */
export async function evaluateEnsemble(o: Omit<EvaluateOptions, 'modelPath'> & { modelPaths: string[] }): Promise<EvalResult & { members: EvalResult[] }> {
  if (o.modelPaths.length < 1) throw new RangeError('evaluateEnsemble: at least one model is needed');
  const models = o.modelPaths.map((p) => { const model = loadModel(p); return { path: p, model, ...describeModel(model, o.tta) }; });
  const first = models[0];
  for (const d of models.slice(1)) {
    if (d.labels.join() !== first.labels.join()) throw new Error(`${d.path} has labels [${d.labels}], ${first.path} [${first.labels}]: an ensemble needs the same labels in the same order`);
    if (d.size !== first.size) throw new Error(`${d.path} takes ${d.size}x${d.size} inputs, ${first.path} ${first.size}x${first.size}`);
  }
  const { ds, targets } = await loadEvalData(o, first.labels, first.size);
  const members: EvalResult[] = [], logits: Float32Array[] = [];
  for (const [i, d] of models.entries()) {
    logits.push(await predictWithModel(d.model, ds, { ...o, onProgress: o.onProgress && ((done, total) => o.onProgress!(i * total + done, models.length * total)) }));
    members.push(evaluateLogits(logits[i], targets, d.labels, d.temperature));
  }
  // the average is already a probability, so it is scored at temperature 1
  const average = averageProbabilities(logits, first.K, models.map((d) => d.temperature));
  return { ...evaluateLogits(average, targets, first.labels, 1), members };
}

/** The model's logits on a dataset, the targets mapped onto the model's labels, and the model itself. */
export async function modelLogits(o: EvaluateModelOptions) {
  const tta = o.tta ?? 'none';
  const r = await modelLogitsPerTta(o, [tta]);
  return { logits: r.logits.get(tta)!, targets: r.targets, labels: r.labels, temperature: modelTemperature(r.model.metadata, tta), model: r.model, K: r.K };
}

/**
 * The model's logits on a dataset with each of several test-time augmentations, the model and the dataset
 * loaded once for all of them (calibrate fits a temperature per augmentation). `onProgress` counts images
 * over all the augmentations together.
 */
export async function modelLogitsPerTta(o: Omit<EvaluateModelOptions, 'tta'>, ttas: readonly Tta[]) {
  const model = o.model ?? loadModel(o.modelPath);
  const { labels, size, K } = describeModel(model);
  const { ds, targets } = await loadEvalData(o, labels, size);
  const logits = new Map<Tta, Float32Array>();
  for (const [i, tta] of ttas.entries()) {
    const onProgress = o.onProgress && ((done: number, total: number) => o.onProgress!(i * total + done, ttas.length * total));
    logits.set(tta, await predictWithModel(model, ds, { ...o, tta, onProgress }));
  }
  return { logits, targets, labels, model, K };
}

/** What evaluation needs to know of a model file: its output labels, temperature (for scoring with `tta`) and input side. */
function describeModel(model: ModelData, tta: Tta = 'none') {
  const K = inferShapes(model.graph)[model.graph.output][0];
  return { K, labels: modelLabels(model.metadata, K), temperature: modelTemperature(model.metadata, tta), size: graphInputSize(model.graph) };
}

/** The dataset at the model's input size, with its classes mapped onto the model's labels by name. */
async function loadEvalData(o: Omit<EvaluateOptions, 'modelPath'>, labels: string[], size: number): Promise<{ ds: Dataset; targets: Int32Array }> {
  const customs = labels.some((l) => canonicalLabel(l) === undefined);
  const dataOpts: LoadDatasetOptions = {
    format: o.data.format, path: o.data.path, split: o.data.split, size,
    keepContempt: labels.some((l) => key(l) === CONTEMPT), allowCustomClasses: customs,
    onProgress: o.onLoadProgress, onWarning: o.onWarning,
  };
  const load = () => (o.cacheDir ? loadDatasetCached(dataOpts, o.cacheDir) : loadDataset(dataOpts));
  const ds = await (o.datasets ? memoized(o.datasets, [dataOpts.format, dataOpts.path, dataOpts.split, size, dataOpts.keepContempt, customs], load) : load());
  if (ds.labels.length === 0) throw new Error(`no images found in ${o.data.path}${o.data.split ? ` (split ${o.data.split})` : ''}`);
  const map = mapClasses(ds, labels);
  return { ds, targets: Int32Array.from(ds.labels, (y) => map[y]) };
}

/** The memo's dataset for `key`, loaded on first use; a failed load is not kept, so it is tried again. */
function memoized(memo: DatasetMemo, key: unknown[], load: () => Promise<Dataset>): Promise<Dataset> {
  const k = JSON.stringify(key);
  let p = memo.get(k);
  if (!p) {
    p = load();
    memo.set(k, p);
    p.catch(() => { if (memo.get(k) === p) memo.delete(k); });
  }
  return p;
}

async function predictWithModel(model: ModelData, ds: Dataset, o: Omit<EvaluateOptions, 'modelPath'>): Promise<Float32Array> {
  const threads = Math.max(1, Math.floor(o.threads ?? defaultThreads()));
  // TTA sends several inputs per image (2 for flip, 10 for ten-crop): fewer images per call keep the
  // inference plan's memory about the same
  const tta = o.tta ?? 'none', views = TTA_VIEWS[tta];
  const batch = o.batch ?? { none: 64, flip: 32, tencrop: 16 }[tta];
  const session = await createInferenceSession({
    graph: model.graph, weights: model.weights, threads, spawn: threads > 1 ? spawnNodeWorker : undefined,
    inferBatches: [views, views * batch],
  });
  try {
    return predictDataset(session, ds, { tta, batch, onProgress: o.onProgress });
  } finally {
    await session.close();
  }
}
