/**
 * ferkit's HTTP server: the analysis API (/v1/...), health and metrics, the OpenAPI description, and the
 * web app (live webcam recognition that runs in the browser, photo and video upload) with every file it
 * needs served locally.
 *
 *   const app = await buildServer({ model: 'tiny' });      // a fastify instance, not listening
 *   const { url, close } = await startServer({ port: 8080 });
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRecognizer, type Recognizer } from '../pipeline/recognizer.js';
import type { ClassifierTta } from '../pipeline/classifier.js';
import { loadRgb } from '../face/image.js';
import { loadModel } from '../engine/node/files.js';
import { exportOnnx } from '../engine/onnx-export.js';
import { inferShapes } from '../engine/graph.js';
import { modelLabels, modelTemperature } from '../eval/labels.js';
import { bundledModelNames, packageRoot, resolveModelPath } from '../model/registry.js';
import { ApiError, errorBody, toErrorResponse } from './errors.js';
import { JobQueue, type JobRunner } from './jobs.js';
import { Limiter, withTimeout } from './limiter.js';
import { Metrics } from './metrics.js';
import { docsPage, openApiDocument } from './openapi.js';
import { blazeFaceFiles, contentTypeOf, defaultWebDir, ortFiles, webFiles } from './static.js';

export interface ServerLimits {
  /** largest image upload in bytes (default 10 MiB): 413 beyond */
  maxUploadBytes?: number;
  /** largest video upload in bytes (default 100 MiB): 413 beyond */
  maxVideoBytes?: number;
  /** largest image in pixels (default 40 megapixels): 422 beyond, checked from the header before decoding */
  maxPixels?: number;
  /** analyses running at once (default 4) */
  maxConcurrent?: number;
  /** analyses waiting for a slot (default 16): 429 with Retry-After beyond */
  maxQueue?: number;
  /** longest wait for a slot in ms (default 10 s): 503 with Retry-After beyond */
  queueTimeoutMs?: number;
  /** longest analysis in ms (default 30 s): 503 beyond */
  analyzeTimeoutMs?: number;
  /** longest time to receive a whole request in ms (default 60 s): 408 beyond (Node's http server) */
  requestTimeoutMs?: number;
  /** video jobs queued or running (default 4): 429 beyond */
  maxVideoJobs?: number;
  /** longest video job in ms (default 10 minutes) */
  videoJobTimeoutMs?: number;
}

export interface ServerOptions {
  /** bundled model name or model file path (default 'tiny') */
  model?: string;
  /** 'flip': classify each face and its mirror image, logits averaged (more accurate, twice the classifier
   * time; default 'none'); not used with `recognizer`. The web page's in-browser webcam view follows it too */
  tta?: ClassifierTta;
  host?: string;
  port?: number;
  limits?: ServerLimits;
  /** fastify's JSON request logger (default off) */
  logger?: boolean;
  /** the built web app (default <package>/dist/web) */
  webDir?: string;
  /** use this recognizer instead of creating one (tests); it is not closed by the server */
  recognizer?: Recognizer;
  /** video analyser module to load (default ../pipeline/video.js); false disables video jobs (501) */
  videoModule?: string | false;
  /** called with every internal (500) error; default: console.error */
  onInternalError?: (err: unknown, req: FastifyRequest) => void;
}

export const DEFAULT_LIMITS: Required<ServerLimits> = {
  maxUploadBytes: 10 * 1024 * 1024,
  maxVideoBytes: 100 * 1024 * 1024,
  maxPixels: 40_000_000,
  maxConcurrent: 4,
  maxQueue: 16,
  queueTimeoutMs: 10_000,
  analyzeTimeoutMs: 30_000,
  requestTimeoutMs: 60_000,
  maxVideoJobs: 4,
  videoJobTimeoutMs: 600_000,
};

/** The CSP of every response: nothing from other origins; WASM compilation allowed (onnxruntime-web). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "style-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  // cross-origin isolation: lets onnxruntime-web use SharedArrayBuffer (WASM threads)
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'permissions-policy': 'camera=(self), microphone=(), geolocation=()',
};

const IMAGE_TYPE = /^(image\/[\w.+-]+|application\/octet-stream)\s*(;|$)/i;
const VIDEO_TYPE = /^(video\/[\w.+-]+|application\/octet-stream)\s*(;|$)/i;
const MULTIPART = /^multipart\/form-data/i;

interface ModelInfo { name: string; file: string; path: string; labels: string[]; temperature: number; inputSize: number; }

/** The served model: what /v1/models says of it, with the temperature of the classifier's `tta`, and its
 * one-view ONNX export for the page (whose softmax head uses the single view's temperature). */
