/**
 * Which BlazeFace passes to run on an image and which of their detections to keep: pure code, shared by
 * the Node detector (blazeface.ts, onnxruntime-node) and the browser one (src/web, onnxruntime-web).
 */
import { BACK_ANCHORS, FRONT_ANCHORS, type AnchorSpec } from './anchors.js';
import type { Region } from './preprocess.js';
import { decodeBlazeFace, letterbox } from './decode.js';
import type { FaceBox, RgbImage } from './types.js';

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

export const BLAZEFACE_SPECS: Record<BlazeFaceModel, AnchorSpec> = { front: FRONT_ANCHORS, back: BACK_ANCHORS };

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
    const side = BLAZEFACE_SPECS[p.model].inputSize;
    best = Math.min(best, (MIN_FACE_INPUT_PX[p.model] * Math.max(p.region.width, p.region.height)) / side);
  }
  return best;
}

export function keepDetection(f: FaceBox, pass: DetectionPass, image: RgbImage): boolean {
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

/** BlazeFace's four outputs: logits of the fine / coarse anchor grid, then their regressors. */
export const BLAZEFACE_OUTPUTS = ['Identity:0', 'Identity_1:0', 'Identity_2:0', 'Identity_3:0'] as const;

/**
 * One pass's detections in image pixels (before NMS): joins the two grids' outputs, decodes them against
 * the anchors and keeps what the pass is trusted for. `output(name)` returns a model output's data.
 */
export function decodePass(output: (name: string) => Float32Array, anchors: Float32Array, pass: DetectionPass, minScore: number, image: RgbImage): FaceBox[] {
  const size = BLAZEFACE_SPECS[pass.model].inputSize;
  const [s1, s2, b1, b2] = BLAZEFACE_OUTPUTS.map(output);
  const scores = new Float32Array(s1.length + s2.length);
  scores.set(s1); scores.set(s2, s1.length);
  const boxes = new Float32Array(b1.length + b2.length);
  boxes.set(b1); boxes.set(b2, b1.length);
  const faces = decodeBlazeFace(scores, boxes, anchors, { inputSize: size, minScore: Math.max(minScore, pass.minScoreFloor ?? 0), transform: letterbox(pass.region, size) });
  return faces.filter((f) => keepDetection(f, pass, image));
}
