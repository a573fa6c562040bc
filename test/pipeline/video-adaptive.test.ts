// Scene-adaptive BlazeFace 'auto' on video: the per-frame policy (pure), and analyzeVideo driving a
// scripted BlazeFace-like detector over a generated clip (ffmpeg's lavfi: no third-party media).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { BlazeFaceDetectOptions, BlazeFaceDetector, BlazeFaceModel, FaceBox, FaceDetector, RgbImage } from '../../src/face/index.js';
import type { FaceResult, Recognizer } from '../../src/pipeline/recognizer.js';
import { AdaptiveDetectionPolicy, fullDetectFrames, type DetectionMode } from '../../src/pipeline/adaptive-detection.js';
import { analyzeVideo } from '../../src/pipeline/video.js';
import { tempDir, testClip } from './video-fixtures.test.js';

const LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
// a 160x120 frame: front-sized faces have a longer side >= 0.25 * 160 = 40 px
const W = 160, H = 120;
const box = (x: number, y: number, side: number) => ({ x, y, width: side, height: side });
const BIG = box(40, 10, 50), SMALL = box(10, 70, 20);

/** Runs the policy over detection frames, with `found(frame, mode)` as the detector; returns the modes run per frame. */
function simulate(p: AdaptiveDetectionPolicy, frames: number[], found: (f: number, m: DetectionMode) => { width: number; height: number }[], live: (f: number) => number = () => 1): string[] {
  return frames.map((f) => {
    const mode = p.decide(f);
    if (p.observe(f, mode, found(f, mode), W, H, live(f))) {
      assert.equal(mode, 'front', 'only a front-only result asks for a rerun');
      assert.equal(p.observe(f, 'full', found(f, 'full'), W, H, live(f)), false);
      return 'front+full';
    }
    return mode;
  });
}

test('policy: full on frame 0, front-only while faces are big (or absent), full on refresh frames', () => {
  const p = new AdaptiveDetectionPolicy({ fullEvery: 5 });
  assert.deepEqual(simulate(p, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], () => [BIG]),
    ['full', 'front', 'front', 'front', 'front', 'full', 'front', 'front', 'front', 'front', 'full', 'front']);
  // no face at all: front-only too, refreshed as often
  const none = new AdaptiveDetectionPolicy({ fullEvery: 3 });
  assert.deepEqual(simulate(none, [0, 1, 2, 3, 4, 5, 6], () => [], () => 0), ['full', 'front', 'front', 'full', 'front', 'front', 'full']);
  // exactly at the threshold counts as front-sized; a face of 39 px on a 160 px frame does not
  const edge = new AdaptiveDetectionPolicy({ fullEvery: 100 });
  assert.deepEqual(simulate(edge, [0, 1], () => [{ width: 30, height: 40 }]), ['full', 'front']);
  const under = new AdaptiveDetectionPolicy({ fullEvery: 100 });
  assert.deepEqual(simulate(under, [0, 1], () => [{ width: 39, height: 39 }]), ['full', 'full']);
  // fullEvery 1: the full plan on every detection frame (the behaviour before the policy)
  const every = new AdaptiveDetectionPolicy({ fullEvery: 1 });
  assert.deepEqual(simulate(every, [0, 1, 2, 3], () => [BIG]), ['full', 'full', 'full', 'full']);
});

test('policy: full on every frame while a small face is present, front-only again once it is gone', () => {
  const p = new AdaptiveDetectionPolicy({ fullEvery: 5 });
  // the small face is in frames 3..7: front-only frames 3-4 cannot see it, the refresh at 5 finds it
  const found = (f: number, m: DetectionMode) => [BIG, ...(m === 'full' && f >= 3 && f <= 7 ? [SMALL] : [])];
  assert.deepEqual(simulate(p, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], found),
    ['full', 'front', 'front', 'front', 'front', 'full', 'full', 'full', 'full', 'front', 'front', 'front', 'front', 'full']);
});

