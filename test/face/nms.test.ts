import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iou, nonMaxSuppression } from '../../src/face/nms.js';
import { KEYPOINT_NAMES, type FaceBox } from '../../src/face/types.js';

const box = (x: number, y: number, w: number, h: number, score: number): FaceBox => ({
  x, y, width: w, height: h, score,
  keypoints: KEYPOINT_NAMES.map((name) => ({ name, x: x + w / 2, y: y + h / 2 })),
});

test('iou of known boxes', () => {
  assert.equal(iou(box(0, 0, 10, 10, 1), box(5, 0, 10, 10, 1)), 50 / 150);
  assert.equal(iou(box(0, 0, 10, 10, 1), box(0, 0, 5, 5, 1)), 0.25);
  assert.equal(iou(box(0, 0, 10, 10, 1), box(10, 0, 10, 10, 1)), 0, 'touching edges');
  assert.equal(iou(box(0, 0, 10, 10, 1), box(50, 50, 10, 10, 1)), 0);
  assert.equal(iou(box(3, 4, 10, 10, 1), box(3, 4, 10, 10, 1)), 1);
  assert.equal(iou(box(0, 0, 0, 0, 1), box(0, 0, 0, 0, 1)), 0, 'empty boxes');
});

test('an overlapping pair becomes one score-weighted box; disjoint boxes both stay', () => {
  const a = box(0, 0, 10, 10, 0.9), b = box(2, 0, 10, 10, 0.6); // IoU 80/120 = 0.67
  const out = nonMaxSuppression([b, a]);
  assert.equal(out.length, 1);
  assert.equal(out[0].score, 0.9, 'keeps the best score');
  // x = (0.9*0 + 0.6*2) / 1.5 = 0.8; right edge = (0.9*10 + 0.6*12) / 1.5 = 10.8
  assert.ok(Math.abs(out[0].x - 0.8) < 1e-9 && Math.abs(out[0].width - 10) < 1e-9, `blended box ${out[0].x} ${out[0].width}`);
  assert.ok(Math.abs(out[0].keypoints[0].x - 5.8) < 1e-9, 'keypoints blended too');
  const hard = nonMaxSuppression([b, a], { mode: 'hard' });
  assert.equal(hard.length, 1);
  assert.equal(hard[0].x, 0, 'hard NMS keeps the top box unchanged');

  const both = nonMaxSuppression([box(0, 0, 10, 10, 0.7), box(50, 50, 10, 10, 0.8)]);
  assert.deepEqual(both.map((f) => f.score), [0.8, 0.7], 'sorted by score');
});

test('IoU threshold and maxFaces are honoured; inputs are not mutated', () => {
  const a = box(0, 0, 10, 10, 0.9), b = box(5, 0, 10, 10, 0.8); // IoU 1/3
  assert.equal(nonMaxSuppression([a, b], { iouThreshold: 0.3 }).length, 1);
  assert.equal(nonMaxSuppression([a, b], { iouThreshold: 0.5 }).length, 2);
  const many = [0, 1, 2, 3].map((i) => box(i * 100, 0, 10, 10, 0.5 + i / 10));
  assert.equal(nonMaxSuppression(many, { maxFaces: 2 }).length, 2);
  assert.equal(a.x, 0);
  assert.equal(nonMaxSuppression([]).length, 0);
});