function describeModel(nameOrPath: string, tta: ClassifierTta): { info: ModelInfo; onnx: () => Uint8Array } {
  const path = resolveModelPath(nameOrPath);
  const m = loadModel(path);
  const shapes = inferShapes(m.graph);
  const K = shapes[m.graph.output][0];
  const labels = modelLabels(m.metadata, K);
  let bytes: Uint8Array | undefined;
  const name = bundledModelNames().includes(nameOrPath) ? nameOrPath : basename(path).replace(/\.safetensors$/, '');
  return {
    info: { name, file: basename(path), path, labels, temperature: modelTemperature(m.metadata, tta), inputSize: shapes[0][1] },
    onnx: () => (bytes ??= exportOnnx(m.graph, m.weights, { temperature: modelTemperature(m.metadata), metadata: { labels: JSON.stringify(labels) } })),
  };
}

function packageVersion(): string {
  try { return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version; } catch { return '0.0.0'; }
}

/** Progress reported by the video analyser, in whatever shape, as a fraction 0..1. */
export function progressFraction(p: unknown): number {
  if (typeof p === 'number') return p > 1 ? p / 100 : p;
  const o = (p ?? {}) as Record<string, number>;
  for (const k of ['fraction', 'progress']) if (typeof o[k] === 'number') return o[k] > 1 ? o[k] / 100 : o[k];
  for (const [a, b] of [['done', 'total'], ['frame', 'frames'], ['processed', 'total'], ['time', 'duration'], ['current', 'total']]) {
    if (typeof o[a] === 'number' && typeof o[b] === 'number' && o[b] > 0) return o[a] / o[b];
  }
  return NaN;
}

/** Loads the video analyser (src/pipeline/video.ts, `analyzeVideo`) if this build has one. */
async function loadVideoAnalyzer(spec: string | false | undefined): Promise<((file: string, o: Record<string, unknown>) => Promise<unknown>) | null> {
  if (spec === false) return null;
  const target = spec ?? '../pipeline/video.js';
  try {
    const mod = await import(target);
    return typeof mod.analyzeVideo === 'function' ? mod.analyzeVideo : null;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes('video')) return null;
    throw e;
  }
}

declare module 'fastify' {
  interface FastifyRequest { ferkitStart?: number }
}