test('policy: a front-only frame with fewer faces than live tracks runs the full plan at once', () => {
  const p = new AdaptiveDetectionPolicy({ fullEvery: 10 });
  // two big faces; from frame 3 one of them shrinks under the front size (the front pass drops it)
  const found = (f: number, m: DetectionMode) => [BIG, ...(f < 3 || m === 'full' ? [box(100, 60, f < 3 ? 45 : 30)] : [])];
  assert.deepEqual(simulate(p, [0, 1, 2, 3, 4, 5], found, () => 2), ['full', 'front', 'front', 'front+full', 'full', 'full']);
  // and a face that leaves: full at once while its track is alive, then front-only when no track is left
  const q = new AdaptiveDetectionPolicy({ fullEvery: 10 });
  const live = (f: number) => (f <= 4 ? 1 : 0);
  assert.deepEqual(simulate(q, [0, 1, 2, 3, 4, 5, 6], (f) => (f < 2 ? [BIG] : []), live), ['full', 'front', 'front+full', 'front+full', 'front+full', 'front', 'front']);
});

test('policy: gaps between detection frames (detectEvery), and bad options', () => {
  const p = new AdaptiveDetectionPolicy({ fullEvery: 5 });
  assert.deepEqual(simulate(p, [0, 3, 6, 9, 12, 15], () => [BIG]), ['full', 'front', 'full', 'front', 'full', 'front']);
  assert.throws(() => p.decide(2), /frame 2 is before the previous frame 15/);
  assert.throws(() => new AdaptiveDetectionPolicy({ fullEvery: 0 }), /fullEvery must be a positive integer, got 0/);
  assert.throws(() => new AdaptiveDetectionPolicy({ fullEvery: 2.5 }), RangeError);
  assert.throws(() => new AdaptiveDetectionPolicy({ fullEvery: 2, frontMinSize: 2 }), /frontMinSize must be in \[0, 1\]/);
  assert.equal(fullDetectFrames(1, 30), 30);
  assert.equal(fullDetectFrames(1, 29.97), 30);
  assert.equal(fullDetectFrames(0.5, 10), 5);
  assert.equal(fullDetectFrames(0.001, 30), 1, 'at least one frame');
});

/**
 * A BlazeFace-like detector scripted per frame (the test advances `frame` in onFrame): a full detection
 * returns full(frame), a front-only one front(frame). Records the mode of every call.
 */
function scriptedDetector(policy: BlazeFaceDetector['policy'], full: (f: number) => FaceBox[], front: (f: number) => FaceBox[]) {
  const d = {
    policy, frame: 0, calls: [] as string[],
    plan: () => [],
    async detect(_img: RgbImage, opts: BlazeFaceDetectOptions = {}) {
      const models: readonly BlazeFaceModel[] = opts.models ?? ['front', 'back'];
      const mode = models.includes('back') ? 'full' : 'front';
      d.calls.push(`${d.frame}:${mode}`);
      return mode === 'full' ? full(d.frame) : front(d.frame);
    },
    async close() { /* nothing */ },
  };
  return d;
}

function fakeRecognizer(detector: FaceDetector | undefined) {
  const classify = (faces: FaceBox[]): FaceResult[] => faces.map((f) => ({ box: { x: f.x, y: f.y, width: f.width, height: f.height }, keypoints: f.keypoints,
    detectorScore: f.score, probabilities: Object.fromEntries(LABELS.map((l) => [l, l === 'happy' ? 0.94 : 0.01])), label: 'happy', confidence: 0.94 }));
  const r = {
    labels: LABELS, detector, analyzeCalls: 0, classifyCalls: 0,
    async analyze(img: RgbImage) { r.analyzeCalls++; return classify(detector ? await detector.detect(img) : []); },
    async classifyFaces(_img: RgbImage, faces: FaceBox[]) { r.classifyCalls++; return classify(faces); },
    async close() { /* nothing */ },
  };
  return r satisfies Recognizer;
}

const face = (b: { x: number; y: number; width: number; height: number }): FaceBox => ({ ...b, score: 0.9, keypoints: [] });

