/**
 * Expression classifiers over aligned 48x48 grayscale faces, behind one interface, on two runtimes:
 * ferkit's own engine (BatchNorm folded) or onnxruntime on the model's ONNX export. Both return
 * calibrated probabilities (softmax of logits / the model's temperature), optionally of the logits
 * averaged over each face and its mirror image (`tta: 'flip'`, as `ferkit eval --tta flip` scores, at the
 * temperature calibrated for flip when the model file records one).
 */
import * as ort from 'onnxruntime-node';
import { createInferenceSession, exportOnnx, inferShapes, type Session } from '../engine/index.js';
import { loadModel, spawnNodeWorker } from '../engine/node/index.js';
import { resolveModelPath } from '../model/registry.js';
import { modelLabels, modelTemperature } from '../eval/labels.js';
import { calibratedSoftmax, CLASSIFIER_TTAS, fillFaceViews, mergeFaceViews, viewsOf, type ClassifierTta } from './face-views.js';

export { CLASSIFIER_TTAS, type ClassifierTta };
export type ClassifierBackend = 'engine' | 'onnx';
export const CLASSIFIER_BACKENDS: readonly ClassifierBackend[] = ['onnx', 'engine'];

export interface Classifier {
  readonly labels: string[];
  readonly size: number;
  readonly temperature: number;
  readonly backend: ClassifierBackend;
  readonly tta: ClassifierTta;
  /** probabilities for `count` faces of size*size gray pixels each, concatenated: count x labels.length */
  classify(faces: Uint8Array, count: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface ClassifierOptions {
  /** bundled model name ('tiny', 'base') or a model file path (default 'tiny') */
  model?: string;
  backend?: ClassifierBackend;
  /** compute threads: engine workers or onnxruntime intra-op threads (default 1: per-face work is small, and a
   * pipeline has other stages to run; 2 lowers single-face latency on an otherwise idle 2-core machine) */
  threads?: number;
  /** 'flip': average the logits of each face and its mirror image (default 'none'). On FER2013 PublicTest it
   * adds 0.3 (tiny) to 0.9 (base) points of accuracy for twice the classification time (docs/recipe-search.md) */
  tta?: ClassifierTta;
}

const MAX_BATCH = 64;

export async function createClassifier(o: ClassifierOptions = {}): Promise<Classifier> {
  if (o.threads !== undefined && !(Number.isInteger(o.threads) && o.threads >= 1)) {
    throw new RangeError(`createClassifier: threads must be a positive integer, got ${o.threads}`);
  }
  const tta = o.tta ?? 'none';
  if (!CLASSIFIER_TTAS.includes(tta)) throw new RangeError(`createClassifier: tta must be one of ${CLASSIFIER_TTAS.join(', ')}, got '${tta}'`);
  const views = viewsOf(tta);
  const path = resolveModelPath(o.model ?? 'tiny');
  const m = loadModel(path);
  const shapes = inferShapes(m.graph);
  const [, size] = shapes[0];
  const K = shapes[m.graph.output][0];
  const labels = modelLabels(m.metadata, K);
  // the temperature calibrated for this tta when the model records one (ferkit calibrate --tta flip)
  const temperature = modelTemperature(m.metadata, tta);
  // onnxruntime's native kernels classify a face 2-3x faster than the engine (bench:pipeline measures it)
  const backend = o.backend ?? 'onnx';
  const px = size * size;
  const input = new Float32Array(MAX_BATCH * px);
  const check = (faces: Uint8Array, count: number) => {
    if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`classify: count must be a non-negative integer, got ${count}`);
    if (faces.length < count * px) throw new RangeError(`classify: ${count} faces of ${size}x${size} need ${count * px} bytes, got ${faces.length}`);
  };
  /** classify() over batches of at most MAX_BATCH inputs (faces, and their mirrors with flip), given a
   * runtime's logits for `n` inputs */
  const batched = (logitsOf: (n: number) => Float32Array | Promise<Float32Array>) => async (faces: Uint8Array, count: number) => {
    check(faces, count);
    const probs = new Float32Array(count * K);
    const step = MAX_BATCH / views;
    for (let done = 0; done < count; done += step) {
      const n = Math.min(step, count - done);
      const inputs = fillFaceViews(faces, done, n, size, tta, input);
      probs.set(calibratedSoftmax(mergeFaceViews(await logitsOf(inputs), n, K, tta), n, K, temperature), done * K);
    }
    return probs;
  };
  if (backend === 'engine') {
    const threads = Math.max(1, o.threads ?? 1);
    const s: Session = await createInferenceSession({ graph: m.graph, weights: m.weights, threads,
      spawn: threads > 1 ? spawnNodeWorker : undefined, inferBatches: [views, 8 * views, MAX_BATCH] });
    return { labels, size, temperature, backend, tta, classify: batched((n) => s.predict(input, n)), close: () => s.close() };
  }
  const bytes = exportOnnx(m.graph, m.weights, { temperature: 1 });
  const sess = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: Math.max(1, o.threads ?? 1) });
  return {
    labels, size, temperature, backend, tta,
    // a view, not a copy, of the staging buffer; and only `logits` is fetched, so onnxruntime skips the
    // exported softmax head (the temperature is applied here, in calibratedSoftmax)
    classify: batched(async (n) => (await sess.run({ input: new ort.Tensor('float32', input.subarray(0, n * px), [n, 1, size, size]) }, ['logits'])).logits.data as Float32Array),
    close: async () => { await sess.release(); },
  };
}
