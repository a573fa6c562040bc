/**
 * Shared types of the face layer: images, detections and the detector interface.
 *
 * Coordinates are always in pixels of the image passed to `detect`, x to the right and y DOWN, with the
 * origin at the top-left corner of the top-left pixel (so the centre of pixel (i, j) is (i + 0.5, j + 0.5)).
 */

/**
 * An 8-bit RGB image: `data` holds width*height*3 bytes, row-major, R G B per pixel, no row padding.
 *
 * Only packed RGB, no RGBA or gray variants: one layout keeps every consumer (detector preprocessing,
 * alignment) a single loop with no branches, and `loadRgb` already flattens alpha and converts gray, CMYK
 * and 16-bit inputs. A browser caller with ImageData (RGBA) uses `rgbaToRgb`.
 */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Names of BlazeFace's six keypoints, in the model's output order. "right"/"left" are the SUBJECT's: in a
 * normal (unmirrored) photo of a person facing the camera, `rightEye` has the smaller x.
 */
export const KEYPOINT_NAMES = ['rightEye', 'leftEye', 'nose', 'mouth', 'rightEar', 'leftEar'] as const;
export type KeypointName = (typeof KEYPOINT_NAMES)[number];

export interface Keypoint {
  name: KeypointName;
  x: number;
  y: number;
}

/** One detected face, in input-image pixels. */
export interface FaceBox {
  /** left edge */
  x: number;
  /** top edge */
  y: number;
  width: number;
  height: number;
  /** detection confidence in [0, 1] */
  score: number;
  /** the six keypoints, in KEYPOINT_NAMES order */
  keypoints: Keypoint[];
}

/** Per-call options of a detector; unset fields take the detector's defaults. */
export interface DetectOptions {
  /** keep detections scoring at least this (0..1) */
  minScore?: number;
  /** detections overlapping more than this IoU are merged into one */
  iouThreshold?: number;
  /** return at most this many faces, highest score first */
  maxFaces?: number;
}

/**
 * The small interface the rest of ferkit uses, so another detector (a browser build, a different network)
 * can be plugged in. Faces come back sorted by score, highest first.
 */
export interface FaceDetector {
  detect(image: RgbImage, opts?: DetectOptions): Promise<FaceBox[]>;
  /** releases native resources; the detector must not be used afterwards */
  close(): Promise<void>;
}

/** Throws a descriptive error unless `image` is a well-formed RgbImage. */
export function checkRgbImage(image: RgbImage, who: string): void {
  if (!image || !(image.data instanceof Uint8Array)) {
    throw new TypeError(`${who}: expected an RgbImage { data: Uint8Array, width, height } (use loadRgb to read a file)`);
  }
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`${who}: image width and height must be positive integers, got ${width}x${height}`);
  }
  if (data.length !== width * height * 3) {
    const hint = data.length === width * height * 4 ? ' (this looks like RGBA: convert it with rgbaToRgb)' : '';
    throw new RangeError(`${who}: a ${width}x${height} RGB image needs ${width * height * 3} bytes, got ${data.length}${hint}`);
  }
}

/** Drops the alpha channel of RGBA pixels (e.g. a browser's ImageData), ignoring transparency. */
export function rgbaToRgb(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): RgbImage {
  if (rgba.length !== width * height * 4) {
    throw new RangeError(`rgbaToRgb: a ${width}x${height} RGBA image needs ${width * height * 4} bytes, got ${rgba.length}`);
  }
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    data[j] = rgba[i]; data[j + 1] = rgba[i + 1]; data[j + 2] = rgba[i + 2];
  }
  return { data, width, height };
}
