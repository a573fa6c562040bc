import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeFrames, parseBanner, probeVideo } from '../../src/pipeline/video-decode.js';
import { audioOnly, tempDir, testClip } from './video-fixtures.test.js';

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
