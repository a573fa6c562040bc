/**
 * A classifier's views of each face and how their answers are merged: the face alone, or with `flip` the
 * face and its mirror image, logits averaged, then a softmax at the model's calibrated temperature. Shared
 * by Node's classifier (src/pipeline/classifier.ts) and the browser's (src/web/engine.ts), so the webcam
 * view in the page scores a face exactly as `ferkit predict --tta flip` does; the views and their merge are
 * data/views.ts's, which eval's dataset prediction uses too. Browser-safe: no Node import.
 */
import { TTA_VIEWS, type Tta } from '../data/tta.js';
import { averageViews, writeViews } from '../data/views.js';

/** Test-time augmentation per face: none, or the face and its mirror image (twice the classifier's work);
 * eval's ten-crop is left out, at 10x the work per face. */
export type ClassifierTta = Exclude<Tta, 'tencrop'>;
export const CLASSIFIER_TTAS: readonly ClassifierTta[] = ['none', 'flip'];

/** Inputs per face under `tta`. */
export const viewsOf = (tta: ClassifierTta): number => TTA_VIEWS[tta];

/**
 * Faces `from .. from+n` of `faces` (size x size uint8 each, concatenated) written normalised into `input`
 * in data/views.ts's layout, the one eval uses too: each face, followed with flip by its mirror image.
 * Returns the number of inputs written (n, or 2n with flip).
 */
export function fillFaceViews(faces: Uint8Array, from: number, n: number, size: number, tta: ClassifierTta, input: Float32Array): number {
  const px = size * size, views = viewsOf(tta), inputs = n * views;
  if (input.length < inputs * px) throw new RangeError(`fillFaceViews: ${inputs} inputs of ${size}x${size} need ${inputs * px} values, the buffer has ${input.length}`);
  for (let i = 0; i < n; i++) writeViews(faces.subarray((from + i) * px, (from + i + 1) * px), size, tta, input, i * views * px);
  return inputs;
}

/** The n faces' logits (K each) from the logits of their views as fillFaceViews laid them out: with flip,
 * each face's averaged with its mirror image's (the row after it). */
export function mergeFaceViews(logits: Float32Array, n: number, K: number, tta: ClassifierTta): Float32Array {
  if (tta === 'none') return logits.length === n * K ? logits : logits.slice(0, n * K);
  return averageViews(logits, n, K, viewsOf(tta));
}

/** Row-wise softmax of logits / temperature: the calibrated probabilities of n faces. */
export function calibratedSoftmax(logits: Float32Array, n: number, K: number, temperature: number): Float32Array {
  const out = new Float32Array(n * K);
  for (let j = 0; j < n; j++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, logits[j * K + k] / temperature);
    let z = 0;
    for (let k = 0; k < K; k++) z += out[j * K + k] = Math.exp(logits[j * K + k] / temperature - max);
    for (let k = 0; k < K; k++) out[j * K + k] /= z;
  }
  return out;
}