/** A fastify instance with every route, not listening yet. Close it with `app.close()`. */
export async function buildServer(o: ServerOptions = {}): Promise<FastifyInstance> {
  const limits: Required<ServerLimits> = { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(o.limits ?? {}).filter(([, v]) => v !== undefined)) };
  const model = describeModel(o.model ?? 'tiny', o.tta ?? 'none');
  const recognizer = o.recognizer ?? await createRecognizer({ model: model.info.path, maxPixels: limits.maxPixels, tta: o.tta });
  const ownRecognizer = !o.recognizer;
  const analyzeVideo = await loadVideoAnalyzer(o.videoModule);
  const version = packageVersion();
  const metrics = new Metrics();
  const limiter = new Limiter(limits.maxConcurrent, limits.maxQueue, limits.queueTimeoutMs);
  const runner: JobRunner = async (file, onProgress, params: Record<string, any>) => {
    if (!analyzeVideo) throw new ApiError(501, 'not_implemented', 'video analysis is not available');
    try {
      const result = await analyzeVideo(file, {
        recognizer, fps: params.fps,
        // analyzeVideo reports (done, total); total may be NaN when the duration is unknown
        onProgress: (done: unknown, total?: unknown) => onProgress(typeof done === 'number' && typeof total === 'number' && total > 0 ? Math.min(0.99, done / total) : progressFraction(done)),
      }) as Record<string, unknown> | null;
      // the temporary file's path means nothing to the client: give the uploaded name instead
      if (result && typeof result === 'object' && 'file' in result) result.file = params.name ?? 'upload';
      return result;
    } catch (e) {
      // no server paths in messages that reach clients
      throw new Error(String((e as Error)?.message ?? e).split('\n')[0].split(file).join('the uploaded video'));
    }
  };
  const jobs = new JobQueue(runner, { maxPending: limits.maxVideoJobs, jobTimeoutMs: limits.videoJobTimeoutMs });
  const webDir = o.webDir ?? defaultWebDir();
  const ort = ortFiles(), blaze = blazeFaceFiles();
  const fileCache = new Map<string, Buffer>();
  const onInternalError = o.onInternalError ?? ((err: unknown, req: FastifyRequest) => console.error(`ferkit serve: internal error on ${req.method} ${req.url}:`, err));
  const openapi = openApiDocument({ version, maxUploadBytes: limits.maxUploadBytes, maxVideoBytes: limits.maxVideoBytes, maxPixels: limits.maxPixels });

  const app = Fastify({
    logger: o.logger ?? false,
    bodyLimit: 1024 * 1024,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.requestTimeoutMs,
    return503OnClosing: true,
    forceCloseConnections: true,
    genReqId: () => randomUUID(),
  });

  // ---- cross-cutting: metrics, headers, errors ----
  app.addHook('onRequest', async (req, reply) => {
    req.ferkitStart = performance.now();
    metrics.inFlight++;
    reply.raw.once('close', () => {
      metrics.inFlight--;
      const route = `${req.method} ${req.routeOptions?.url ?? '(unmatched)'}`;
      metrics.record(route, reply.raw.statusCode, performance.now() - (req.ferkitStart ?? 0));
    });
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });
  app.setErrorHandler((err, req, reply) => {
    const r = toErrorResponse(err, { maxUploadBytes: req.url.startsWith('/v1/analyze/video') ? limits.maxVideoBytes : limits.maxUploadBytes });
    if (r.internal) onInternalError(err, req);
    void reply.code(r.status).headers(r.headers).type('application/json; charset=utf-8').send(r.body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(errorBody('not_found', `no route ${req.method} ${req.url.split('?')[0]}; see /openapi.json`));
  });
  app.addHook('onClose', async () => {
    await jobs.close();
    if (ownRecognizer) await recognizer.close();
  });

  // ---- the analysis API: its own content-type parsers (raw images/videos, multipart; nothing else) ----
  await app.register(async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser(/^image\/[\w.+-]+/i, { parseAs: 'buffer', bodyLimit: limits.maxUploadBytes }, (_req, body, done) => done(null, body));
    api.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: limits.maxUploadBytes }, (_req, body, done) => done(null, body));
    api.addContentTypeParser(/^video\/[\w.+-]+/i, { parseAs: 'buffer', bodyLimit: limits.maxVideoBytes }, (_req, body, done) => done(null, body));
    await api.register(multipart, { limits: { fileSize: limits.maxVideoBytes, files: 1, fields: 8, parts: 10, fieldSize: 4096 } });

    /** refuses a wrong content type before the body is read */
    const accept = (re: RegExp, what: string) => async (req: FastifyRequest) => {
      const ct = req.headers['content-type'];
      if (ct === undefined) {
        const len = req.headers['content-length'];
        if ((len === undefined || len === '0') && req.headers['transfer-encoding'] === undefined) {
          throw new ApiError(400, 'empty_body', `the request has no body: send ${what} as multipart/form-data or as the raw body`);
        }
        throw new ApiError(415, 'unsupported_media_type', `the request has no content type: send ${what} as multipart/form-data or as a raw body with its content type`);
      }
      if (!MULTIPART.test(ct) && !re.test(ct)) {
        throw new ApiError(415, 'unsupported_media_type', `unsupported content type '${ct.split(';')[0]}': send ${what} as multipart/form-data or as a raw body with its content type`);
      }
    };

    api.post('/v1/analyze', { onRequest: accept(IMAGE_TYPE, 'an image (field "image")') }, async (req) => {
      const t0 = performance.now();
      const bytes = await readUpload(req, 'image', limits.maxUploadBytes);
      const release = await limiter.acquire();
      const work = (async () => {
        const image = await decodeImage(bytes, limits.maxPixels);
        const faces = await recognizer.analyze({ data: image.data, width: image.width, height: image.height, channels: 3 });
        return { width: image.width, height: image.height, faces };
      })();
      // the slot is held until the work really ends, even when the client was answered by a timeout
      work.then(release, release);
      const r = await withTimeout(work, limits.analyzeTimeoutMs,
        () => new ApiError(503, 'analysis_timeout', `the analysis took longer than ${limits.analyzeTimeoutMs} ms; retry later or send a smaller image`, { 'retry-after': '5' }));
      return { faces: r.faces, width: r.width, height: r.height, model: model.info.name, ms: Math.round((performance.now() - t0) * 10) / 10 };
    });

    api.post('/v1/analyze/video', {
      onRequest: async (req) => {
        if (!analyzeVideo) {
          throw new ApiError(501, 'not_implemented', 'video analysis is not available on this server (this build has no video analyser, src/pipeline/video.ts); image analysis (POST /v1/analyze) and the live webcam view work');
        }
        await accept(VIDEO_TYPE, 'a video (field "video")')(req);
      },
    }, async (req, reply) => {
      const fps = Number((req.query as Record<string, string>)?.fps ?? 5);
      if (!(fps > 0 && fps <= 30)) throw new ApiError(400, 'bad_request', `fps must be a number in (0, 30], got ${(req.query as Record<string, string>)?.fps}`);
      const { file, name } = await saveVideo(req, limits.maxVideoBytes);
      const job = jobs.submit(file, { fps, name });
      return reply.code(202).send({ id: job.id, status: job.status, url: `/v1/jobs/${job.id}` });
    });
  });

  app.get('/v1/jobs/:id', async (req) => {
    const { id } = req.params as { id: string };
    const job = jobs.get(id);
    if (!job) throw new ApiError(404, 'job_not_found', `no job ${id} (unknown, or finished more than ${Math.round(jobs.ttlMs / 60000)} minutes ago)`);
    return job;
  });

  app.get('/v1/models', async () => ({
    model: { name: model.info.name, file: model.info.file, labels: model.info.labels, temperature: model.info.temperature, inputSize: model.info.inputSize,
      tta: o.recognizer ? undefined : o.tta ?? 'none', onnx: '/models/classifier.onnx' },
    bundled: bundledModelNames(),
    detector: { name: 'blazeface', policy: 'auto', browserModels: ['/models/blazeface-front.onnx', '/models/blazeface-back.onnx'] },
    video: Boolean(analyzeVideo),
  }));

  app.get('/healthz', async () => ({ status: 'ok', model: model.info.name, version, uptimeSeconds: Math.round(process.uptime()) }));

  app.get('/metrics', async () => metrics.snapshot({
    analyses: { running: limiter.inFlight, queued: limiter.queued, maxConcurrent: limits.maxConcurrent, maxQueue: limits.maxQueue },
    jobs: jobs.counts,
    memory: { rssBytes: process.memoryUsage().rss, heapUsedBytes: process.memoryUsage().heapUsed },
  }));

  app.get('/openapi.json', async () => openapi);
  app.get('/docs', async (_req, reply) => reply.type('text/html; charset=utf-8').send(docsPage(openapi)));

  // ---- the web app and the files it loads ----
  const sendFile = async (reply: FastifyReply, path: string, cache: 'no-cache' | 'public, max-age=86400', keep = false) => {
    let body = keep ? fileCache.get(path) : undefined;
    if (!body) { body = await readFile(path); if (keep) fileCache.set(path, body); }
    return reply.type(contentTypeOf(path)).header('cache-control', cache).send(body);
  };
  app.get('/', async (_req, reply) => {
    const index = webFiles(webDir).get('index.html');
    if (!index) {
      return reply.code(503).type('text/html; charset=utf-8').send('<!doctype html><title>ferkit</title><p>The web app is not built: run <code>npm run build:web</code> (or <code>npm run build</code>), then reload. The API works: see <a href="/docs">/docs</a>.</p>');
    }
    return sendFile(reply, index, 'no-cache');
  });
  app.get('/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    const path = webFiles(webDir).get(file);
    if (!path) throw new ApiError(404, 'not_found', `no file /${file}`);
    return sendFile(reply, path, 'no-cache');
  });
  app.get('/ort/:file', async (req, reply) => {
    const path = ort.get((req.params as { file: string }).file);
    if (!path) throw new ApiError(404, 'not_found', `no onnxruntime-web file ${(req.params as { file: string }).file}`);
    return sendFile(reply, path, 'public, max-age=86400', true);
  });
  app.get('/models/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    if (file === 'classifier.onnx') {
      return reply.type('application/octet-stream').header('cache-control', 'no-cache').send(Buffer.from(model.onnx()));
    }
    const path = blaze.get(file);
    if (!path) throw new ApiError(404, 'not_found', `no model file ${file}`);
    return sendFile(reply, path, 'public, max-age=86400', true);
  });

  return app;
}

