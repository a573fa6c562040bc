import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IouTracker } from '../../src/pipeline/tracker.js';

const box = (x: number, y: number, s = 100) => ({ x, y, width: s, height: s });
const ids = (t: IouTracker, dets: ReturnType<typeof box>[], frame?: number) => t.update(dets, frame).map((m) => m.id);

test('tracker: a face moving steadily keeps its id; a second face gets a new one', () => {
  const t = new IouTracker();
  assert.deepEqual(ids(t, [box(0, 0)]), [1]);
  for (let f = 1; f < 20; f++) assert.deepEqual(ids(t, [box(f * 10, 0)]), [1], `frame ${f}`);
  assert.deepEqual(ids(t, [box(500, 300), box(200, 0)]), [2, 1]); // order of detections does not matter
  assert.equal(t.tracks.length, 2);
});

test('tracker: two faces crossing paths keep their ids (greedy by best overlap)', () => {
  const t = new IouTracker();
  // A moves right, B moves left, at the same height; they pass each other between frames 5 and 6
  const seq: number[][] = [];
  for (let f = 0; f <= 10; f++) {
    const a = box(f * 20, 0), b = box(200 - f * 20, 10);
    // present B first on odd frames, so matching cannot rely on the input order
    seq.push(f % 2 ? ids(t, [b, a], f).reverse() : ids(t, [a, b], f));
  }
  for (const s of seq) assert.deepEqual(s, [1, 2]);
});

test('tracker: a face missing for up to maxMissed frames keeps its id, longer gets a new one', () => {
  const t = new IouTracker({ maxMissed: 3 });
  assert.deepEqual(ids(t, [box(0, 0)], 0), [1]);
  for (let f = 1; f <= 3; f++) assert.deepEqual(ids(t, [], f), []);
  assert.equal(t.tracks.length, 1);
  assert.deepEqual(ids(t, [box(5, 0)], 4), [1], '3 missed frames: same face');
  for (let f = 5; f <= 8; f++) ids(t, [], f);
  assert.equal(t.tracks.length, 0, 'dropped after 4 missed frames');
  assert.deepEqual(ids(t, [box(5, 0)], 9), [2], 'reappearing after that: new id');
});

test('tracker: frame gaps count as missed frames (detection every k-th frame)', () => {
  const t = new IouTracker({ maxMissed: 10 });
  ids(t, [box(0, 0)], 0);
  assert.deepEqual(ids(t, [box(2, 0)], 11), [1]); // 10 frames not seen
  assert.deepEqual(ids(t, [box(4, 0)], 23), [2]); // 11 frames not seen
});

test('tracker: a detection overlapping under the threshold starts a new track; ids are never reused', () => {
  const t = new IouTracker({ iouThreshold: 0.3 });
  ids(t, [box(0, 0)]);
  assert.deepEqual(ids(t, [box(60, 0)]), [2]); // IoU 40*100/(2*10000-4000) = 0.25
  assert.deepEqual(ids(t, [box(60, 0), box(65, 0)]), [2, 3]); // one detection per track
  const t2 = new IouTracker({ maxMissed: 0 });
  ids(t2, [box(0, 0)]); ids(t2, []); ids(t2, []);
  assert.deepEqual(ids(t2, [box(0, 0)]), [2]);
});

test('tracker: the bigger overlap wins when two detections compete for one track', () => {
  const t = new IouTracker();
  ids(t, [box(0, 0)]);
  const m = t.update([box(40, 0), box(5, 0)]);
  assert.deepEqual(m.map((x) => [x.id, x.isNew]), [[2, true], [1, false]]);
  assert.deepEqual(t.current().map((x) => x.id).sort(), [1, 2]);
});

test('tracker: rejects frames out of order and bad options', () => {
  const t = new IouTracker();
  t.update([], 5);
  assert.throws(() => t.update([], 5), /not after the previous frame 5/);
  assert.throws(() => new IouTracker({ iouThreshold: 0 }), /iouThreshold/);
  assert.throws(() => new IouTracker({ maxMissed: -1 }), /maxMissed/);
});
