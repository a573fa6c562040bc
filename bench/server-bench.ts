/**
 * `npm run bench:server`: load test of POST /v1/analyze on 127.0.0.1 with autocannon, then a burst of bad
 * requests interleaved with good ones. The server runs in a child process (so autocannon's own CPU and
 * memory are not counted in its RSS, read from /metrics).
 *
 *   node dist/bench/server-bench.js [--duration 60] [--connections 4] [--model tiny|PATH] [--image face.jpg]
 *
 * The image: --image, else /work/shared/media/photos/happy.jpg (one face) when present, else a generated
 * 640x480 image (no face). The model: --model, else the bundled 'tiny', else a random tiny model (then
 * the numbers time the pipeline, not a trained model). Prints a JSON summary as its last line; exits 1
 * if any 5xx was seen or any bad request did not get its 4xx or any good one failed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { resolveModelPath } from '../src/model/registry.js';
import { gradientImage, saveTinyModel, tempDir } from '../test/server/helpers.js';

// autocannon ships no type declarations: the part of its API used here
interface CannonResult { requests: { average: number; total: number }; latency: { p50: number; p90: number; p99: number; max: number }; statusCodeStats?: Record<string, { count: number }>; errors: number; timeouts: number }
const autocannon = createRequire(import.meta.url)('autocannon') as (o: Record<string, unknown>) => Promise<CannonResult>;

const SHARED_PHOTO = '/work/shared/media/photos/happy.jpg';

interface Reply { status: number; body: string }

/** One request with node:http; a server that answers before the whole body is sent is fine. */
function send(url: string, o: { method?: string; headers?: Record<string, string | number>; body?: Buffer; bodyBytes?: number }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'POST', headers: o.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    let answered = false;
    req.on('response', () => { answered = true; });
    req.on('error', (e) => { if (!answered) reject(e); });
    if (o.bodyBytes) {
      // a large body in 1 MiB chunks, stopping once the server has answered. After the first chunk the client
      // waits up to 1 s for an early answer (as a client honouring 'Expect: 100-continue' would): a server that
      // refuses the body by its Content-Length answers at once and closes, and writing on would race that
      // close (EPIPE before the 413 is read)
      const chunk = Buffer.alloc(1 << 20, 0x55);
      let left = o.bodyBytes, first = true;
      const pump = () => {
        if (first && left > chunk.length) {
          first = false;
          left -= chunk.length;
          req.write(chunk);
          setTimeout(pump, 1000);
          return;
        }
        while (left > 0 && !answered && !req.destroyed) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) { req.once('drain', pump); return; }
        }
        req.end();
      };
      pump();
    } else req.end(o.body);
  });
}