/** The uploaded bytes: multipart field `field`, or the raw body. */
async function readUpload(req: FastifyRequest, field: string, maxBytes: number): Promise<Buffer> {
  let bytes: Buffer;
  if (req.isMultipart()) {
    const part = await req.file({ limits: { fileSize: maxBytes } });
    if (!part) throw new ApiError(400, 'missing_field', `the multipart body has no file: send the image in a field named "${field}"`);
    if (part.fieldname !== field) {
      part.file.resume();
      throw new ApiError(400, 'missing_field', `the multipart file is in field "${part.fieldname}": name the field "${field}"`);
    }
    bytes = await part.toBuffer();
  } else {
    bytes = req.body as Buffer;
  }
  if (!bytes || bytes.length === 0) throw new ApiError(400, 'empty_body', `the upload is empty (0 bytes): send an image`);
  return bytes;
}

/** Decodes an upload, turning loadRgb's errors into 422s that name the problem. */
async function decodeImage(bytes: Buffer, maxPixels: number) {
  try {
    return await loadRgb(bytes, { maxPixels, name: 'the uploaded image' });
  } catch (e) {
    const msg = String((e as Error).message).replace(/^loadRgb: /, '');
    if (/over the limit/.test(msg)) throw new ApiError(422, 'too_many_pixels', msg.replace(/\s*\(pass a larger maxPixels.*\)$/, '; downscale it and retry'));
    if (/not a readable image/.test(msg)) throw new ApiError(422, 'unreadable_image', msg);
    throw new ApiError(422, 'corrupt_image', msg);
  }
}

