/**
 * The HTTP API through fastify.inject (and one real socket): the happy paths (raw and multipart), every
 * client error with its status and JSON body, and that the server keeps answering /healthz after each.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/index.js';
import { gradientImage, multipartBody, saveTinyModel, tempDir } from './helpers.js';

let app: FastifyInstance;
let modelPath: string;
let cleanup: () => Promise<void>;
const LIMITS = { maxUploadBytes: 200_000, maxPixels: 1_000_000 };

before(async () => {
  const t = await tempDir('api');
  cleanup = t.cleanup;
  modelPath = join(t.dir, 'tiny-test.safetensors');
  await saveTinyModel(modelPath);
  app = await buildServer({ model: modelPath, limits: LIMITS, videoModule: false, onInternalError: (e) => { throw e; } });
});
after(async () => { await app?.close(); await cleanup?.(); });

async function healthy(): Promise<void> {
  const r = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(r.statusCode, 200);
  assert.equal(r.json().status, 'ok');
}

function assertError(r: { statusCode: number; json(): any; body: string }, status: number, code: string, message?: RegExp): void {
  assert.equal(r.statusCode, status, r.body);
  const b = r.json();
  assert.equal(b.error.code, code, r.body);
  assert.equal(typeof b.error.message, 'string');
  if (message) assert.match(b.error.message, message);
  assert.doesNotMatch(r.body, /\bat .*\.(js|ts):\d+/, 'no stack trace');
  assert.doesNotMatch(r.body, /node_modules|\/dist\//, 'no server paths');
}

test('POST /v1/analyze with a raw JPEG body: no face in a generated image', async () => {
  const r = await app.inject({ method: 'POST', url: '/v1/analyze', headers: { 'content-type': 'image/jpeg' }, payload: await gradientImage(160, 120) });
  assert.equal(r.statusCode, 200, r.body);
  const b = r.json();
  assert.deepEqual(b.faces, []);
  assert.equal(b.width, 160);
  assert.equal(b.height, 120);
  assert.equal(b.model, 'tiny-test');
  assert.ok(typeof b.ms === 'number' && b.ms >= 0);
  assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
  assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp');
  assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
  await healthy();
});

test('POST /v1/analyze with multipart field "image" (PNG) and with application/octet-stream', async () => {
  const png = await gradientImage(90, 70, 'png');
  const m = multipartBody('image', 'test.png', 'image/png', png);
  const r = await app.inject({ method: 'POST', url: '/v1/analyze', headers: { 'content-type': m.contentType }, payload: m.body });
  assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual([r.json().width, r.json().height, r.json().faces.length], [90, 70, 0]);
  const o = await app.inject({ method: 'POST', url: '/v1/analyze', headers: { 'content-type': 'application/octet-stream' }, payload: png });
  assert.equal(o.statusCode, 200, o.body);
  // a multipart file under another field name is named in the error
  const w = multipartBody('photo', 'test.png', 'image/png', png);
  assertError(await app.inject({ method: 'POST', url: '/v1/analyze', headers: { 'content-type': w.contentType }, payload: w.body }), 400, 'missing_field', /"photo".*"image"/);
  await healthy();
});

test('client errors: empty body, garbage, truncated JPEG, wrong content type, too large, too many pixels', async () => {
  const jpeg = await gradientImage(200, 150);
  const cases: { name: string; headers: Record<string, string>; payload?: Buffer | string; status: number; code: string; message?: RegExp }[] = [
    { name: 'empty raw body', headers: { 'content-type': 'image/jpeg' }, payload: Buffer.alloc(0), status: 400, code: 'empty_body' },
    { name: 'no body at all', headers: {}, status: 400, code: 'empty_body' },
    { name: 'empty multipart file', ...(() => { const m = multipartBody('image', 'e.jpg', 'image/jpeg', Buffer.alloc(0)); return { headers: { 'content-type': m.contentType }, payload: m.body }; })(), status: 400, code: 'empty_body' },
    { name: 'garbage bytes', headers: { 'content-type': 'image/jpeg' }, payload: Buffer.from('this is not an image at all, just some text '.repeat(20)), status: 422, code: 'unreadable_image', message: /not a readable image/ },
    { name: 'truncated JPEG', headers: { 'content-type': 'image/jpeg' }, payload: jpeg.subarray(0, Math.floor(jpeg.length / 2)), status: 422, code: 'corrupt_image', message: /decode/ },
    { name: 'JSON', headers: { 'content-type': 'application/json' }, payload: '{"image":"x"}', status: 415, code: 'unsupported_media_type', message: /application\/json/ },
    { name: 'text/plain', headers: { 'content-type': 'text/plain' }, payload: 'hello', status: 415, code: 'unsupported_media_type' },
    { name: 'no content type with a body', headers: { 'content-length': '5' }, payload: 'hello', status: 415, code: 'unsupported_media_type' },
    { name: 'body over the limit', headers: { 'content-type': 'image/jpeg' }, payload: Buffer.alloc(LIMITS.maxUploadBytes + 1, 1), status: 413, code: 'payload_too_large', message: /200000 bytes/ },
    { name: 'multipart file over the limit', ...(() => { const m = multipartBody('image', 'big.jpg', 'image/jpeg', Buffer.alloc(LIMITS.maxUploadBytes + 10, 1)); return { headers: { 'content-type': m.contentType }, payload: m.body }; })(), status: 413, code: 'payload_too_large' },
  ];
  for (const c of cases) {
    const r = await app.inject({ method: 'POST', url: '/v1/analyze', headers: c.headers, payload: c.payload });
    assertError(r, c.status, c.code, c.message);
    await healthy();
  }
  // 1001 x 1000 pixels is over maxPixels = 1e6 (a small PNG: checked from the header, never decoded)
  const big = await gradientImage(1001, 1000, 'png');
  assert.ok(big.length < LIMITS.maxUploadBytes, `test image is ${big.length} bytes`);
  assertError(await app.inject({ method: 'POST', url: '/v1/analyze', headers: { 'content-type': 'image/png' }, payload: big }), 422, 'too_many_pixels', /1001x1000.*1000000/);
  await healthy();
  // unknown routes and methods are JSON 404s
  assertError(await app.inject({ method: 'GET', url: '/v1/nope' }), 404, 'not_found');
  assertError(await app.inject({ method: 'GET', url: '/v1/jobs/does-not-exist' }), 404, 'job_not_found');
  await healthy();
});

test('the video route answers 501 with a clear message when no video analyser is available', async () => {
  const r = await app.inject({ method: 'POST', url: '/v1/analyze/video', headers: { 'content-type': 'video/mp4' }, payload: Buffer.alloc(100, 1) });
  assertError(r, 501, 'not_implemented', /video analysis is not available/);
  await healthy();
});

test('/metrics counts requests per route and status, with latency percentiles', async () => {
  const r = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(r.statusCode, 200);
  const m = r.json();
  const a = m.routes['POST /v1/analyze'];
  assert.ok(a, JSON.stringify(Object.keys(m.routes)));
  assert.ok(a.byStatus['200'] >= 3, JSON.stringify(a));
  assert.ok(a.byStatus['415'] >= 3 && a.byStatus['422'] >= 3 && a.byStatus['413'] >= 2 && a.byStatus['400'] >= 3, JSON.stringify(a.byStatus));
  assert.ok(a.latencyMs.p50 > 0 && a.latencyMs.p99 >= a.latencyMs.p50);
  assert.ok(m.routes['GET /healthz'].byStatus['200'] >= 10);
  assert.equal(typeof m.inFlight, 'number');
  assert.ok(m.inFlight >= 0);
  assert.equal(m.analyses.running, 0);
  assert.ok(m.memory.rssBytes > 0);
});

test('/openapi.json is an OpenAPI 3 document with every route; /docs and /v1/models', async () => {
  const r = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(r.statusCode, 200);
  const doc = JSON.parse(r.body);
  assert.match(doc.openapi, /^3\./);
  for (const p of ['/v1/analyze', '/v1/analyze/video', '/v1/jobs/{id}', '/v1/models', '/healthz', '/metrics']) assert.ok(doc.paths[p], p);
  assert.ok(doc.paths['/v1/analyze'].post.responses['413'] && doc.paths['/v1/analyze'].post.responses['429']);
  const d = await app.inject({ method: 'GET', url: '/docs' });
  assert.equal(d.statusCode, 200);
  assert.match(d.headers['content-type'] as string, /text\/html/);
  assert.match(d.body, /POST \/v1\/analyze/);
  const mo = (await app.inject({ method: 'GET', url: '/v1/models' })).json();
  assert.equal(mo.model.name, 'tiny-test');
  assert.equal(mo.model.labels.length, 7);
  assert.equal(mo.model.temperature, 1.5);
  assert.equal(mo.model.tta, 'none');
  assert.equal(mo.video, false);
});

test('/v1/models with --tta flip reports the temperature calibrated for flip; the one-view ONNX keeps the single view\'s', async (t) => {
  const d = await tempDir('api-flip');
  t.after(d.cleanup);
  const path = join(d.dir, 'flip-test.safetensors');
  await saveTinyModel(path, 1, { ttaCalibration: JSON.stringify({ flip: { temperature: 0.8 } }) });
  const flipApp = await buildServer({ model: path, tta: 'flip', limits: LIMITS, videoModule: false });
  t.after(() => flipApp.close());
  const mo = (await flipApp.inject({ method: 'GET', url: '/v1/models' })).json();
  assert.equal(mo.model.tta, 'flip');
  assert.equal(mo.model.temperature, 0.8, 'what the page divides its merged flip logits by');
  const c = await flipApp.inject({ method: 'GET', url: '/models/classifier.onnx' });
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(new Uint8Array(c.rawPayload));
  t.after(() => s.release());
  const out = await s.run({ input: new ort.Tensor('float32', new Float32Array(48 * 48).fill(0.3), [1, 1, 48, 48]) });
  const z = out.logits.data as Float32Array, p = out.probabilities.data as Float32Array;
  const max = Math.max(...z), e = Array.from(z, (v) => Math.exp((v - max) / 1.5)), sum = e.reduce((a, b) => a + b, 0);
  e.forEach((v, i) => assert.ok(Math.abs(v / sum - p[i]) < 1e-5, `class ${i}: ${p[i]} vs softmax(logits / 1.5) ${v / sum}`));
});

test('model files for the browser: classifier ONNX exported on the fly, BlazeFace, onnxruntime-web', async () => {
  const c = await app.inject({ method: 'GET', url: '/models/classifier.onnx' });
  assert.equal(c.statusCode, 200);
  assert.ok(c.rawPayload.length > 1000);
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(new Uint8Array(c.rawPayload));
  assert.deepEqual(s.inputNames, ['input']);
  assert.ok(s.outputNames.includes('probabilities'));
  await s.release();
  for (const u of ['/models/blazeface-front.onnx', '/models/blazeface-back.onnx', '/ort/ort-wasm-simd-threaded.wasm', '/ort/ort-wasm-simd-threaded.mjs']) {
    const r = await app.inject({ method: 'GET', url: u });
    assert.equal(r.statusCode, 200, u);
    assert.equal(r.headers['cross-origin-resource-policy'], 'same-origin');
  }
  assert.equal((await app.inject({ method: 'GET', url: '/ort/ort.node.min.js' })).statusCode, 404);
  assert.equal((await app.inject({ method: 'GET', url: '/models/..%2Fpackage.json' })).statusCode, 404);
});
