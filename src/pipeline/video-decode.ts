/**
 * Video decoding with the ffmpeg binary of @ffmpeg-installer/ffmpeg (a 2018 static build without
 * ffprobe). Frames come out of ffmpeg as raw packed RGB24 over a pipe and are handed over one at a time
 * (an async generator reading the pipe with backpressure): a video is never held in memory whole.
 *
 * Metadata (size, frame rate, duration) comes from the banner ffmpeg prints on stderr for `ffmpeg -i
 * <file>`; `probeVideo` turns it into a VideoInfo, or into a clear error: a missing file, a file ffmpeg
 * cannot read, or "<file> has no video stream".
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import type { RgbImage } from '../face/index.js';

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

/**
 * Frames of `file` as packed RGB, one at a time, in order. Breaking out of the loop stops ffmpeg. Each
 * frame's pixels are a fresh buffer the caller may keep. The frame rate of the output is `fps` when set,
 * else the video's own; `time` is index / that rate.
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
  const proc = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (s: string) => { if (stderr.length < 1 << 16) stderr += s; });
  const exited = new Promise<number | null>((resolve, reject) => {
    proc.on('error', (err) => reject(new Error(`cannot run ffmpeg (${ffmpegPath()}): ${err.message}`)));
    proc.on('close', (code, sig) => resolve(code ?? (sig ? -1 : null)));
  });
  exited.catch(() => undefined); // surfaced below
  const onAbort = () => proc.kill('SIGKILL');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let done = false;
  try {
    let frame = new Uint8Array(frameBytes), fill = 0, index = 0;
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(frameBytes - fill, chunk.length - off);
        frame.set(chunk.subarray(off, off + n), fill);
        fill += n; off += n;
        if (fill === frameBytes) {
          yield { index, time: index / rate, image: { data: frame, width, height } };
          index++;
          frame = new Uint8Array(frameBytes); fill = 0;
        }
      }
    }
    opts.signal?.throwIfAborted();
    const code = await exited;
    if (code !== 0) throw new Error(`${file}: ffmpeg failed decoding (exit code ${code})${tail(stderr) ? `: ${tail(stderr)}` : ''}`);
    if (fill) throw new Error(`${file}: ffmpeg returned a partial frame (${fill} of ${frameBytes} bytes): is the reported size ${width}x${height} right?`);
    done = true;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!done && proc.exitCode === null) proc.kill('SIGKILL');
  }
}

/** Frames the decoder will probably return for `info` sampled at `fps` (an estimate, for progress bars). */
export function expectedFrames(info: VideoInfo, fps?: number): number {
  if (!fps) return info.frameCount;
  return Number.isFinite(info.duration) ? Math.max(1, Math.round(info.duration * fps)) : NaN;
}
