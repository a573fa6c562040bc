/**
 * Face detection and expression recognition IN THE BROWSER with onnxruntime-web (WASM backend): the same
 * pure-TypeScript BlazeFace decoding, NMS, letterboxing and alignment as the Node pipeline
 * (src/face/{anchors,decode,nms,preprocess,align}.ts), with the models fetched from this server:
 * /models/blazeface-{front,back}.onnx and /models/classifier.onnx (exported from the served model file).
 * Faces are classified as the server's classifier does (src/pipeline/face-views.ts): its test-time
 * augmentation (`ferkit serve --tta flip`: each face and its mirror image) and its calibrated temperature,
 * both read from /v1/models. No pixel leaves the page.
 */
import * as ort from 'onnxruntime-web/wasm';
import { anchorsFor, BACK_ANCHORS, FRONT_ANCHORS, type AnchorSpec } from '../face/anchors.js';
import { letterbox } from '../face/decode.js';
import { BLAZEFACE_SPECS, DEFAULT_MIN_SCORE, decodePass, planPasses, type BlazeFaceModel } from '../face/plan.js';
import { nonMaxSuppression } from '../face/nms.js';
import { fillInputTensor } from '../face/preprocess.js';
import { alignFace } from '../face/align.js';
import type { FaceBox, RgbImage } from '../face/types.js';
import { AdaptiveDetectionPolicy } from '../pipeline/adaptive-detection.js';
import { calibratedSoftmax, fillFaceViews, mergeFaceViews, viewsOf, type ClassifierTta } from '../pipeline/face-views.js';

export interface BrowserFace {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  probabilities: Float32Array;
  label: string;
  confidence: number;
}

/** The detector's defaults, as in Node (src/face/plan.ts holds the pass plan both use). */
const MIN_SCORE = DEFAULT_MIN_SCORE;
const IOU = 0.3;
const CROP = 48;
/** Live video: milliseconds between full detections (the policy's frame clock is the frame time in ms). */
const LIVE_FULL_DETECT_MS = 1000;

export interface EngineInfo { threads: number; crossOriginIsolated: boolean; tta: ClassifierTta }

/** How faces are classified: as /v1/models reports the server's classifier (defaults: no TTA, temperature 1). */
export interface ClassifyOptions { tta?: ClassifierTta; temperature?: number }

export class BrowserFer {
  private constructor(
    readonly labels: string[],
    private readonly det: Record<BlazeFaceModel, { session: ort.InferenceSession; anchors: Float32Array; input: Float32Array }>,
    private readonly cls: ort.InferenceSession,
    private readonly temperature: number,
    readonly info: EngineInfo,
  ) {}

