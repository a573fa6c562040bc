/**
 * Video decoding with the ffmpeg binary of @ffmpeg-installer/ffmpeg (a 2018 static build without
 * ffprobe). Frames come out of ffmpeg as raw packed RGB24 over a pipe, read by a worker thread so that
 * decoding runs ahead while the caller runs inference, and are handed over one at a time (an async
 * generator with bounded, credit-based backpressure): a video is never held in memory whole.
 *
 * Metadata (size, frame rate, duration) comes from the banner ffmpeg prints on stderr for `ffmpeg -i
 * <file>`; `probeVideo` turns it into a VideoInfo, or into a clear error: a missing file, a file ffmpeg
 * cannot read, or "<file> has no video stream".
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { RgbImage } from '../face/index.js';
import type { DecodeWorkerCommand, DecodeWorkerData, DecodeWorkerMessage } from './video-decode-worker.js';

/** Path of the ffmpeg binary (FERKIT_FFMPEG overrides the bundled one). */
export function ffmpegPath(): string {
  if (process.env.FERKIT_FFMPEG) return process.env.FERKIT_FFMPEG;
  try {
    const req = createRequire(import.meta.url);
    return (req('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch {
    throw new Error('ffmpeg is not available: the npm package @ffmpeg-installer/ffmpeg is not installed (run `npm install`, or set FERKIT_FFMPEG)');
  }
}

export interface VideoInfo {
  file: string;
  /** frame size as decoded (after ffmpeg's autorotation, so a 90°-rotated phone video is portrait) */
  width: number;
  height: number;
  /** the stream's native frame rate (frames per second; NaN when ffmpeg does not report one) */
  fps: number;
  /** seconds (NaN when unknown, e.g. a live stream) */
  duration: number;
  /** round(duration * fps): an estimate from the banner; the decoder's count is authoritative */
  frameCount: number;
  codec: string;
  hasAudio: boolean;
}

export interface VideoFrame {
  /** 0-based index among the frames the decoder returns (at the sampled rate when `fps` is set) */
  index: number;
  /** seconds from the start of the video */
  time: number;
  image: RgbImage;
}

/** Runs ffmpeg with `args` to completion, returning its exit code and stderr. */
function runFfmpeg(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(ffmpegPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (s: string) => { if (stderr.length < 1 << 20) stderr += s; });
    p.on('error', (err) => reject(new Error(`cannot run ffmpeg (${ffmpegPath()}): ${err.message}`)));
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

function checkFile(file: string): void {
  let st;
  try { st = statSync(file); } catch (err: any) {
    throw new Error(err?.code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${err?.code ?? err?.message})`);
  }
  if (st.isDirectory()) throw new Error(`${file} is a folder, not a video`);
}

/** The last meaningful lines of an ffmpeg stderr, for error messages. */
function tail(stderr: string, lines = 3): string {
  return stderr.split(/\r?\n|\r/).map((l) => l.trim()).filter((l) => l && !/^(frame=|size=|video:|Press \[q\])/.test(l)).slice(-lines).join('; ');
}

/**
 * Parses the stderr banner of `ffmpeg -i <file>` (exported for tests). Throws "<file> has no video
 * stream" when the input has streams but none is video, and "<file> is not a video ffmpeg can read"
 * when ffmpeg found no input at all.
 */
export function parseBanner(file: string, stderr: string): VideoInfo {
  if (!/^Input #0/m.test(stderr)) {
    const why = /Invalid data found when processing input/.test(stderr) ? 'invalid data' : tail(stderr, 2).replace(`${file}: `, '') || 'unknown error';
    throw new Error(`${file} is not a video ffmpeg can read (${why})`);
  }
  const video = stderr.split(/\r?\n/).find((l) => /^\s*Stream #0:\d+.*: Video: /.test(l));
  if (!video) throw new Error(`${file} has no video stream`);
  const desc = video.slice(video.indexOf('Video: ') + 7);
  const size = /, (\d+)x(\d+)(?=[,\s\[]|$)/.exec(desc);
  if (!size) throw new Error(`${file}: cannot read the frame size from ffmpeg's description of its video stream (${desc})`);
  let width = Number(size[1]), height = Number(size[2]);
  const rate = (unit: string) => {
    const m = new RegExp(`([\\d.]+)(k?) ${unit}\\b`).exec(desc);
    return m ? Number(m[1]) * (m[2] ? 1000 : 1) : NaN;
  };
  let fps = rate('fps');
  if (!(fps > 0) || fps > 1000) fps = rate('tbr');
  if (!(fps > 0) || fps > 1000) fps = NaN;
  const d = /Duration: (\d+):(\d+):([\d.]+)/.exec(stderr);
  const duration = d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : NaN;
  // ffmpeg autorotates on decode: a stream tagged rotate 90/270 comes out with width and height swapped
  const rot = /^\s*rotate\s*:\s*(-?\d+)/m.exec(stderr.slice(stderr.indexOf(video)));
  if (rot && Math.abs(Number(rot[1])) % 180 === 90) [width, height] = [height, width];
  return {
    file, width, height, fps, duration,
    frameCount: Number.isFinite(duration) && fps > 0 ? Math.max(1, Math.round(duration * fps)) : NaN,
    codec: desc.split(/[\s,(]/)[0],
    hasAudio: /^\s*Stream #0:\d+.*: Audio: /m.test(stderr),
  };
}

/** Size, frame rate and duration of a video, from ffmpeg's banner (fast: nothing is decoded). */
export async function probeVideo(file: string): Promise<VideoInfo> {
  checkFile(file);
  const { stderr } = await runFfmpeg(['-hide_banner', '-nostdin', '-i', file]); // exits 1: no output given
  return parseBanner(file, stderr);
}

export interface DecodeOptions {
  /** sample the video at this many frames per second (ffmpeg's fps filter); default: every frame */
  fps?: number;
  /** a probeVideo result for `file`, to skip probing again */
  info?: VideoInfo;
  /** stops decoding (the generator then throws an AbortError) */
  signal?: AbortSignal;
}

/** Frames decoded ahead of the consumer: at most 8, at most 64 MiB, at least 2 (to overlap at all). */
export function framesInFlight(frameBytes: number): number {
  return Math.max(2, Math.min(8, Math.floor((64 << 20) / frameBytes)));
}

/** How long a stopping decoder worker may take to kill and reap ffmpeg before it is terminated. */
const STOP_GRACE_MS = 2000;

/**
 * Frames of `file` as packed RGB, one at a time, in order. Breaking out of the loop stops ffmpeg. Each
 * frame's pixels are a fresh buffer the caller may keep. The frame rate of the output is `fps` when set,
 * else the video's own; `time` is index / that rate.
 *
 * ffmpeg's pipe is read by a worker thread (video-decode-worker.ts), not here: callers run inference
 * (onnxruntime-node's synchronous `run`) on this thread between frames, and a pipe read here would sit
 * full (the OS pipe buffer is 64 KiB) and stall ffmpeg for as long as inference runs. The worker sends
 * whole frames (transferred, not copied) and decodes up to framesInFlight() frames ahead; each frame
 * taken from the queue gives it credit for one more, so a slow consumer holds ffmpeg back instead of
 * buffering the video in memory.
 */
export async function* decodeFrames(file: string, opts: DecodeOptions = {}): AsyncGenerator<VideoFrame> {
  if (opts.fps !== undefined && !(opts.fps > 0 && Number.isFinite(opts.fps))) throw new RangeError(`decodeFrames: fps must be a positive number, got ${opts.fps}`);
  const info = opts.info ?? (await probeVideo(file));
  const { width, height } = info;
  const frameBytes = width * height * 3;
  const rate = opts.fps ?? (info.fps > 0 ? info.fps : 25);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', file, '-map', '0:v:0', '-an', '-sn'];
  // without the fps filter, a variable-frame-rate input may come out with duplicated/dropped frames
  // under rawvideo's default (cfr) sync; passthrough keeps exactly the decoded frames
  if (opts.fps) args.push('-vf', `fps=${opts.fps}`); else args.push('-vsync', 'passthrough');
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', '-');
  const signal = opts.signal;
  signal?.throwIfAborted();
  const workerData: DecodeWorkerData = { ffmpeg: ffmpegPath(), args, frameBytes, credit: framesInFlight(frameBytes) };
  // execArgv: [] because the worker inherits the parent's node options by default, and some are fatal
  // in a worker (`node --input-type=module -e ...` makes it fail at start); it needs none of them
  const worker = new Worker(new URL('./video-decode-worker.js', import.meta.url), { workerData, execArgv: [] });

  const queue: Uint8Array[] = [];
  let end: Extract<DecodeWorkerMessage, { type: 'end' }> | undefined;
  let failure: Error | undefined;
  let pid: number | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  const notify = () => { const w = wake; wake = undefined; w?.(); };
  worker.on('message', (m: DecodeWorkerMessage) => {
    if (m instanceof ArrayBuffer) queue.push(new Uint8Array(m));
    else if (m.type === 'pid') pid = m.pid;
    else if (m.type === 'end') end = m;
    else if (m.type === 'error') failure ??= new Error(m.message);
    notify();
  });
  worker.on('error', (err) => { failure ??= new Error(`${file}: the video decoding thread failed: ${err.message}`); notify(); });
  const workerExit = new Promise<void>((resolve) => worker.once('exit', (code) => {
    if (!end && !stopping) failure ??= new Error(`${file}: the video decoding thread stopped unexpectedly (exit code ${code})`);
    notify();
    resolve();
  }));
  // an abort stops ffmpeg at once, even while the consumer is busy with a frame; the consumer's next
  // step then throws the AbortError
  const onAbort = () => { stopping = true; worker.postMessage({ type: 'stop' } satisfies DecodeWorkerCommand); notify(); };
  signal?.addEventListener('abort', onAbort, { once: true });

  try {
    for (let index = 0; ; ) {
      signal?.throwIfAborted();
      const data = queue.shift();
      if (data) {
        worker.postMessage({ type: 'credit', n: 1 } satisfies DecodeWorkerCommand);
        yield { index, time: index / rate, image: { data, width, height } };
        index++;
      } else if (failure) {
        throw failure;
      } else if (end) {
        if (end.code !== 0) throw new Error(`${file}: ffmpeg failed decoding (exit code ${end.code})${tail(end.stderr) ? `: ${tail(end.stderr)}` : ''}`);
        if (end.fill) throw new Error(`${file}: ffmpeg returned a partial frame (${end.fill} of ${frameBytes} bytes): is the reported size ${width}x${height} right?`);
        return;
      } else {
        await new Promise<void>((resolve) => { wake = resolve; });
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // always stop the worker, and wait until it has killed and reaped ffmpeg: after a break, an abort
    // or an error, nothing is left running (or as a zombie) and nothing keeps the event loop alive
    stopping = true;
    worker.postMessage({ type: 'stop' } satisfies DecodeWorkerCommand);
    // last resort for a worker that does not answer: end the thread and kill ffmpeg by pid (unreaped,
    // it may then linger as a zombie until this process exits)
    const timer = setTimeout(() => {
      void worker.terminate();
      if (pid !== undefined) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }, STOP_GRACE_MS);
    await workerExit;
    clearTimeout(timer);
  }
}

/** Frames the decoder will probably return for `info` sampled at `fps` (an estimate, for progress bars). */
export function expectedFrames(info: VideoInfo, fps?: number): number {
  if (!fps) return info.frameCount;
  return Number.isFinite(info.duration) ? Math.max(1, Math.round(info.duration * fps)) : NaN;
}
