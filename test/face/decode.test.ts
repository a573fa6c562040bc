import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anchorsFor, FRONT_ANCHORS } from '../../src/face/anchors.js';
import { decodeBlazeFace, letterbox, sigmoid } from '../../src/face/decode.js';
import { KEYPOINT_NAMES } from '../../src/face/types.js';

const close = (a: number, b: number, what: string, tol = 1e-4) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} != ${b}`);

test('sigmoid clips logits to +-100 (no NaN/Infinity)', () => {
  close(sigmoid(0), 0.5, 'sigmoid(0)');
  close(sigmoid(3), 1 / (1 + Math.exp(-3)), 'sigmoid(3)');
  assert.equal(sigmoid(1e6), 1 / (1 + Math.exp(-100)));
  assert.equal(sigmoid(-1e6), 1 / (1 + Math.exp(100)));
});

test('letterbox of a 400x200 image into 128: scale 0.32, padded 32 px top and bottom', () => {
  const t = letterbox({ x: 0, y: 0, width: 400, height: 200 }, 128);
  close(t.scale, 0.32, 'scale'); close(t.offsetX, 0, 'offsetX'); close(t.offsetY, 32, 'offsetY');
  // a tile starting at (100, 50) of size 200x100 -> scale 0.64, offsets -64 and 32 - 32 = 0
  const u = letterbox({ x: 100, y: 50, width: 200, height: 100 }, 128);
  close(u.scale, 0.64, 'tile scale'); close(u.offsetX, -64, 'tile offsetX'); close(u.offsetY, 0, 'tile offsetY');
});

test('decodes one synthetic detection to hand-computed box and keypoints in a 400x200 image', () => {
  const anchors = anchorsFor(FRONT_ANCHORS);
  const scores = new Float32Array(896).fill(-10);
  const boxes = new Float32Array(896 * 16);
  // Coarse grid cell x=5, y=3, its third anchor: centre (5.5/8, 3.5/8) * 128 = (88, 56) model pixels.
  const k = 512 + (3 * 8 + 5) * 6 + 2;
  scores[k] = 3;
  boxes.set([4, 10, 40, 48, /* keypoints */ -10, -8, 10, -8, 0, 0, 0, 12, -20, 0, 20, 0], k * 16);
  scores[7] = 0.3; // below the threshold (sigmoid 0.57 < 0.6)
  scores[9] = NaN; // ignored
  const t = letterbox({ x: 0, y: 0, width: 400, height: 200 }, 128);
  const faces = decodeBlazeFace(scores, boxes, anchors, { inputSize: 128, minScore: 0.6, transform: t });
  assert.equal(faces.length, 1);
  const f = faces[0];
  // model box: centre (92, 66), size 40x48 -> corners (72, 42); image = (model - offset) / 0.32
  close(f.x, 72 / 0.32, 'x'); // 225
  close(f.y, (42 - 32) / 0.32, 'y'); // 31.25
  close(f.width, 40 / 0.32, 'width'); // 125
  close(f.height, 48 / 0.32, 'height'); // 150
  close(f.score, 1 / (1 + Math.exp(-3)), 'score');
  assert.deepEqual(f.keypoints.map((p) => p.name), [...KEYPOINT_NAMES]);
  const expected = [[78, 48], [98, 48], [88, 56], [88, 68], [68, 56], [108, 56]].map(([x, y]) => [x / 0.32, (y - 32) / 0.32]);
  f.keypoints.forEach((p, i) => { close(p.x, expected[i][0], `${p.name}.x`); close(p.y, expected[i][1], `${p.name}.y`); });
  close(f.keypoints[0].x, 243.75, 'rightEye.x by hand'); close(f.keypoints[0].y, 50, 'rightEye.y by hand');
});

test('without a transform, boxes are in model pixels; wrong tensor sizes are reported', () => {
  const anchors = anchorsFor(FRONT_ANCHORS);
  const scores = new Float32Array(896).fill(-10), boxes = new Float32Array(896 * 16);
  scores[0] = 5; boxes.set([0, 0, 8, 8], 0);
  const [f] = decodeBlazeFace(scores, boxes, anchors, { inputSize: 128, minScore: 0.5 });
  close(f.x, 0, 'x'); close(f.y, 0, 'y'); close(f.width, 8, 'w'); // anchor 0 centre = (4, 4)
  assert.throws(() => decodeBlazeFace(scores.subarray(1), boxes, anchors, { inputSize: 128, minScore: 0.5 }), /896 scores/);
});
