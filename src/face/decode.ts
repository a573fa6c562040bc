/**
 * Raw BlazeFace outputs -> face boxes in original-image pixels.
 *
 * Per anchor the model gives one score logit and 16 regressors: (dx, dy, w, h) of the box, then (x, y) of
 * six keypoints, all in MODEL-INPUT pixels, positions relative to the anchor centre (this is MediaPipe's
 * TensorsToDetections with x_scale = y_scale = w_scale = h_scale = input size and unit-size anchors;
 * keijiro's Postprocess1Kernel.hlsl does the same, plus a y flip for Unity's bottom-up textures that we
 * do not need: our tensors are top-down).
 */
import { KEYPOINT_NAMES, type FaceBox } from './types.js';

/**
 * How the model input was made from the image: modelPixel = imagePixel * scale + offset, per axis.
 * A letterbox (aspect-preserving resize plus centred padding) of a region of the image is such a map.
 */
export interface InputTransform {
  scale: number;
  offsetX: number;
  offsetY: number;
}

/**
 * The letterbox that fits the region (x, y, width, height) of an image into a size x size square, keeping
 * the aspect ratio and centring it (the padding is split evenly, as MediaPipe's letterbox does).
 */
export function letterbox(region: { x: number; y: number; width: number; height: number }, size: number): InputTransform {
  const scale = size / Math.max(region.width, region.height);
  return {
    scale,
    offsetX: (size - region.width * scale) / 2 - region.x * scale,
    offsetY: (size - region.height * scale) / 2 - region.y * scale,
  };
}

/** MediaPipe clips logits to +-100 before the sigmoid, so exp() can never overflow to Infinity/NaN. */
export const SCORE_CLIP = 100;

export function sigmoid(logit: number): number {
  const z = logit > SCORE_CLIP ? SCORE_CLIP : logit < -SCORE_CLIP ? -SCORE_CLIP : logit;
  return 1 / (1 + Math.exp(-z));
}

/** The logit whose sigmoid is p: comparing logits skips exp() for the ~99% of anchors below threshold. */
function logit(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  return Math.log(p / (1 - p));
}

export interface DecodeOptions {
  /** side of the square model input (128 front, 256 back) */
  inputSize: number;
  /** keep anchors with sigmoid(score) >= minScore */
  minScore: number;
  /** model-input <- image map used to build the input; identity (scale 1, offsets 0) if omitted */
  transform?: InputTransform;
}

/**
 * Decodes every anchor scoring at least `minScore` into a FaceBox in image pixels (no overlap removal:
 * neighbouring anchors fire for the same face, see nms.ts).
 *
 * @param scores one logit per anchor (both output grids concatenated in anchor order)
 * @param boxes 16 regressors per anchor, same order
 * @param anchors anchor centres from blazeFaceAnchors, normalised to the model input
 */
export function decodeBlazeFace(scores: Float32Array, boxes: Float32Array, anchors: Float32Array, opts: DecodeOptions): FaceBox[] {
  const n = anchors.length / 2;
  if (scores.length !== n || boxes.length !== n * 16) {
    throw new RangeError(`decodeBlazeFace: ${n} anchors need ${n} scores and ${n * 16} regressors, got ${scores.length} and ${boxes.length}`);
  }
  const size = opts.inputSize;
  const t = opts.transform ?? { scale: 1, offsetX: 0, offsetY: 0 };
  const inv = 1 / t.scale;
  const minLogit = logit(opts.minScore);
  const out: FaceBox[] = [];
  for (let i = 0; i < n; i++) {
    if (!(scores[i] >= minLogit)) continue; // also drops NaN
    const ax = anchors[2 * i] * size, ay = anchors[2 * i + 1] * size;
    const r = i * 16;
    const cx = ax + boxes[r], cy = ay + boxes[r + 1], w = boxes[r + 2], h = boxes[r + 3];
    const keypoints = KEYPOINT_NAMES.map((name, k) => ({
      name,
      x: (ax + boxes[r + 4 + 2 * k] - t.offsetX) * inv,
      y: (ay + boxes[r + 5 + 2 * k] - t.offsetY) * inv,
    }));
    out.push({
      x: (cx - w / 2 - t.offsetX) * inv,
      y: (cy - h / 2 - t.offsetY) * inv,
      width: w * inv,
      height: h * inv,
      score: sigmoid(scores[i]),
      keypoints,
    });
  }
  return out;
}
