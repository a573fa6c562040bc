/**
 * The two peer toolkits of bench:pipeline, behind the same small interfaces as ferkit's side:
 *
 *  - @vladmandic/face-api: its Node build for the tfjs WebAssembly backend (dist/face-api.node-wasm.js;
 *    the default dist/face-api.node.js needs @tensorflow/tfjs-node, whose install downloads libtensorflow),
 *    the bundled face_expression_model (112x112 RGB input) and tiny_face_detector_model.
 *  - @vladmandic/human: its Node build for the same backend (dist/human.node-wasm.js), the bundled
 *    emotion model (64x64 gray input) and blazeface face detector.
 *
 * Both load their bundled weights from node_modules (file:// URLs; nothing is fetched from the network)
 * and share one tfjs engine, on the 'wasm' backend (or 'cpu' with --peer-backend cpu).
 *
 * Every probability vector returned here is in FER2013's label order (angry, disgust, fear, happy, sad,
 * surprise, neutral), mapped by label name.
 */
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { canonicalLabel, ferIndex, FER_LABELS } from '../../src/data/labels.js';
import type { RgbImage } from '../../src/face/index.js';
import { grayToRgbResized } from './resize.js';

const K = FER_LABELS.length;

/** An expression model fed with FER2013 crops: `prepare` (not timed) turns 48x48 gray crops into its input. */
export interface ExpressionModel {
  name: string;
  /** input side the crops are resized to (48: used as they are) */
  inputSize: number;
  prepare(faces48: Uint8Array, from: number, count: number): unknown;
  /** probabilities, count x 7, FER2013 order */
  classify(prepared: unknown, count: number): Promise<Float32Array>;
}

/** A full image pipeline: detector + expression model. */
export interface FramePipeline {
  name: string;
  /** faces found in the frame and each one's most probable FER2013 label */
  analyze(frame: RgbImage): Promise<string[]>;
  /** faces the detector finds (no expression model) */
  detect(image: RgbImage): Promise<number>;
}

export interface Peers {
  /** tfjs backend in use, its version and the wasm SIMD / threads flags */
  backend: string;
  tfjsVersion: string;
  faceApi?: { version: string; expression: ExpressionModel; pipeline: FramePipeline; labelOrder: string[]; detectorOptions: string };
  human?: { version: string; expression: ExpressionModel; pipeline: FramePipeline; labelOrder: string[]; detectorOptions: string };
  /** why a peer is missing */
  notes: string[];
  /** tensors alive in the shared tfjs engine (a leak check) */
  numTensors(): number;
}

/** Column `k` of a peer's output, for each FER2013 label: the peer's index of that label. */
function ferColumns(order: string[]): number[] {
  const cols = FER_LABELS.map(() => -1);
  order.forEach((name, j) => {
    const i = ferIndex(canonicalLabel(name) ?? '');
    if (i < 0) throw new Error(`peer label '${name}' has no FER2013 counterpart`);
    cols[i] = j;
  });
  if (cols.some((c) => c < 0)) throw new Error(`peer labels ${order.join(',')} do not cover FER2013's`);
  return cols;
}

