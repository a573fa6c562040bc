import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeFrames, framesInFlight, parseBanner, probeVideo } from '../../src/pipeline/video-decode.js';
import { audioOnly, lavfi, tempDir, testClip } from './video-fixtures.test.js';

/** pids of ffmpeg processes whose parent is this process, zombies included (Linux /proc; [] elsewhere) */
function ffmpegChildren(): number[] {
  if (!existsSync('/proc/self/stat')) return [];
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (ppid === process.pid && comm === 'ffmpeg') pids.push(Number(d));
    } catch { /* exited meanwhile */ }
  }
  return pids;
}

/** The colour of frame i in patternClip. */
const colour = (i: number) => [(i * 5) % 256, (255 - i * 3 + 768) % 256, (i * 11 + 7) % 256];

/** `frames` solid-colour frames (frame i is colour(i)), losslessly coded (PNG in Matroska). */
const patternClip = (out: string, size: string, frames: number) =>
  lavfi(`color=c=black:s=${size}:r=30,format=rgb24,geq=r='mod(N*5,256)':g='mod(255-N*3+768,256)':b='mod(N*11+7,256)'`, out,
    ['-frames:v', String(frames), '-c:v', 'png']);

/** Index of the first pixel of `data` that is not `rgb`, or -1. */
function firstMismatch(data: Uint8Array, rgb: number[]): number {
  for (let p = 0; p < data.length; p += 3) if (data[p] !== rgb[0] || data[p + 1] !== rgb[1] || data[p + 2] !== rgb[2]) return p / 3;
  return -1;
}

