/**
 * `ferkit serve`: the HTTP API and the web app (live webcam recognition in the browser, photo and video
 * upload) on http://127.0.0.1:8080 by default. Stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startServer, DEFAULT_LIMITS, type ServerLimits } from '../../server/index.js';
import type { ClassifierTta } from '../../pipeline/classifier.js';
import { parseClassifierTta } from './predict.js';

const USAGE = `Usage: ferkit serve [--port 8080] [--host 127.0.0.1] [--model tiny|PATH] [--tta none|flip] [--json]
                   [--max-upload-mb 10] [--max-video-mb 100] [--max-concurrent 4] [--max-queue 16]

  --port            TCP port (0 picks a free one; default 8080)
  --host            interface to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for the network)
  --model           bundled model name or .safetensors file (default tiny)
  --tta             flip: classify each face and its mirror image, logits averaged (more accurate, twice
                    the classifier's time; default none); for the API and the page's photo and video
                    uploads, not its webcam view, which classifies in the browser
  --json            log JSON lines (one per request) instead of a short human log
  --max-upload-mb   largest image upload, MiB (default 10)
  --max-video-mb    largest video upload, MiB (default 100)
  --max-concurrent  analyses running at once (default 4)
  --max-queue       analyses waiting for a slot before 429 (default 16)
`;

function num(v: string | undefined, name: string, min: number, max: number, integer = true): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got '${v}'`);
  }
  return n;
}

export async function serveCommand(argv: string[]): Promise<number> {
  let a, port: number, limits: ServerLimits, tta: ClassifierTta;
  try {
    const p = parseArgs({ args: argv, strict: true, allowPositionals: false, options: {
      port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, model: { type: 'string', default: 'tiny' },
      tta: { type: 'string', default: 'none' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
      'max-upload-mb': { type: 'string' }, 'max-video-mb': { type: 'string' }, 'max-concurrent': { type: 'string' }, 'max-queue': { type: 'string' },
    } });
    a = p.values;
    if (a.help) { process.stdout.write(USAGE); return 0; }
    port = num(a.port, 'port', 0, 65535)!;
    if (!a.host) throw new Error('--host must not be empty');
    tta = parseClassifierTta(a.tta!);
    const mb = (v: number | undefined) => (v === undefined ? undefined : Math.round(v * 1024 * 1024));
    limits = {
      maxUploadBytes: mb(num(a['max-upload-mb'], 'max-upload-mb', 0.01, 1024, false)),
      maxVideoBytes: mb(num(a['max-video-mb'], 'max-video-mb', 0.01, 4096, false)),
      maxConcurrent: num(a['max-concurrent'], 'max-concurrent', 1, 256),
      maxQueue: num(a['max-queue'], 'max-queue', 0, 10000),
    };
  } catch (err: any) {
    console.error(`ferkit serve: ${err.message}\n\n${USAGE}`);
    return 2;
  }

  let server;
  try {
    server = await startServer({ model: a.model, tta, host: a.host, port, limits, logger: a.json });
  } catch (err: any) {
    const msg = String(err?.message ?? err);
    const hint = err?.code === 'EADDRINUSE' ? ` (port ${port} is taken: pass --port with another one, or --port 0)`
      : /model '.*' not found/.test(msg) ? ' (train one with `ferkit train`, or pass --model path/to/model.safetensors)' : '';
    console.error(`ferkit serve: could not start: ${msg}${hint}`);
    return 1;
  }
  const { url, close } = server;
  const l = { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) };
  if (a.json) {
    console.log(JSON.stringify({ msg: 'listening', url, model: a.model, limits: l }));
  } else {
    console.log(`ferkit serve: listening on ${url}  (web app ${url}/ · API docs ${url}/docs · model ${a.model})`);
    console.log(`  limits: uploads ${(l.maxUploadBytes / 1048576).toFixed(0)} MiB, videos ${(l.maxVideoBytes / 1048576).toFixed(0)} MiB, ${l.maxPixels / 1e6} MP, ${l.maxConcurrent} concurrent analyses + ${l.maxQueue} queued; Ctrl-C stops`);
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (sig: string) => {
      if (stopping) return;
      stopping = true;
      if (!a.json) console.log(`ferkit serve: ${sig}, stopping`);
      close().then(() => resolve(0), (e) => { console.error(`ferkit serve: error while stopping: ${e?.message ?? e}`); resolve(1); });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
