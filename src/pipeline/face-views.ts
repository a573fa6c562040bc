/**
 * A classifier's views of each face and how their answers are merged: the face alone, or with `flip` the
 * face and its mirror image, logits averaged, then a softmax at the model's calibrated temperature. Shared
 * by Node's classifier (src/pipeline/classifier.ts) and the browser's (src/web/engine.ts), so the webcam
 * view in the page scores a face exactly as `ferkit predict --tta flip` does. Browser-safe: no Node import.
 */
import { INPUT_LUT } from '../data/normalize.js';
import { mirrorImages } from '../data/augment.js';
import { TTA_VIEWS, type Tta } from '../data/tta.js';

/** Test-time augmentation per face: none, or the face and its mirror image (twice the classifier's work);
 * eval's ten-crop is left out, at 10x the work per face. */
export type ClassifierTta = Exclude<Tta, 'tencrop'>;
export const CLASSIFIER_TTAS: readonly ClassifierTta[] = ['none', 'flip'];

/** Inputs per face under `tta`. */
export const viewsOf = (tta: ClassifierTta): number => TTA_VIEWS[tta];

/**
 * Faces `from .. from+n` of `faces` (size x size uint8 each, concatenated) written normalised into `input`,
 * followed with flip by their n mirror images. Returns the number of inputs written (n, or 2n with flip).
 */
export function fillFaceViews(faces: Uint8Array, from: number, n: number, size: number, tta: ClassifierTta, input: Float32Array): number {
  const px = size * size, inputs = n * viewsOf(tta);
  if (input.length < inputs * px) throw new RangeError(`fillFaceViews: ${inputs} inputs of ${size}x${size} need ${inputs * px} values, the buffer has ${input.length}`);
  for (let i = 0; i < n * px; i++) input[i] = INPUT_LUT[faces[from * px + i]];
  if (tta === 'flip') mirrorImages(input.subarray(0, n * px), n, size, input.subarray(n * px, 2 * n * px));
  return inputs;
}

/** The n faces' logits (K each) from the logits of their views as fillFaceViews laid them out: with flip,
 * each face's are averaged with its mirror image's (the second half). */
export function mergeFaceViews(logits: Float32Array, n: number, K: number, tta: ClassifierTta): Float32Array {
  if (tta === 'none') return logits.length === n * K ? logits : logits.slice(0, n * K);
  const out = new Float32Array(n * K);
  for (let i = 0; i < n * K; i++) out[i] = (logits[i] + logits[n * K + i]) / 2;
  return out;
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
