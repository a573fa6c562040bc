/**
 * Admission control and timeouts with a slow stand-in recognizer, the video job API with a stand-in
 * analyser module, and a real socket for the size limit and the CLI-style start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildServer, startServer } from '../../src/server/index.js';
import type { Recognizer } from '../../src/pipeline/recognizer.js';
import { gradientImage, saveTinyModel, tempDir } from './helpers.js';

const slowRecognizer = (ms: number): Recognizer => ({
  labels: ['a', 'b'],
  analyze: () => new Promise((r) => setTimeout(() => r([]), ms)),
  classifyFaces: async () => [],
  close: async () => {},
});

test('429 with Retry-After when analyses exceed maxConcurrent + maxQueue; 503 on analysis timeout', async (t) => {
  const { dir, cleanup } = await tempDir('limits');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors');
  await saveTinyModel(model);
  const app = await buildServer({ model, recognizer: slowRecognizer(300), videoModule: false, limits: { maxConcurrent: 1, maxQueue: 1 } });
  t.after(() => app.close());
  const img = await gradientImage(64, 48);
  const rs = await Promise.all(Array.from({ length: 5 }, () => app.inject({ method: 'POST', url: '/v1/analyze', headers: { 'content-type': 'image/jpeg' }, payload: img })));
  const codes = rs.map((r) => r.statusCode).sort();
  assert.deepEqual(codes, [200, 200, 429, 429, 429], JSON.stringify(codes));
  for (const r of rs.filter((x) => x.statusCode === 429)) {
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(r.json().error.code, 'too_many_requests');
  }
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  // once the burst is over, requests succeed again
  assert.equal((await app.inject({ method: 'POST', url: '/v1/analyze', headers: { 'content-type': 'image/jpeg' }, payload: img })).statusCode, 200);

  const slow = await buildServer({ model, recognizer: slowRecognizer(400), videoModule: false, limits: { analyzeTimeoutMs: 50 } });
  t.after(() => slow.close());
  const r = await slow.inject({ method: 'POST', url: '/v1/analyze', headers: { 'content-type': 'image/jpeg' }, payload: img });
  assert.equal(r.statusCode, 503);
  assert.equal(r.json().error.code, 'analysis_timeout');
  assert.ok(r.headers['retry-after']);
  assert.equal((await slow.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});

test('video jobs: upload -> 202 {id} -> progress -> done with the analyser result; bad jobs fail cleanly', async (t) => {
  const { dir, cleanup } = await tempDir('video');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors');
  await saveTinyModel(model);
  const mod = join(dir, 'fake-video.mjs');
  await writeFile(mod, `import { readFile } from 'node:fs/promises';
export async function analyzeVideo(file, { recognizer, fps, onProgress }) {
  const bytes = await readFile(file);
  if (bytes[0] === 0) throw new Error('cannot decode ' + file + ': invalid data');
  for (let i = 1; i <= 4; i++) { await new Promise((r) => setTimeout(r, 20)); onProgress({ done: i, total: 4 }); }
  return { fps, bytes: bytes.length, labels: recognizer.labels, tracks: [{ id: 1, frames: [{ t: 0, label: 'a', confidence: 0.9 }] }] };
}`);
  const app = await buildServer({ model, recognizer: slowRecognizer(1), videoModule: pathToFileURL(mod).href });
  t.after(() => app.close());
  const poll = async (id: string) => {
    for (let i = 0; i < 100; i++) {
      const j = (await app.inject({ method: 'GET', url: `/v1/jobs/${id}` })).json();
      if (j.status === 'done' || j.status === 'failed') return j;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('job did not finish');
  };
  const r = await app.inject({ method: 'POST', url: '/v1/analyze/video?fps=2', headers: { 'content-type': 'video/mp4' }, payload: Buffer.alloc(1000, 7) });
  assert.equal(r.statusCode, 202, r.body);
  const job = await poll(r.json().id);
  assert.equal(job.status, 'done');
  assert.equal(job.progress, 1);
  assert.deepEqual(job.result.tracks[0].frames[0].label, 'a');
  assert.equal(job.result.fps, 2);
  assert.equal(job.result.bytes, 1000);

  const bad = await app.inject({ method: 'POST', url: '/v1/analyze/video', headers: { 'content-type': 'video/mp4' }, payload: Buffer.alloc(10, 0) });
  const failed = await poll(bad.json().id);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error.code, 'video_failed');
  assert.doesNotMatch(failed.error.message, /ferkit-video-|\/tmp/, 'no server paths');
  assert.match(failed.error.message, /the uploaded video/);

  const wrong = await app.inject({ method: 'POST', url: '/v1/analyze/video', headers: { 'content-type': 'image/png' }, payload: Buffer.alloc(10, 1) });
  assert.equal(wrong.statusCode, 415);
  const badFps = await app.inject({ method: 'POST', url: '/v1/analyze/video?fps=abc', headers: { 'content-type': 'video/mp4' }, payload: Buffer.alloc(10, 1) });
  assert.equal(badFps.statusCode, 400);
  assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
});

test('a real socket on 127.0.0.1:0: 413 for a large body while the server keeps serving', async (t) => {
  const { dir, cleanup } = await tempDir('listen');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors');
  await saveTinyModel(model);
  const s = await startServer({ model, port: 0, recognizer: slowRecognizer(1), videoModule: false, limits: { maxUploadBytes: 100_000 } });
  t.after(() => s.close());
  assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const r = await fetch(`${s.url}/v1/analyze`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: Buffer.alloc(2_000_000, 1) }).catch((e) => e as Error);
  if (r instanceof Response) {
    assert.equal(r.status, 413);
    assert.equal((await r.json()).error.code, 'payload_too_large');
  } // else: the server answered 413 and closed before the client finished sending (allowed)
  const h = await fetch(`${s.url}/healthz`);
  assert.equal(h.status, 200);
  const ok = await fetch(`${s.url}/v1/analyze`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(await gradientImage(32, 32)) });
  assert.equal(ok.status, 200);
});
