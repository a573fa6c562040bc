/**
 * Annotated video output: boxes and labels drawn straight into each RGB frame, frames piped into ffmpeg
 * as rawvideo and encoded to a temporary file next to the target, renamed into place only once ffmpeg
 * has finished successfully (an interrupted run never leaves a truncated video under the final name).
 *
 * Boxes are drawn in TS (a few rectangle fills per face, far cheaper than rendering an SVG overlay per
 * frame); the label strips ("#1 happy 87%") are rendered once per distinct text by sharp (librsvg) and
 * cached, then alpha-blended into the frames.
 */
import { spawn } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { esc } from '../eval/report.js';
import { mkdirSync } from 'node:fs';
import type { RgbImage } from '../face/index.js';
import { ffmpegPath } from './video-decode.js';
import type { FrameResult } from './video.js';

/** Distinct colours per track id. */
const TRACK_COLORS: [number, number, number][] = [
  [230, 25, 75], [60, 180, 75], [67, 99, 216], [245, 130, 49], [145, 30, 180], [66, 212, 244], [240, 50, 230], [191, 239, 69],
];
export const trackColor = (id: number): [number, number, number] => TRACK_COLORS[(id - 1 + TRACK_COLORS.length * 1000) % TRACK_COLORS.length];

function fillRect(img: RgbImage, x0: number, y0: number, x1: number, y1: number, c: [number, number, number]): void {
  x0 = Math.max(0, Math.round(x0)); y0 = Math.max(0, Math.round(y0));
  x1 = Math.min(img.width, Math.round(x1)); y1 = Math.min(img.height, Math.round(y1));
  for (let y = y0; y < y1; y++) {
    let i = (y * img.width + x0) * 3;
    for (let x = x0; x < x1; x++, i += 3) { img.data[i] = c[0]; img.data[i + 1] = c[1]; img.data[i + 2] = c[2]; }
  }
}

/** An outline of thickness `t` inside-and-outside the box edges. */
export function strokeRect(img: RgbImage, box: { x: number; y: number; width: number; height: number }, t: number, c: [number, number, number]): void {
  const { x, y, width: w, height: h } = box, a = t / 2;
  fillRect(img, x - a, y - a, x + w + a, y + a, c);
  fillRect(img, x - a, y + h - a, x + w + a, y + h + a, c);
  fillRect(img, x - a, y - a, x + a, y + h + a, c);
  fillRect(img, x + w - a, y - a, x + w + a, y + h + a, c);
}

interface Sprite { data: Uint8Array; width: number; height: number } // RGBA

/** Renders and caches label strips (text on a coloured background) with sharp. */
export class LabelSprites {
  private cache = new Map<string, Promise<Sprite>>();
  constructor(readonly fontSize: number) {}

  get(text: string, c: [number, number, number]): Promise<Sprite> {
    const key = `${c.join(',')}|${text}`;
    let s = this.cache.get(key);
    if (!s) {
      if (this.cache.size > 4096) this.cache.clear();
      s = this.render(text, c);
      this.cache.set(key, s);
    }
    return s;
  }

  private async render(text: string, c: [number, number, number]): Promise<Sprite> {
    const { default: sharp } = await import('sharp');
    const f = this.fontSize, w = Math.ceil(text.length * f * 0.62 + 8), h = f + 6;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="rgb(${c.join(',')})" fill-opacity="0.85"/>` +
      `<text x="4" y="${f}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="${f}" fill="#fff">${esc(text)}</text></svg>`;
    const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  }
}

function blit(img: RgbImage, s: Sprite, x0: number, y0: number): void {
  x0 = Math.round(x0); y0 = Math.round(y0);
  for (let y = Math.max(0, -y0); y < s.height && y0 + y < img.height; y++) {
    for (let x = Math.max(0, -x0); x < s.width && x0 + x < img.width; x++) {
      const si = (y * s.width + x) * 4, a = s.data[si + 3];
      if (!a) continue;
      const di = ((y0 + y) * img.width + x0 + x) * 3;
      for (let k = 0; k < 3; k++) img.data[di + k] = (s.data[si + k] * a + img.data[di + k] * (255 - a) + 127) / 255;
    }
  }
}

/** Draws every track of `frame` into `img` (in place): a box in the track's colour and a label strip. */
export async function drawFrameAnnotations(img: RgbImage, frame: FrameResult, sprites: LabelSprites): Promise<void> {
  const t = Math.max(2, Math.round(Math.max(img.width, img.height) / 300));
  for (const tr of frame.tracks) {
    const c = trackColor(tr.id);
    strokeRect(img, tr.box, t, c);
    const s = await sprites.get(`#${tr.id} ${tr.label} ${Math.round(tr.confidence * 100)}%`, c);
    const above = tr.box.y - t / 2 - s.height;
    blit(img, s, tr.box.x - t / 2, above >= 0 ? above : tr.box.y + tr.box.height + t / 2);
  }
}