/** Writes the uploaded video (multipart field 'video', or the raw body) to a temporary file. */
async function saveVideo(req: FastifyRequest, maxBytes: number): Promise<{ file: string; name: string }> {
  if (req.isMultipart()) {
    const part = await req.file({ limits: { fileSize: maxBytes } });
    if (!part) throw new ApiError(400, 'missing_field', 'the multipart body has no file: send the video in a field named "video"');
    if (part.fieldname !== 'video') {
      part.file.resume();
      throw new ApiError(400, 'missing_field', `the multipart file is in field "${part.fieldname}": name the field "video"`);
    }
    const ext = extname(part.filename || '').toLowerCase().replace(/[^.\w]/g, '').slice(0, 8) || '.bin';
    const file = join(tmpdir(), `ferkit-video-${randomUUID()}${ext}`);
    try {
      await pipeline(part.file, createWriteStream(file));
      if (part.file.truncated) throw new ApiError(413, 'payload_too_large', `the video is too large: the limit is ${maxBytes} bytes; send a shorter clip`);
      if (part.file.bytesRead === 0) throw new ApiError(400, 'empty_body', 'the uploaded video is empty (0 bytes)');
    } catch (e) {
      await rm(file, { force: true });
      throw e;
    }
    return { file, name: basename(part.filename || 'upload') };
  }
  const bytes = req.body as Buffer;
  if (!bytes || bytes.length === 0) throw new ApiError(400, 'empty_body', 'the upload is empty (0 bytes): send a video');
  const sub = String(req.headers['content-type']).split(';')[0].split('/')[1]?.replace(/[^\w]/g, '') || 'bin';
  const file = join(tmpdir(), `ferkit-video-${randomUUID()}.${sub === 'quicktime' ? 'mov' : sub === 'xmsvideo' ? 'avi' : sub}`);
  await writeFile(file, bytes);
  return { file, name: 'upload' };
}

export interface RunningServer { app: FastifyInstance; url: string; close: () => Promise<void>; }

/** Builds the server and listens (default 127.0.0.1:8080; port 0 picks a free one). */
export async function startServer(o: ServerOptions = {}): Promise<RunningServer> {
  const app = await buildServer(o);
  const host = o.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: o.port ?? 8080 });
  } catch (e) {
    await app.close();
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port ?? 8080;
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return { app, url: `http://${shown}:${port}`, close: () => app.close() };
}