test('analyzeVideo: BlazeFace auto runs front-only between full detections, full while a small face is present', async (t) => {
  const { dir, cleanup } = await tempDir('adaptive');
  t.after(cleanup);
  const file = await testClip(join(dir, 'clip.avi'), `${W}x${H}`, 10, 1); // 10 frames at 10 fps
  // face A is big in frames 0-8 and shrinks under the front size in frame 9 (same place: same track);
  // face B is small, in frames 3-7: only full detections see it
  const a = (f: number) => face(f < 9 ? BIG : box(45, 15, 30));
  const full = (f: number) => [a(f), ...(f >= 3 && f <= 7 ? [face(SMALL)] : [])];
  const front = (f: number) => (f < 9 ? [a(f)] : []);
  const det = scriptedDetector('auto', full, front);
  const fer = fakeRecognizer(det);
  const v = await analyzeVideo(file, { recognizer: fer, fullDetectSeconds: 0.5, timeConstant: 0, onFrame: () => { det.frame++; } });
  assert.equal(v.frameCount, 10);
  assert.deepEqual(det.calls, ['0:full', '1:front', '2:front', '3:front', '4:front', '5:full', '6:full', '7:full', '8:full', '9:front', '9:full']);
  assert.equal(fer.analyzeCalls, 0, 'detection goes through the detector, classification through classifyFaces');
  assert.equal(fer.classifyCalls, 10);
  assert.deepEqual(v.frames.map((f) => f.tracks.map((x) => x.id).join(' ')), ['1', '1', '1', '1', '1', '1 2', '1 2', '1 2', '1', '1']);
  assert.equal(v.frames[9].tracks[0].box.width, 30, 'the shrunk face is found by the immediate full detection');
  assert.ok(v.frames[9].tracks[0].detected);

  // the default refresh is 1 s = 10 processed frames: one full detection, the rest front-only
  const det1 = scriptedDetector('auto', () => [face(BIG)], () => [face(BIG)]);
  await analyzeVideo(file, { recognizer: fakeRecognizer(det1), onFrame: () => { det1.frame++; } });
  assert.deepEqual(det1.calls, ['0:full', ...Array.from({ length: 9 }, (_, i) => `${i + 1}:front`)]);
  // sampled at 5 fps, a 0.4 s refresh is 2 processed frames
  const det5 = scriptedDetector('auto', () => [face(BIG)], () => [face(BIG)]);
  await analyzeVideo(file, { recognizer: fakeRecognizer(det5), fps: 5, fullDetectSeconds: 0.4, onFrame: () => { det5.frame++; } });
  assert.deepEqual(det5.calls, ['0:full', '1:front', '2:full', '3:front', '4:full']);
});

test('analyzeVideo: adaptive detection with detectEvery; other detectors and policies unchanged; bad option', async (t) => {
  const { dir, cleanup } = await tempDir('adaptive2');
  t.after(cleanup);
  const file = await testClip(join(dir, 'clip.avi'), `${W}x${H}`, 10, 1);
  const full = (f: number) => [face(BIG), ...(f >= 3 && f <= 7 ? [face(SMALL)] : [])];
  const det = scriptedDetector('auto', full, () => [face(BIG)]);
  const fer = fakeRecognizer(det);
  const v = await analyzeVideo(file, { recognizer: fer, detectEvery: 2, fullDetectSeconds: 0.5, timeConstant: 0, onFrame: () => { det.frame++; } });
  // detection frames 0 2 4 6 8: full at 0, front at 2 and 4 (the small face is missed), refresh at 6 finds it, full at 8
  assert.deepEqual(det.calls, ['0:full', '2:front', '4:front', '6:full', '8:full']);
  assert.equal(fer.classifyCalls, 10);
  assert.deepEqual(v.frames.map((f) => f.tracks.map((x) => `${x.id}${x.detected ? 'd' : 'c'}`).join(' ')),
    ['1d', '1c', '1d', '1c', '1d', '1c', '1d 2d', '1c 2c', '1d', '1c']);

  // fullDetectSeconds under one frame: the full plan on every frame
  const everyDet = scriptedDetector('auto', full, () => [face(BIG)]);
  await analyzeVideo(file, { recognizer: fakeRecognizer(everyDet), fullDetectSeconds: 0.01, onFrame: () => { everyDet.frame++; } });
  assert.deepEqual(everyDet.calls, Array.from({ length: 10 }, (_, i) => `${i}:full`));

  // BlazeFace 'front' (and any other detector): recognizer.analyze on every frame, as before
  for (const d of [scriptedDetector('front', full, full), { detect: async () => [face(BIG)], close: async () => {} }, undefined]) {
    const r = fakeRecognizer(d);
    const out = await analyzeVideo(file, { recognizer: r });
    assert.equal(r.analyzeCalls, 10);
    if (d && 'calls' in d) assert.ok(d.calls.every((c) => c.endsWith(':full')), 'no models restriction');
    assert.equal(out.frameCount, 10);
  }

  for (const bad of [0, -1, NaN, Infinity]) {
    await assert.rejects(analyzeVideo(file, { recognizer: fer, fullDetectSeconds: bad }),
      (e: Error) => e instanceof RangeError && e.message === `analyzeVideo: fullDetectSeconds must be a positive number of seconds, got ${bad}`);
  }
});