let encodersCache: Promise<string> | undefined;
/** The encoder list of the ffmpeg binary (`ffmpeg -encoders`), cached. */
export function ffmpegEncoders(): Promise<string> {
  encodersCache ??= new Promise((resolve) => {
    const p = spawn(ffmpegPath(), ['-hide_banner', '-encoders'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (s: string) => { out += s; });
    p.on('error', () => resolve(''));
    p.on('close', () => resolve(out));
  });
  return encodersCache;
}

/** ffmpeg codec arguments for a container (by extension), preferring H.264 and falling back to MPEG-4 part 2. */
export async function encoderArgs(path: string): Promise<string[]> {
  const ext = extname(path).toLowerCase();
  const list = await ffmpegEncoders();
  const has = (name: string) => new RegExp(`^\\s*V\\S*\\s+${name}\\s`, 'm').test(list);
  if (ext === '.webm') {
    if (has('libvpx-vp9')) return ['-c:v', 'libvpx-vp9', '-b:v', '0', '-crf', '34', '-deadline', 'realtime', '-cpu-used', '8', '-pix_fmt', 'yuv420p'];
    if (has('libvpx')) return ['-c:v', 'libvpx', '-b:v', '2M', '-deadline', 'realtime', '-cpu-used', '8', '-pix_fmt', 'yuv420p'];
    throw new Error(`${path}: this ffmpeg cannot encode WebM (no libvpx): use .mp4`);
  }
  if (ext !== '.avi' && has('libx264')) return ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', ...(ext === '.mp4' || ext === '.mov' ? ['-movflags', '+faststart'] : [])];
  return ['-c:v', 'mpeg4', '-q:v', '4', '-pix_fmt', 'yuv420p'];
}

export const ANNOTATE_EXTENSIONS = ['.mp4', '.mkv', '.mov', '.avi', '.webm'];

export interface VideoEncoder {
  /** appends one frame (width x height RGB); resolves when ffmpeg has taken it */
  write(image: RgbImage): Promise<void>;
  /** closes the stream, waits for ffmpeg and renames the temp file to the target */
  finish(): Promise<void>;
  /** stops ffmpeg and removes the temp file */
  abort(): void;
}

/** Starts an ffmpeg encoding rawvideo RGB frames of the given size and rate into `path`. */
export async function createVideoEncoder(path: string, o: { width: number; height: number; fps: number }): Promise<VideoEncoder> {
  const ext = extname(path).toLowerCase();
  if (!ANNOTATE_EXTENSIONS.includes(ext)) throw new Error(`--annotate ${path}: unknown video format '${ext}' (use ${ANNOTATE_EXTENSIONS.join(', ')})`);
  mkdirSync(dirname(path) || '.', { recursive: true });
  const tmp = join(dirname(path), `.${basename(path, extname(path))}.${process.pid}.tmp${ext}`);
  // yuv420p (what players expect) needs even sizes: pad by one pixel where odd
  const pad = o.width % 2 || o.height % 2 ? ['-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2'] : [];
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${o.width}x${o.height}`,
    '-r', String(o.fps), '-i', '-', ...pad, ...(await encoderArgs(path)), tmp];
  const proc = spawn(ffmpegPath(), args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '', failed: Error | undefined;
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (s: string) => { if (stderr.length < 1 << 16) stderr += s; });
  const exited = new Promise<number | null>((resolve) => {
    proc.on('error', (err) => { failed = new Error(`cannot run ffmpeg (${ffmpegPath()}): ${err.message}`); resolve(-1); });
    proc.on('close', (code) => resolve(code));
  });
  proc.stdin.on('error', (err) => { failed ??= new Error(`${path}: ffmpeg stopped taking frames (${err.message})${stderr.trim() ? `: ${stderr.trim()}` : ''}`); });
  const frameBytes = o.width * o.height * 3;
  const cleanup = () => rmSync(tmp, { force: true });
  return {
    async write(image) {
      if (failed) throw failed;
      if (image.data.length !== frameBytes) throw new Error(`${path}: frame of ${image.width}x${image.height}, expected ${o.width}x${o.height}`);
      if (!proc.stdin.write(image.data)) {
        await new Promise<void>((resolve) => {
          const done = () => { proc.stdin.off('drain', done); proc.off('close', done); resolve(); };
          proc.stdin.on('drain', done); proc.on('close', done);
        });
      }
      if (failed) throw failed;
    },
    async finish() {
      proc.stdin.end();
      const code = await exited;
      if (failed || code !== 0) {
        cleanup();
        throw failed ?? new Error(`${path}: ffmpeg failed encoding (exit code ${code})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join('; ')}` : ''}`);
      }
      renameSync(tmp, path);
    },
    abort() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      exited.then(cleanup, cleanup);
    },
  };
}