test('video decode: probe and decode a generated clip frame by frame', async (t) => {
  const { dir, cleanup } = await tempDir('decode');
  t.after(cleanup);
  const file = await testClip(join(dir, 'clip.avi'));
  const info = await probeVideo(file);
  assert.equal(info.width, 320);
  assert.equal(info.height, 240);
  assert.equal(info.fps, 10);
  assert.ok(Math.abs(info.duration - 1) < 0.05, `duration ${info.duration}`);
  assert.equal(info.frameCount, 10);
  assert.equal(info.hasAudio, false);
  const frames = [];
  for await (const f of decodeFrames(file, { info })) {
    assert.equal(f.image.data.length, 320 * 240 * 3);
    assert.equal(f.image.width, 320);
    frames.push({ index: f.index, time: f.time, mean: f.image.data.reduce((s, v) => s + v, 0) / f.image.data.length });
  }
  assert.equal(frames.length, 10);
  assert.deepEqual(frames.map((f) => f.index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(Math.abs(frames[3].time - 0.3) < 1e-9);
  assert.ok(frames.every((f) => f.mean > 20 && f.mean < 235), 'real pixels, not a blank buffer');

  // sampling at 5 fps: half the frames, times at 0.2 s steps
  const sampled = [];
  for await (const f of decodeFrames(file, { fps: 5 })) sampled.push(f.time);
  assert.equal(sampled.length, 5);
  assert.ok(Math.abs(sampled[1] - 0.2) < 1e-9);

  // breaking out early stops ffmpeg cleanly
  let n = 0;
  for await (const _ of decodeFrames(file, { info })) if (++n === 2) break;
  assert.equal(n, 2);
});

test('video decode: no video stream, missing file, not a video', async (t) => {
  const { dir, cleanup } = await tempDir('errors');
  t.after(cleanup);
  const wav = await audioOnly(join(dir, 'tone.wav'));
  await assert.rejects(probeVideo(wav), (e: Error) => e.message === `${wav} has no video stream`);
  await assert.rejects(async () => { for await (const _ of decodeFrames(wav)) { /* none */ } }, /has no video stream/);
  const missing = join(dir, 'missing.mp4');
  await assert.rejects(probeVideo(missing), new RegExp(`${missing}: no such file`));
  const text = join(dir, 'notes.mp4');
  await writeFile(text, 'this is not a video\n'.repeat(20));
  await assert.rejects(probeVideo(text), new RegExp(`${text} is not a video ffmpeg can read`));
  await assert.rejects(probeVideo(dir), /is a folder, not a video/);
  await assert.rejects(async () => { for await (const _ of decodeFrames(wav, { fps: 0 })) { /* none */ } }, /fps must be a positive number/);
});

test('video decode: banner parsing (codec tags, k-rates, rotation, tbr fallback)', () => {
  const banner = (stream: string, extra = '') => `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mp4':\n  Duration: 00:01:02.50, start: 0.000000, bitrate: 1 kb/s\n    Stream #0:0(und): Video: ${stream}\n${extra}    Stream #0:1(und): Audio: aac (LC), 44100 Hz, stereo\n`;
  const a = parseBanner('x.mp4', banner('h264 (High) (avc1 / 0x31637661), yuv420p, 1920x1080 [SAR 1:1 DAR 16:9], 5000 kb/s, 29.97 fps, 29.97 tbr, 90k tbn, 59.94 tbc (default)'));
  assert.deepEqual([a.width, a.height, a.fps, a.duration, a.frameCount, a.codec, a.hasAudio], [1920, 1080, 29.97, 62.5, 1873, 'h264', true]);
  const r = parseBanner('x.mp4', banner('h264 (avc1 / 0x31637661), yuv420p, 1280x720, 25 tbr, 90k tbn', '    Metadata:\n      rotate          : 90\n'));
  assert.deepEqual([r.width, r.height, r.fps], [720, 1280, 25]);
  assert.throws(() => parseBanner('y.mp3', 'Input #0, mp3, from \'y.mp3\':\n    Stream #0:0: Audio: mp3\n'), /^Error: y.mp3 has no video stream$/);
});

test('video decode: frames arrive whole and in order, also for a slow consumer (frames decoded on a thread)', async (t) => {
  const { dir, cleanup } = await tempDir('pattern');
  t.after(cleanup);
  assert.equal(framesInFlight(320 * 240 * 3), 8);
  assert.equal(framesInFlight(3840 * 2160 * 3), 2);
  assert.equal(framesInFlight(1920 * 1080 * 3), 8);
  // tiny frames: one 64 KiB pipe read holds dozens of frames, more than the worker may send ahead;
  // big frames: each frame spans many pipe reads
  for (const [size, count, delayMs] of [['33x17', 40, 0], ['33x17', 24, 3], ['640x360', 12, 0], ['640x360', 10, 15]] as const) {
    const file = await patternClip(join(dir, `p-${size}-${count}.mkv`), size, count);
    const [w, h] = size.split('x').map(Number);
    const kept: Uint8Array[] = [];
    let n = 0;
    for await (const f of decodeFrames(file)) {
      assert.equal(f.index, n, `${size}: frame ${n} in order`);
      assert.deepEqual([f.image.width, f.image.height, f.image.data.length], [w, h, w * h * 3]);
      assert.equal(firstMismatch(f.image.data, colour(n)), -1, `${size}: frame ${n} is colour(${n}) throughout`);
      kept.push(f.image.data);
      n++;
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs)); // the worker runs ahead, then waits for credit
    }
    assert.equal(n, count, `${size}: all ${count} frames`);
    // frames are the caller's to keep: none was reused for a later one
    kept.forEach((d, i) => assert.equal(firstMismatch(d, colour(i)), -1, `${size}: kept frame ${i} intact`));
  }
});