async function main(): Promise<number> {
  const { values: a } = parseArgs({ options: { duration: { type: 'string', default: '60' }, connections: { type: 'string', default: '4' }, model: { type: 'string' }, image: { type: 'string' } } });
  const duration = Number(a.duration), connections = Number(a.connections);
  const tmp = await tempDir('bench');
  let modelPath: string, modelNote: string;
  try { modelPath = resolveModelPath(a.model ?? 'tiny'); modelNote = a.model ?? 'tiny (bundled)'; }
  catch {
    if (a.model) throw new Error(`model ${a.model} not found`);
    modelPath = join(tmp.dir, 'random-tiny.safetensors');
    await saveTinyModel(modelPath);
    modelNote = 'random tiny model (no bundled model installed)';
  }
  let image: Buffer, imageNote: string;
  if (a.image) { image = await readFile(a.image); imageNote = a.image; }
  else if (existsSync(SHARED_PHOTO)) { image = await readFile(SHARED_PHOTO); imageNote = `${SHARED_PHOTO} (one face)`; }
  else { image = await gradientImage(640, 480); imageNote = 'generated 640x480 JPEG (no face: /work/shared is absent)'; }

  // the server, in its own process
  const serverModule = new URL('../src/server/index.js', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e',
    `import { startServer } from ${JSON.stringify(serverModule)};
     const s = await startServer({ model: ${JSON.stringify(modelPath)}, port: 0, limits: { maxConcurrent: ${Math.max(1, connections)}, maxQueue: 64 } });
     console.log('URL ' + s.url);
     process.on('SIGTERM', () => s.close().then(() => process.exit(0)));`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => { out += d; const m = /URL (\S+)/.exec(out); if (m) resolve(m[1]); });
    child.on('exit', (c) => reject(new Error(`server exited with ${c}`)));
  });
  const metrics = async () => JSON.parse((await send(`${url}/metrics`, { method: 'GET' })).body);
  try {
    // warm up (creates the detector sessions)
    const warm = await send(`${url}/v1/analyze`, { headers: { 'content-type': 'image/jpeg' }, body: image });
    if (warm.status !== 200) throw new Error(`warm-up request failed: ${warm.status} ${warm.body}`);
    const facesPerImage = JSON.parse(warm.body).faces.length;
    const rssStart = (await metrics()).memory.rssBytes;
    console.log(`server-bench: ${url}, model ${modelNote}, image ${imageNote} (${image.length} bytes, ${facesPerImage} face(s)), ${connections} connections for ${duration} s`);

    const r = await autocannon({ url: `${url}/v1/analyze`, method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: image, connections, duration });
    const codes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, (v as { count: number }).count]));
    const fiveXX = Object.entries(codes).filter(([k]) => k.startsWith('5')).reduce((s, [, v]) => s + v, 0);
    const rssAfterLoad = (await metrics()).memory.rssBytes;
    console.log(`load: ${r.requests.average.toFixed(1)} req/s, latency p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${r.requests.total} requests, status ${JSON.stringify(codes)}, errors ${r.errors}, timeouts ${r.timeouts}`);

    // the burst: bad requests interleaved with good ones
    const jpeg = image[0] === 0xff ? image : await gradientImage(320, 240);
    const bad: { name: string; expect: number; run: () => Promise<Reply> }[] = [
      { name: 'empty body', expect: 400, run: () => send(`${url}/v1/analyze`, { headers: { 'content-type': 'image/jpeg', 'content-length': 0 } }) },
      { name: 'garbage bytes', expect: 422, run: () => send(`${url}/v1/analyze`, { headers: { 'content-type': 'image/jpeg' }, body: Buffer.from('garbage '.repeat(500)) }) },
      { name: 'truncated JPEG', expect: 422, run: () => send(`${url}/v1/analyze`, { headers: { 'content-type': 'image/jpeg' }, body: jpeg.subarray(0, jpeg.length >> 1) }) },
      { name: '100 MB body', expect: 413, run: () => send(`${url}/v1/analyze`, { headers: { 'content-type': 'image/jpeg', 'content-length': 100 * 1024 * 1024 }, bodyBytes: 100 * 1024 * 1024 }) },
      { name: 'wrong content type', expect: 415, run: () => send(`${url}/v1/analyze`, { headers: { 'content-type': 'text/plain' }, body: Buffer.from('hello') }) },
    ];
    const burst: { name: string; expect: number; got: number | string; ok: boolean }[] = [];
    for (let round = 0; round < 3; round++) {
      for (const b of bad) {
        const got = await b.run().then((x) => x.status, (e: Error) => `error: ${e.message}`);
        burst.push({ name: b.name, expect: b.expect, got, ok: got === b.expect });
        const good = await send(`${url}/v1/analyze`, { headers: { 'content-type': 'image/jpeg' }, body: image }).then((x) => x.status, (e: Error) => `error: ${e.message}`);
        burst.push({ name: 'good image', expect: 200, got: good, ok: good === 200 });
      }
    }
    const failures = burst.filter((b) => !b.ok);
    for (const f of failures) console.log(`burst FAILURE: ${f.name}: expected ${f.expect}, got ${f.got}`);
    const m = await metrics();
    console.log(`burst: ${burst.length - failures.length}/${burst.length} as expected; RSS ${(rssStart / 1048576).toFixed(0)} MiB at start, ${(rssAfterLoad / 1048576).toFixed(0)} after load, ${(m.memory.rssBytes / 1048576).toFixed(0)} at end`);
    const summary = {
      url, model: modelNote, image: imageNote, imageBytes: image.length, facesPerImage, durationSeconds: duration, connections,
      requestsPerSecond: Math.round(r.requests.average * 10) / 10, requests: r.requests.total,
      latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
      statusCodes: codes, count5xx: fiveXX, errors: r.errors, timeouts: r.timeouts,
      rssBytes: { start: rssStart, afterLoad: rssAfterLoad, end: m.memory.rssBytes },
      burst: { total: burst.length, asExpected: burst.length - failures.length, failures },
      serverMetrics: m.routes['POST /v1/analyze'],
    };
    console.log(JSON.stringify(summary));
    return fiveXX === 0 && failures.length === 0 && r.errors === 0 ? 0 : 1;
  } finally {
    child.kill('SIGTERM');
    await tmp.cleanup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main().then((c) => process.exit(c), (e) => { console.error(`server-bench: ${e?.stack ?? e}`); process.exit(1); });
