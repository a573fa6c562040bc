/**
 * The one obvious entry point: find every face in an image, align it, classify its expression.
 *
 *   const fer = await createRecognizer({ model: 'tiny' });
 *   const faces = await fer.analyze('photo.jpg');   // or a Buffer, or { data, width, height } RGB/RGBA pixels
 *   faces[0].label, faces[0].confidence, faces[0].probabilities.happy, faces[0].box
 */
import { alignFace, createBlazeFace, loadRgb, type AlignOptions, type BlazeFaceOptions, type FaceBox, type FaceDetector, type Keypoint, type RgbImage } from '../face/index.js';
import { createClassifier, type Classifier, type ClassifierBackend, type ClassifierTta } from './classifier.js';

export interface RecognizerOptions {
  /** bundled model name ('tiny', 'base') or model file path (default 'tiny') */
  model?: string;
  /** classifier runtime (default 'onnx': faster per face; 'engine' is ferkit's own) */
  backend?: ClassifierBackend;
  /** classifier threads (default 1; 2 lowers single-face latency on an otherwise idle 2-core machine) */
  threads?: number;
  /** 'flip': classify each face and its mirror image, logits averaged (more accurate, twice the classifier
   * time; default 'none') */
  tta?: ClassifierTta;
  /** a detector instance, or options for the default BlazeFace detector */
  detector?: FaceDetector | BlazeFaceOptions;
  align?: AlignOptions;
  /** refuse images with more pixels than this (default 50 megapixels) */
  maxPixels?: number;
}

export interface FaceResult {
  box: { x: number; y: number; width: number; height: number };
  keypoints: Keypoint[];
  /** detector confidence */
  detectorScore: number;
  /** calibrated probability of every label */
  probabilities: Record<string, number>;
  /** the most probable label and its probability */
  label: string;
  confidence: number;
}

/** Raw pixels: RGB (3 channels) or RGBA (4, e.g. a canvas ImageData). */
export interface RawImage { data: Uint8Array | Uint8ClampedArray; width: number; height: number; channels?: 3 | 4 }

export type ImageInput = string | Buffer | RawImage;

export interface Recognizer {
  readonly labels: string[];
  /**
   * The face detector analyze() uses; optional for custom recognizers. analyzeVideo drives it directly
   * (detect, then classifyFaces) when it is a BlazeFace with the 'auto' policy, to run its front pass alone
   * on frames where every face is big (see adaptive-detection.ts).
   */
  readonly detector?: FaceDetector;
  analyze(input: ImageInput): Promise<FaceResult[]>;
  /** faces already found (e.g. by a tracker) in an already decoded image */
  classifyFaces(image: RgbImage, faces: FaceBox[]): Promise<FaceResult[]>;
  close(): Promise<void>;
}

function toRgb(img: RawImage): RgbImage {
  const ch = img.channels ?? (img.data.length === img.width * img.height * 4 ? 4 : 3);
  if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * ch) {
    throw new Error(`analyze: raw image of ${img.width}x${img.height} with ${ch} channels needs ${img.width * img.height * ch} bytes, got ${img.data.length}`);
  }
  if (ch === 3) return { data: img.data instanceof Uint8Array ? img.data : new Uint8Array(img.data), width: img.width, height: img.height };
  const rgb = new Uint8Array(img.width * img.height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) { rgb[i] = img.data[j]; rgb[i + 1] = img.data[j + 1]; rgb[i + 2] = img.data[j + 2]; }
  return { data: rgb, width: img.width, height: img.height };
}

const isDetector = (d: unknown): d is FaceDetector => typeof (d as FaceDetector)?.detect === 'function';

export async function createRecognizer(o: RecognizerOptions = {}): Promise<Recognizer> {
  const classifier: Classifier = await createClassifier({ model: o.model, backend: o.backend, threads: o.threads, tta: o.tta });
  const ownDetector = !isDetector(o.detector);
  const detector: FaceDetector = isDetector(o.detector) ? o.detector : await createBlazeFace(o.detector ?? {});
  const size = classifier.size, px = size * size;

  const classifyFaces = async (image: RgbImage, faces: FaceBox[]): Promise<FaceResult[]> => {
    if (!faces.length) return [];
    const crops = new Uint8Array(faces.length * px);
    faces.forEach((f, i) => crops.set(alignFace(image, f, { ...o.align, size }), i * px));
    const probs = await classifier.classify(crops, faces.length);
    const K = classifier.labels.length;
    return faces.map((f, i) => {
      const p: Record<string, number> = {};
      let best = 0;
      for (let k = 0; k < K; k++) {
        p[classifier.labels[k]] = probs[i * K + k];
        if (probs[i * K + k] > probs[i * K + best]) best = k;
      }
      return { box: { x: f.x, y: f.y, width: f.width, height: f.height }, keypoints: f.keypoints, detectorScore: f.score,
        probabilities: p, label: classifier.labels[best], confidence: probs[i * K + best] };
    });
  };

  return {
    labels: classifier.labels,
    detector,
    async analyze(input) {
      const image = typeof input === 'string' || Buffer.isBuffer(input) ? await loadRgb(input, { maxPixels: o.maxPixels }) : toRgb(input);
      return classifyFaces(image, await detector.detect(image));
    },
    classifyFaces,
    async close() {
      await classifier.close();
      if (ownDetector) await detector.close();
    },
  };
}