test('video decode: breaking out early stops ffmpeg and the decoding thread', async (t) => {
  const { dir, cleanup } = await tempDir('break');
  t.after(cleanup);
  const file = await testClip(join(dir, 'clip.avi'), '320x240', 25, 4); // 100 frames: ffmpeg is still running at the break
  const info = await probeVideo(file);
  for (const stopAt of [1, 5]) {
    let n = 0;
    for await (const _ of decodeFrames(file, { info })) {
      if (n === 0 && existsSync('/proc/self/stat')) assert.equal(ffmpegChildren().length, 1, 'ffmpeg runs (held back by the credit) while frames are consumed');
      if (++n === stopAt) break;
    }
    assert.equal(n, stopAt);
    assert.deepEqual(ffmpegChildren(), [], 'ffmpeg is gone (killed and reaped) once the loop is left');
  }
  // an error thrown in the loop body stops it the same way
  await assert.rejects(async () => { for await (const _ of decodeFrames(file, { info })) throw new Error('consumer failed'); }, /consumer failed/);
  assert.deepEqual(ffmpegChildren(), []);

  // nothing is left to keep the event loop alive: a process that breaks out early exits by itself
  const mod = fileURLToPath(new URL('../../src/pipeline/video-decode.js', import.meta.url));
  const script = `import { decodeFrames } from ${JSON.stringify(mod)};
    let n = 0; for await (const f of decodeFrames(${JSON.stringify(file)})) if (++n === 3) break;
    console.log('frames', n);`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
  assert.equal(stdout.trim(), 'frames 3');
});

test('video decode: abort mid-stream throws an AbortError and stops ffmpeg', async (t) => {
  const { dir, cleanup } = await tempDir('abort');
  t.after(cleanup);
  const file = await testClip(join(dir, 'clip.avi'), '320x240', 25, 4);
  const info = await probeVideo(file);
  // aborted by the consumer between frames
  const stop = new AbortController();
  let n = 0;
  await assert.rejects(async () => {
    for await (const _ of decodeFrames(file, { info, signal: stop.signal })) if (++n === 3) stop.abort();
  }, (e: Error) => e.name === 'AbortError');
  assert.equal(n, 3, 'no frame after the abort');
  assert.deepEqual(ffmpegChildren(), []);
  // aborted from elsewhere while the consumer waits for a frame, and already aborted before the start
  const later = new AbortController();
  setTimeout(() => later.abort(), 30);
  await assert.rejects(async () => { for await (const _ of decodeFrames(file, { info, signal: later.signal })) await new Promise((r) => setTimeout(r, 5)); },
    (e: Error) => e.name === 'AbortError');
  await assert.rejects(async () => { for await (const _ of decodeFrames(file, { info, signal: AbortSignal.abort() })) { /* none */ } }, (e: Error) => e.name === 'AbortError');
  assert.deepEqual(ffmpegChildren(), []);
});

test('video decode: ffmpeg errors name the file (partial frame, missing binary)', async (t) => {
  const { dir, cleanup } = await tempDir('fail');
  t.after(cleanup);
  const file = await testClip(join(dir, 'clip.avi'));
  const info = await probeVideo(file);
  // a wrong size: 10 frames of 320x240 are not a whole number of 100x100 frames
  let n = 0;
  await assert.rejects(async () => { for await (const _ of decodeFrames(file, { info: { ...info, width: 100, height: 100 } })) n++; },
    (e: Error) => e.message === `${file}: ffmpeg returned a partial frame (24000 of 30000 bytes): is the reported size 100x100 right?`);
  assert.equal(n, 76, 'the whole frames come first');
  const saved = process.env.FERKIT_FFMPEG;
  process.env.FERKIT_FFMPEG = join(dir, 'no-such-ffmpeg');
  try {
    await assert.rejects(async () => { for await (const _ of decodeFrames(file, { info })) { /* none */ } },
      (e: Error) => e.message.startsWith(`cannot run ffmpeg (${join(dir, 'no-such-ffmpeg')}): `) && /ENOENT/.test(e.message));
  } finally {
    if (saved === undefined) delete process.env.FERKIT_FFMPEG; else process.env.FERKIT_FFMPEG = saved;
  }
  assert.deepEqual(ffmpegChildren(), []);
});