/** file:// URLs through global fetch (human loads its models with fetch; Node's fetch has no file: scheme). */
function allowFileFetch(): void {
  const real = globalThis.fetch;
  if ((real as { fileShim?: boolean }).fileShim) return;
  const shim = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith('file://')) {
      const body = await readFile(fileURLToPath(url));
      return new Response(body, { status: 200, headers: { 'content-type': url.endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
    }
    return real(input, init);
  };
  (shim as { fileShim?: boolean }).fileShim = true;
  globalThis.fetch = shim as typeof fetch;
}

export async function loadPeers(o: { backend: 'wasm' | 'cpu'; log: (s: string) => void }): Promise<Peers> {
  const require = createRequire(import.meta.url);
  const notes: string[] = [];
  let tf: any;
  let faceapi: any;
  try {
    faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
    tf = faceapi.tf;
  } catch (e) {
    notes.push(`face-api skipped: cannot load @vladmandic/face-api/dist/face-api.node-wasm.js (${(e as Error).message.split('\n')[0]}); npm install`);
  }
  let HumanCtor: any;
  let humanDir = '';
  try {
    // its package.json "exports" keys lack the leading './', so the subpath cannot be required by name
    const main = require.resolve('@vladmandic/human'); // .../dist/human.node.js
    humanDir = dirname(dirname(main));
    const mod = require(join(humanDir, 'dist', 'human.node-wasm.js'));
    HumanCtor = mod.Human ?? mod.default;
  } catch (e) {
    notes.push(`human skipped: cannot load @vladmandic/human/dist/human.node-wasm.js (${(e as Error).message.split('\n')[0]}); npm install`);
  }
  if (!tf && HumanCtor) {
    try { tf = require('@tensorflow/tfjs'); require('@tensorflow/tfjs-backend-wasm'); } catch { /* reported below */ }
  }
  if (!tf) return { backend: 'none', tfjsVersion: '', notes, numTensors: () => 0 };

  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/';
  if (o.backend === 'wasm') require('@tensorflow/tfjs-backend-wasm').setWasmPaths(wasmDir);
  if (!(await tf.setBackend(o.backend))) throw new Error(`tfjs backend '${o.backend}' failed to initialize`);
  await tf.ready();
  const flags = o.backend === 'wasm'
    ? ` (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'on' : 'off'}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'on' : 'off'})`
    : '';
  const peers: Peers = { backend: `${tf.getBackend()}${flags}`, tfjsVersion: tf.version?.tfjs ?? tf.version_core ?? '?', notes, numTensors: () => tf.memory().numTensors };

  if (faceapi) {
    const modelDir = join(dirname(dirname(require.resolve('@vladmandic/face-api'))), 'model');
    await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
    await faceapi.nets.faceExpressionNet.loadFromDisk(modelDir);
    const net = faceapi.nets.faceExpressionNet;
    // FaceExpressions' fields, in the model's output order (face-api's own `FACE_EXPRESSION_LABELS`)
    const order = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'];
    const cols = ferColumns(order);
    const S = 112; // FaceFeatureExtractor: input.toBatchTensor(112, true)
    const toFer = (e: Record<string, number>, out: Float32Array, at: number) => { for (let k = 0; k < K; k++) out[at * K + k] = e[order[cols[k]]]; };
    const expression: ExpressionModel = {
      name: 'face-api', inputSize: S,
      prepare: (faces, from, count) => grayToRgbResized(faces, from, count, 48, S, 1),
      async classify(prepared, count) {
        const x = prepared as Float32Array, px = S * S * 3;
        const inputs = Array.from({ length: count }, (_, i) => tf.tensor3d(x.subarray(i * px, (i + 1) * px), [S, S, 3], 'float32'));
        const res: Record<string, number>[] = await net.predictExpressions(inputs); // an array input -> one result per face
        inputs.forEach((t) => t.dispose());
        const out = new Float32Array(count * K);
        res.forEach((e, i) => toFer(e, out, i));
        return out;
      },
    };
    const detOpts = new faceapi.TinyFaceDetectorOptions(); // inputSize 416, scoreThreshold 0.5
    const toTensor = (img: RgbImage) => tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
    const pipeline: FramePipeline = {
      name: 'face-api',
      async analyze(frame) {
        const t = toTensor(frame);
        const found: { expressions: Record<string, number> }[] = await faceapi.detectAllFaces(t, detOpts).withFaceExpressions();
        t.dispose();
        return found.map((f) => {
          let best = order[0];
          for (const l of order) if (f.expressions[l] > f.expressions[best]) best = l;
          return canonicalLabel(best)!;
        });
      },
      async detect(image) {
        const t = toTensor(image);
        const found: unknown[] = await faceapi.detectAllFaces(t, detOpts);
        t.dispose();
        return found.length;
      },
    };
    peers.faceApi = { version: faceapi.version ?? require('@vladmandic/face-api/package.json').version, expression, pipeline, labelOrder: order,
      detectorOptions: `TinyFaceDetector, inputSize ${detOpts.inputSize}, scoreThreshold ${detOpts.scoreThreshold}` };
  }

  if (HumanCtor) {
    allowFileFetch();
    const config = {
      backend: o.backend, wasmPath: wasmDir, modelBasePath: pathToFileURL(join(humanDir, 'models') + '/').href,
      debug: false, warmup: 'none', async: true,
      // no frame-to-frame result caching: every frame is detected and classified afresh, like ferkit's
      cacheSensitivity: 0, skipAllowed: false,
      face: {
        enabled: true,
        detector: { enabled: true, maxDetected: 100, skipFrames: 0, skipTime: 0 },
        mesh: { enabled: false }, iris: { enabled: false }, description: { enabled: false },
        emotion: { enabled: true, skipFrames: 0, skipTime: 0 },
        antispoof: { enabled: false }, liveness: { enabled: false }, attention: { enabled: false },
      },
      body: { enabled: false }, hand: { enabled: false }, object: { enabled: false }, gesture: { enabled: false }, segmentation: { enabled: false },
    };
    const human = new HumanCtor(config);
    await human.load();
    const models = human.models?.models ?? human.models;
    const model = models?.emotion;
    if (!model || !models?.blazeface) {
      notes.push('human skipped: its emotion or blazeface model did not load');
    } else {
      const htf = human.tf;
      // the same test human's emotion module makes: a 3-channel input means the other label order
      const rgbModel = model.inputs?.[0]?.shape?.[3] === 3;
      const order = rgbModel ? ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'] : ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
      const cols = ferColumns(order);
      const S: number = model.inputs[0].shape[2];
      const rgbWeights = htf.tensor1d([0.2989, 0.587, 0.114], 'float32');
      const expression: ExpressionModel = {
        name: 'human', inputSize: S,
        // human's face tensors are RGB in [0, 1]
        prepare: (faces, from, count) => grayToRgbResized(faces, from, count, 48, S, 1 / 255),
        async classify(prepared, count) {
          // human's emotion module, for a gray model: resize, weighted RGB sum, (x - 0.5) * 2, run
          const logits = htf.tidy(() => {
            const x = htf.tensor4d(prepared as Float32Array, [count, S, S, 3], 'float32');
            const resized = htf.image.resizeBilinear(x, [S, S], false);
            const gray = htf.sum(htf.mul(resized, rgbWeights), 3, true);
            return model.execute(htf.mul(htf.sub(gray, 0.5), 2));
          });
          const p = await logits.data() as Float32Array;
          logits.dispose();
          const out = new Float32Array(count * K);
          for (let i = 0; i < count; i++) for (let k = 0; k < K; k++) out[i * K + k] = p[i * K + cols[k]];
          return out;
        },
      };
      const toTensor = (img: RgbImage) => htf.tensor4d(img.data, [1, img.height, img.width, 3], 'int32');
      const noEmotion = { face: { emotion: { enabled: false } } };
      const withEmotion = { face: { emotion: { enabled: true } } };
      const pipeline: FramePipeline = {
        name: 'human',
        async analyze(frame) {
          const t = toTensor(frame);
          const res = await human.detect(t, withEmotion);
          t.dispose();
          if (res.error) throw new Error(`human: ${res.error}`);
          return (res.face as { emotion?: { emotion: string; score: number }[] }[]).map((f) => canonicalLabel(f.emotion?.[0]?.emotion ?? '') ?? 'none');
        },
        async detect(image) {
          const t = toTensor(image);
          const res = await human.detect(t, noEmotion);
          t.dispose();
          if (res.error) throw new Error(`human: ${res.error}`);
          return res.face.length;
        },
      };
      const d = human.config.face.detector;
      peers.human = { version: human.version, expression, pipeline, labelOrder: order,
        detectorOptions: `blazeface (${d.modelPath}), minConfidence ${d.minConfidence}, iouThreshold ${d.iouThreshold}, maxDetected ${d.maxDetected}, mesh off, no frame caching` };
    }
  }
  o.log(`peers: tfjs ${peers.tfjsVersion} on ${peers.backend}${notes.length ? `; ${notes.join('; ')}` : ''}`);
  return peers;
}
