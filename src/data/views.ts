/**
 * The inputs a test-time augmentation runs a model on, and how their answers become one answer per image.
 * One layout for every caller (eval's dataset prediction, Node's classifier and the browser's): an image's
 * views side by side, then the next image's ([image 0: view 0 .. V-1][image 1: view 0 .. V-1] ...), so an
 * image's answers are consecutive rows of the model's output whatever the augmentation, and one function
 * averages them. Browser-safe: no Node import.
 */
import { INPUT_LUT } from './normalize.js';
import { mirrorImages, tenCrop } from './augment.js';
import { TTA_VIEWS, type Tta } from './tta.js';

/** Ten-crop's default crop side: round(size * 11/12), i.e. 44 of 48. */
export function defaultCropSize(size: number): number {
  return Math.max(1, Math.round((size * 11) / 12));
}

/**
 * One image's views under `tta`, normalised, written into `out` from `offset`: the image (`none`); the
 * image, then its mirror image (`flip`); the 4 corner crops, the centre crop and their 5 mirror images, each
 * resized back to size x size (`tencrop`, crops of side `cropSize`). Returns the number of views written.
 */
export function writeViews(image: Uint8Array, size: number, tta: Tta, out: Float32Array, offset = 0, cropSize = defaultCropSize(size)): number {
  const px = size * size, views = TTA_VIEWS[tta];
  if (views === undefined) throw new Error(`writeViews: unknown tta '${tta}' (expected ${Object.keys(TTA_VIEWS).join(', ')})`);
  if (image.length < px) throw new RangeError(`writeViews: the image has ${image.length} pixels, expected ${size}x${size}`);
  if (offset < 0 || offset + views * px > out.length) throw new RangeError(`writeViews: ${views} views of ${size}x${size} at offset ${offset} need ${offset + views * px} values, the buffer has ${out.length}`);
  if (tta === 'tencrop') {
    tenCrop(image, size, cropSize, out, offset);
    return views;
  }
  for (let j = 0; j < px; j++) out[offset + j] = INPUT_LUT[image[j]];
  if (tta === 'flip') mirrorImages(out.subarray(offset, offset + px), 1, size, out.subarray(offset + px, offset + 2 * px));
  return views;
}

/**
 * n images' answers (K values each) from the model's answers for their views as writeViews lays them out:
 * the mean of each image's `views` consecutive rows, summed in float64 and rounded once, so the result does
 * not depend on the order of the views' rounding. With one view the rows are returned unchanged.
 */
export function averageViews(logits: ArrayLike<number>, n: number, K: number, views: number): Float32Array {
  if (logits.length < n * views * K) throw new RangeError(`averageViews: ${n} images of ${views} views need ${n * views * K} values, got ${logits.length}`);
  const out = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < K; c++) {
      let s = 0;
      for (let v = 0; v < views; v++) s += logits[(i * views + v) * K + c];
      out[i * K + c] = s / views;
    }
  }
  return out;
}