  static async create(labels: string[], base = '/', o: ClassifyOptions = {}): Promise<BrowserFer> {
    const tta = o.tta ?? 'none', temperature = o.temperature ?? 1;
    if (tta !== 'none' && tta !== 'flip') throw new Error(`BrowserFer: tta must be none or flip, got '${tta}'`);
    if (!(temperature > 0)) throw new Error(`BrowserFer: temperature must be a positive number, got ${temperature}`);
    ort.env.wasm.wasmPaths = new URL('ort/', new URL(base, location.href)).href;
    const threads = globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, Math.floor((navigator.hardwareConcurrency || 2) / 2))) : 1;
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    const load = async (url: string) => {
      const r = await fetch(new URL(url, new URL(base, location.href)));
      if (!r.ok) throw new Error(`could not load ${url}: HTTP ${r.status}`);
      return ort.InferenceSession.create(new Uint8Array(await r.arrayBuffer()), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    };
    const [front, back, cls] = await Promise.all([load('models/blazeface-front.onnx'), load('models/blazeface-back.onnx'), load('models/classifier.onnx')]);
    const mk = (session: ort.InferenceSession, spec: AnchorSpec) => ({ session, anchors: anchorsFor(spec), input: new Float32Array(spec.inputSize * spec.inputSize * 3) });
    return new BrowserFer(labels, { front: mk(front, FRONT_ANCHORS), back: mk(back, BACK_ANCHORS) }, cls, temperature,
      { threads, crossOriginIsolated: Boolean(globalThis.crossOriginIsolated), tta });
  }

  /** Live video: scene-adaptive 'auto', as in Node's analyzeVideo (full plan at most once a second while faces are big). */
  private readonly live = new AdaptiveDetectionPolicy({ fullEvery: LIVE_FULL_DETECT_MS });
  private liveFaces = 0;

  /** 'auto' detection: every pass of the plan, or only those of `models`. */
  async detect(image: RgbImage, models?: readonly BlazeFaceModel[]): Promise<FaceBox[]> {
    const raw: FaceBox[] = [];
    for (const pass of planPasses(image.width, image.height, 'auto')) {
      if (models && !models.includes(pass.model)) continue;
      const m = this.det[pass.model], size = BLAZEFACE_SPECS[pass.model].inputSize;
      fillInputTensor(image, pass.region, size, letterbox(pass.region, size), m.input);
      const res = await m.session.run({ [m.session.inputNames[0]]: new ort.Tensor('float32', m.input, [1, size, size, 3]) });
      raw.push(...decodePass((k) => res[k].data as Float32Array, m.anchors, pass, MIN_SCORE, image));
    }
    return nonMaxSuppression(raw, { iouThreshold: IOU, maxFaces: 20, mode: 'weighted' });
  }

  async classify(image: RgbImage, faces: FaceBox[]): Promise<BrowserFace[]> {
    if (!faces.length) return [];
    const px = CROP * CROP, n = faces.length, K = this.labels.length, tta = this.info.tta;
    const crops = new Uint8Array(n * px);
    faces.forEach((f, i) => crops.set(alignFace(image, f, { size: CROP }), i * px));
    const input = new Float32Array(n * viewsOf(tta) * px);
    const inputs = fillFaceViews(crops, 0, n, CROP, tta, input);
    // only the raw logits are fetched: views are averaged before the softmax, at the model's temperature
    const out = await this.cls.run({ input: new ort.Tensor('float32', input, [inputs, 1, CROP, CROP]) }, ['logits']);
    const probs = calibratedSoftmax(mergeFaceViews(out.logits.data as Float32Array, n, K, tta), n, K, this.temperature);
    return faces.map((f, i) => {
      const p = probs.slice(i * K, (i + 1) * K);
      let best = 0;
      for (let k = 1; k < K; k++) if (p[k] > p[best]) best = k;
      return { box: { x: f.x, y: f.y, width: f.width, height: f.height }, score: f.score, probabilities: p, label: this.labels[best], confidence: p[best] };
    });
  }

  async analyze(image: RgbImage): Promise<BrowserFace[]> {
    return this.classify(image, await this.detect(image));
  }

  /**
   * One webcam frame at time `nowMs`: the front model alone while every face of the last full detection
   * was big (see src/pipeline/adaptive-detection.ts), the full plan on the first frame, once a second,
   * and at once when the front model finds fewer faces than the previous frame had.
   */
  async analyzeLive(image: RgbImage, nowMs: number): Promise<BrowserFace[]> {
    const t = Math.max(0, Math.round(nowMs)), mode = this.live.decide(t);
    let faces = await this.detect(image, mode === 'front' ? ['front'] : undefined);
    if (this.live.observe(t, mode, faces, image.width, image.height, this.liveFaces)) {
      faces = await this.detect(image);
      this.live.observe(t, 'full', faces, image.width, image.height, this.liveFaces);
    }
    this.liveFaces = faces.length;
    return this.classify(image, faces);
  }
}

/** ImageData (RGBA) -> packed RGB. */
export function imageDataToRgb(d: ImageData): RgbImage {
  const n = d.width * d.height, rgb = new Uint8Array(n * 3), s = d.data;
  for (let i = 0, j = 0; i < n; i++, j += 4) { rgb[3 * i] = s[j]; rgb[3 * i + 1] = s[j + 1]; rgb[3 * i + 2] = s[j + 2]; }
  return { data: rgb, width: d.width, height: d.height };
}
