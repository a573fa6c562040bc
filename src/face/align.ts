/**
 * Face box + eye keypoints -> FER2013-style grayscale crop (default 48x48).
 *
 * One inverse affine map per output pixel: rotate so the eye line is horizontal, centre on the face box
 * (shifted along the face's own vertical axis), scale so the crop side is `margin` times the box side,
 * sample bilinearly (edge pixels are repeated outside the image: a black border is a feature FER2013 faces
 * never have), then BT.601 luma. Pure TypeScript: no sharp, no Node APIs, so it runs in a browser too.
 *
 * Framing (DEFAULT_ALIGN_MARGIN, DEFAULT_ALIGN_OFFSET_Y) was measured by running BlazeFace itself on
 * FER2013: 105 training images (15 per class), each upscaled 4x to 192 px and padded (edge pixels copied)
 * to 384 px so the face is mid-frame and in the front model's precise range; BlazeFace found the face in
 * 98. The FER2013 frame side over the box side had median 1.18 (quartiles 1.06 and 1.34), and the frame
 * centre sat 0.09 box sides ABOVE the box centre (quartiles 0.03 and 0.13), horizontally centred (0.00):
 * BlazeFace's box runs from mid-forehead to the chin, FER2013 crops also keep the top of the forehead.
 * So the default crop is 1.2 box sides, moved up by 0.09 box sides along the face's vertical axis.
 *
 * Downscaling (a 250 px face to 48 px) supersamples: n x n bilinear taps per output pixel, n = the scale
 * rounded up (max 4), so hair and skin texture do not alias into noise the FER model never saw.
 */
import type { FaceBox, RgbImage } from './types.js';
import { checkRgbImage } from './types.js';

export const DEFAULT_ALIGN_SIZE = 48;
/** crop side / BlazeFace box side (measured on FER2013, see the file comment) */
export const DEFAULT_ALIGN_MARGIN = 1.2;
/** crop centre shift down the face, as a fraction of the box side (measured on FER2013) */
export const DEFAULT_ALIGN_OFFSET_Y = -0.09;

export interface AlignOptions {
  /** output side in pixels (default 48, FER2013's) */
  size?: number;
  /** crop side as a multiple of the face box side (default DEFAULT_ALIGN_MARGIN) */
  margin?: number;
  /** crop centre moved down the face by this fraction of the box side (default DEFAULT_ALIGN_OFFSET_Y) */
  offsetY?: number;
  /** rotate so the eyes are level (default true) */
  rotate?: boolean;
}

/**
 * The map from output pixel (u, v) (pixel centres at integer + 0.5) to image coordinates:
 * x = a*u + b*v + tx, y = c*u + d*v + ty.
 */
export interface AlignTransform {
  a: number; b: number; c: number; d: number; tx: number; ty: number;
  /** rotation applied, radians (angle of the eye line in the image) */
  angle: number;
  /** crop side in image pixels */
  side: number;
  /** crop centre in image pixels */
  cx: number;
  cy: number;
}

export function alignmentTransform(face: FaceBox, opts: AlignOptions = {}): AlignTransform {
  const size = opts.size ?? DEFAULT_ALIGN_SIZE;
  const margin = opts.margin ?? DEFAULT_ALIGN_MARGIN;
  const offsetY = opts.offsetY ?? DEFAULT_ALIGN_OFFSET_Y;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`alignFace: size must be a positive integer, got ${size}`);
  if (!(margin > 0)) throw new RangeError(`alignFace: margin must be > 0, got ${margin}`);
  if (!(face.width > 0 && face.height > 0)) throw new RangeError(`alignFace: face box must have a positive size, got ${face.width}x${face.height}`);
  let angle = 0;
  if (opts.rotate ?? true) {
    const re = face.keypoints.find((k) => k.name === 'rightEye'), le = face.keypoints.find((k) => k.name === 'leftEye');
    // rightEye is the subject's right = image left, so right -> left eye points along +x in an upright face.
    if (re && le && (re.x !== le.x || re.y !== le.y)) angle = Math.atan2(le.y - re.y, le.x - re.x);
  }
  const boxSide = (face.width + face.height) / 2;
  const side = boxSide * margin;
  const cos = Math.cos(angle), sin = Math.sin(angle);
  // Box centre, moved along the face's "down" direction, which is (-sin, cos) in the image.
  const cx = face.x + face.width / 2 - sin * offsetY * boxSide;
  const cy = face.y + face.height / 2 + cos * offsetY * boxSide;
  const s = side / size;
  // (u, v) -> offset from the crop centre in the crop frame ((u - size/2) * s, (v - size/2) * s), rotated by angle.
  const a = cos * s, b = -sin * s, c = sin * s, d = cos * s;
  const h = size / 2;
  return { a, b, c, d, tx: cx - a * h - b * h, ty: cy - c * h - d * h, angle, side, cx, cy };
}

/** The aligned face as size*size gray bytes, row-major. */
export function alignFace(image: RgbImage, face: FaceBox, opts: AlignOptions = {}): Uint8Array {
  checkRgbImage(image, 'alignFace');
  const size = opts.size ?? DEFAULT_ALIGN_SIZE;
  const t = alignmentTransform(face, opts);
  const { data, width: W, height: H } = image;
  const out = new Uint8Array(size * size);
  const n = Math.min(4, Math.max(1, Math.ceil(t.side / size - 1e-6)));
  const inv = 1 / (n * n);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const vv = v + (j + 0.5) / n;
        for (let i = 0; i < n; i++) {
          const uu = u + (i + 0.5) / n;
          // Image coordinates of the tap, then -0.5 because pixel centres are at integer + 0.5.
          sum += sample(data, W, H, t.a * uu + t.b * vv + t.tx - 0.5, t.c * uu + t.d * vv + t.ty - 0.5);
        }
      }
      const l = sum * inv;
      out[v * size + u] = l <= 0 ? 0 : l >= 255 ? 255 : Math.round(l);
    }
  }
  return out;
}

/** Bilinear luma at (x, y) in pixel-centre coordinates, edges repeated outside the image. */
function sample(data: Uint8Array, W: number, H: number, x: number, y: number): number {
  const xc = x < 0 ? 0 : x > W - 1 ? W - 1 : x;
  const yc = y < 0 ? 0 : y > H - 1 ? H - 1 : y;
  const x0 = Math.floor(xc), y0 = Math.floor(yc);
  const x1 = x0 + 1 < W ? x0 + 1 : x0, y1 = y0 + 1 < H ? y0 + 1 : y0;
  const fx = xc - x0, fy = yc - y0;
  const l00 = luma(data, (y0 * W + x0) * 3), l01 = luma(data, (y0 * W + x1) * 3);
  const l10 = luma(data, (y1 * W + x0) * 3), l11 = luma(data, (y1 * W + x1) * 3);
  return (l00 * (1 - fx) + l01 * fx) * (1 - fy) + (l10 * (1 - fx) + l11 * fx) * fy;
}

/** BT.601 luma (the weights FER2013's grayscale and most JPEG decoders use). Linear, so it commutes with bilinear. */
function luma(px: Uint8Array, i: number): number {
  return 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
}
