/**
 * Overlap removal for face detections.
 *
 * Default: MediaPipe's WEIGHTED non-maximum suppression (what its face detection graphs use, with
 * min_suppression_threshold 0.3). Take the highest-scoring detection, collect every remaining one whose
 * IoU with it is at least the threshold, and replace the cluster by the score-weighted mean of their boxes
 * and keypoints, keeping the top score. BlazeFace fires on several neighbouring anchors per face, each a
 * slightly different estimate; averaging them is visibly steadier (less jitter across video frames, better
 * keypoints for alignment) than keeping the single best, at no extra cost. Plain ("hard") NMS is
 * available for comparison and for callers who want unmodified model boxes.
 *
 * IoU 0.3 (MediaPipe's value) is low on purpose: two real faces rarely overlap that much, while partial or
 * shifted duplicates of one face often overlap less than 0.5.
 */
import type { FaceBox } from './types.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Intersection over union of two axis-aligned boxes (0 when either is empty). */
export function iou(a: Rect, b: Rect): number {
  const ix = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const iy = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

export interface NmsOptions {
  /** detections with IoU >= this with a better one are merged/suppressed (default 0.3) */
  iouThreshold?: number;
  /** 'weighted' (default, MediaPipe) or 'hard' (keep only the best of each cluster) */
  mode?: 'weighted' | 'hard';
  /** stop after this many output faces (default unlimited) */
  maxFaces?: number;
}

export const DEFAULT_IOU_THRESHOLD = 0.3;

/** Removes overlapping duplicates; returns new FaceBox objects sorted by score, highest first. */
export function nonMaxSuppression(faces: readonly FaceBox[], opts: NmsOptions = {}): FaceBox[] {
  const thr = opts.iouThreshold ?? DEFAULT_IOU_THRESHOLD;
  const max = opts.maxFaces ?? Infinity;
  const weighted = (opts.mode ?? 'weighted') === 'weighted';
  let rest = [...faces].sort((a, b) => b.score - a.score);
  const out: FaceBox[] = [];
  while (rest.length > 0 && out.length < max) {
    const top = rest[0];
    const cluster: FaceBox[] = [];
    const keep: FaceBox[] = [];
    for (const f of rest) (f === top || iou(top, f) >= thr ? cluster : keep).push(f);
    rest = keep;
    out.push(weighted ? blend(cluster) : copy(top));
  }
  return out;
}

function copy(f: FaceBox): FaceBox {
  return { ...f, keypoints: f.keypoints.map((k) => ({ ...k })) };
}

/** Score-weighted mean of boxes (as corners) and keypoints; the score is the cluster's best. */
function blend(cluster: FaceBox[]): FaceBox {
  if (cluster.length === 1) return copy(cluster[0]);
  let sw = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  const kx = new Float64Array(cluster[0].keypoints.length), ky = new Float64Array(kx.length);
  for (const f of cluster) {
    const w = f.score;
    sw += w;
    x0 += w * f.x; y0 += w * f.y;
    x1 += w * (f.x + f.width); y1 += w * (f.y + f.height);
    f.keypoints.forEach((k, i) => { kx[i] += w * k.x; ky[i] += w * k.y; });
  }
  const top = cluster[0];
  if (!(sw > 0)) return copy(top); // all-zero scores: nothing to weight by
  return {
    x: x0 / sw,
    y: y0 / sw,
    width: (x1 - x0) / sw,
    height: (y1 - y0) / sw,
    score: top.score,
    keypoints: top.keypoints.map((k, i) => ({ name: k.name, x: kx[i] / sw, y: ky[i] / sw })),
  };
}
