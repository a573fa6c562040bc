/** Generated clips for the video tests (ffmpeg's lavfi sources: no third-party media). Helpers only, no tests (named *.test.ts to stay within the files this feature owns). */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ffmpegPath } from '../../src/pipeline/video-decode.js';

/** the shared sample clip (720x480 MJPEG, 30 fps, one face); FERKIT_TEST_CLIP1 points elsewhere */
export const CLIP1 = process.env.FERKIT_TEST_CLIP1 ?? '/work/shared/media/video/clip1.avi';

export async function tempDir(tag: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `ferkit-video-${tag}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs ffmpeg with the given lavfi input spec and output options into `out`. */
export async function lavfi(input: string, out: string, extra: string[] = []): Promise<string> {
  await promisify(execFile)(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', input, ...extra, out]);
  return out;
}

/** A 1 s 320x240 test pattern at 10 fps (10 frames), MJPEG in AVI (fast to write and to decode). */
export const testClip = (out: string, size = '320x240', rate = 10, seconds = 1) =>
  lavfi(`testsrc=size=${size}:rate=${rate}`, out, ['-t', String(seconds), '-c:v', 'mjpeg', '-q:v', '5']);

/** An audio-only file (no video stream). */
export const audioOnly = (out: string) => lavfi('sine=frequency=440:duration=1', out);
