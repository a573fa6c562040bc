import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FaceBox, RgbImage } from '../../src/face/index.js';
import type { FaceResult, Recognizer } from '../../src/pipeline/recognizer.js';
import { analyzeVideo, type VideoAnalysis } from '../../src/pipeline/video.js';
import { renderTimelineHtml, renderTimelineSvg, writeTimeline } from '../../src/pipeline/timeline.js';
import { tempDir, testClip } from './video-fixtures.test.js';

const LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];

/**
 * A scripted recognizer: on its n-th analyze call it "detects" faces[n] (boxes), classifying a face as
 * happy when it is left of x = 70 and sad otherwise.
 */
function fakeRecognizer(script: { x: number; y: number }[][]): Recognizer & { analyzeCalls: number; classifyCalls: number } {
  const classify = (faces: FaceBox[]): FaceResult[] => faces.map((f) => {
    const probabilities = Object.fromEntries(LABELS.map((l) => [l, l === (f.x < 70 ? 'happy' : 'sad') ? 0.94 : 0.01]));
    const label = f.x < 70 ? 'happy' : 'sad';
    return { box: { x: f.x, y: f.y, width: f.width, height: f.height }, keypoints: f.keypoints, detectorScore: f.score, probabilities, label, confidence: 0.94 };
  });
  const r = {
    labels: LABELS, analyzeCalls: 0, classifyCalls: 0,
    async analyze(_img: unknown) {
      const boxes = script[r.analyzeCalls++] ?? [];
      return classify(boxes.map((b) => ({ ...b, width: 50, height: 50, score: 0.9, keypoints: [] })));
    },
    async classifyFaces(_img: RgbImage, faces: FaceBox[]) { r.classifyCalls++; return classify(faces); },
    async close() { /* nothing */ },
  };
  return r as unknown as Recognizer & { analyzeCalls: number; classifyCalls: number };
}

test('analyzeVideo: per-frame tracks, smoothing, summaries; detectEvery tracks between detections', async (t) => {
  const { dir, cleanup } = await tempDir('analyze');
  t.after(cleanup);
  const file = await testClip(join(dir, 'clip.avi'), '160x120', 10, 1);
  // face 1 walks right from x=40 (happy) to x=85 (sad from x=70, frame 6); face 2 appears at frame 3 and leaves after frame 6
  const script = Array.from({ length: 10 }, (_, f) => [{ x: 40 + f * 5, y: 10 }, ...(f >= 3 && f <= 6 ? [{ x: 10, y: 70 }] : [])]);
  const fer = fakeRecognizer(script);
  const seen: number[] = [];
  const v = await analyzeVideo(file, { recognizer: fer, onProgress: (d, total) => { seen.push(d); assert.equal(total, 10); } });
  assert.equal(v.frameCount, 10);
  assert.equal(v.frames.length, 10);
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(v.frames.map((f) => f.tracks.map((x) => x.id)), [[1], [1], [1], [1, 2], [1, 2], [1, 2], [1, 2], [1], [1], [1]]);
  assert.deepEqual(v.tracks.map((x) => [x.id, x.firstFrame, x.lastFrame, x.frames]), [[1, 0, 9, 10], [2, 3, 6, 4]]);
  assert.equal(v.tracks[1].dominant, 'happy');
  assert.ok(Math.abs(v.tracks[1].firstTime - 0.3) < 1e-9 && Math.abs(v.tracks[1].lastTime - 0.6) < 1e-9);
  // face 1 turns sad at frame 6 (x=70): raw switches at once, the smoothed label lags (tau 0.5 s)
  const f6 = v.frames[6].tracks[0];
  assert.equal(f6.raw.sad, 0.94);
  assert.equal(f6.label, 'happy');
  assert.ok(f6.probabilities.sad > 0.01 && f6.probabilities.sad < 0.5);
  const expectSad = 0.01 + 0.93 * (1 - Math.exp(-0.4 / 0.5)); // 0.4 s after the step (last happy frame at 0.5 s)
  assert.ok(Math.abs(v.frames[9].tracks[0].probabilities.sad - expectSad) < 1e-6);
  assert.equal(fer.analyzeCalls, 10);

  // detection every 3rd frame: boxes carried in between, classification still every frame
  const fer3 = fakeRecognizer(script.filter((_, f) => f % 3 === 0));
  const v3 = await analyzeVideo(file, { recognizer: fer3, detectEvery: 3, timeConstant: 0 });
  assert.equal(fer3.analyzeCalls, 4);
  assert.equal(fer3.classifyCalls, 6);
  assert.deepEqual(v3.frames.map((f) => f.tracks.map((x) => `${x.id}${x.detected ? 'd' : 'c'}`).join(' ')),
    ['1d', '1c', '1c', '1d 2d', '1c 2c', '1c 2c', '1d 2d', '1c 2c', '1c 2c', '1d']);
  assert.equal(v3.frames[2].tracks[0].box.x, 40, 'carried box is the last detected one');

  // timeline renderings of a real analysis
  const svg = renderTimelineSvg(v, { title: 'Test' });
  assert.match(svg, /^<svg /);
  assert.match(svg, /face #1/);
  assert.match(svg, /face #2/);
  for (const l of LABELS) assert.ok(svg.includes(`>${l}</text>`), `legend has ${l}`);
  const html = renderTimelineHtml(v);
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /<script|src="http|href="http/);
  for (const ext of ['svg', 'html', 'png']) await writeTimeline(join(dir, `t.${ext}`), v);
  const png = await readFile(join(dir, 't.png'));
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  await assert.rejects(writeTimeline(join(dir, 't.jpg'), v), /unknown format/);
});

test('timeline: an analysis without faces says so', () => {
  const v: VideoAnalysis = { file: 'x.mp4', width: 10, height: 10, fps: 10, sourceFps: 10, duration: 1, labels: LABELS, frameCount: 10,
    frames: Array.from({ length: 10 }, (_, i) => ({ frame: i, time: i / 10, tracks: [] })), tracks: [] };
  assert.match(renderTimelineSvg(v), /no faces found/);
  assert.match(renderTimelineHtml(v), /0 faces tracked/);
});
