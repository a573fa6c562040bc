import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createBlazeFace, planPasses, tileGrid, minFaceSize, TILE_OVERLAP } from '../../src/face/blazeface.js';
import { loadRgb } from '../../src/face/image.js';
import { alignFace } from '../../src/face/align.js';
import type { RgbImage } from '../../src/face/types.js';

const PHOTOS = new URL('../../../../shared/media/photos/', import.meta.url).pathname; // dist/test/face -> repo/../shared
const haveShared = existsSync(PHOTOS);
const skipShared = haveShared ? false : `needs ${PHOTOS} (shared test photos, absent here)`;

const detector = await createBlazeFace({ threads: 1 });
after(() => detector.close());

test('auto plan: front + back on small images, plus overlapping back tiles on large ones', () => {
  assert.deepEqual(planPasses(500, 300, 'auto').map((p) => p.model), ['front', 'back']);
  assert.deepEqual(planPasses(500, 300, 'front').map((p) => p.model), ['front']);
  const big = planPasses(1920, 1280, 'auto');
  assert.equal(big.length, 6);
  const tiles = tileGrid(1920, 1280, 2);
  assert.equal(tiles.length, 4);
  // Tiles cover the image, stay inside it and overlap by TILE_OVERLAP of their side.
  for (const t of tiles) assert.ok(t.x >= 0 && t.y >= 0 && t.x + t.width <= 1920 && t.y + t.height <= 1280);
  assert.equal(Math.max(...tiles.map((t) => t.x + t.width)), 1920);
  assert.equal(Math.max(...tiles.map((t) => t.y + t.height)), 1280);
  const overlap = tiles[0].x + tiles[0].width - tiles[1].x;
  assert.ok(overlap >= TILE_OVERLAP * tiles[0].width - 1, `overlap ${overlap}`);
  assert.ok(Math.abs(minFaceSize(710, 473, planPasses(710, 473, 'auto')) - (12 * 710) / 256) < 1e-9);
});

test('a blank image has no faces; bad input and options give clear errors', async () => {
  const blank: RgbImage = { data: new Uint8Array(64 * 48 * 3).fill(128), width: 64, height: 48 };
  assert.deepEqual(await detector.detect(blank), []);
  await assert.rejects(detector.detect({ data: new Uint8Array(10), width: 64, height: 48 }), /needs 9216 bytes/);
  await assert.rejects(detector.detect(blank, { minScore: 2 }), /minScore must be in \[0, 1\]/);
  await assert.rejects(createBlazeFace({ model: 'side' as 'front' }), /model must be 'front', 'back' or 'auto'/);
  await assert.rejects(createBlazeFace({ modelDir: '/nonexistent' }), /model file .* not found/);
});

const inside = (img: RgbImage, f: { x: number; y: number; width: number; height: number }) =>
  f.x >= -0.05 * f.width && f.y >= -0.05 * f.height && f.x + f.width <= img.width + 0.05 * f.width && f.y + f.height <= img.height + 0.05 * f.height;

test('real photos: exactly one face in happy.jpg, with keypoints in place', { skip: skipShared }, async () => {
  const img = await loadRgb(PHOTOS + 'happy.jpg');
  const faces = await detector.detect(img);
  assert.equal(faces.length, 1, `faces: ${JSON.stringify(faces.map((f) => f.score))}`);
  const [f] = faces;
  assert.ok(f.score > 0.9 && inside(img, f));
  const k = Object.fromEntries(f.keypoints.map((p) => [p.name, p]));
  assert.ok(k.rightEye.x < k.leftEye.x, 'subject right eye is on the image left');
  assert.ok(k.nose.y > k.rightEye.y && k.mouth.y > k.nose.y, 'eyes above nose above mouth');
  for (const p of f.keypoints) assert.ok(p.x > f.x - f.width * 0.2 && p.x < f.x + f.width * 1.2 && p.y > f.y && p.y < f.y + f.height, `${p.name} near the box`);
  assert.equal(alignFace(img, f).length, 48 * 48);
});

test('real photos: the single-face photos give one face each; group photo bbt4.jpg gives >= 3 (6 people)', { skip: skipShared }, async () => {
  for (const name of ['angry.jpg', 'disgusted.jpg', 'fearful.jpg', 'neutral.jpg']) {
    assert.equal((await detector.detect(await loadRgb(PHOTOS + name))).length, 1, name);
  }
  const img = await loadRgb(PHOTOS + 'bbt4.jpg');
  const faces = await detector.detect(img);
  assert.ok(faces.length >= 3, `bbt4.jpg: ${faces.length} faces`);
  assert.equal(faces.length, 6, 'all six faces of bbt4.jpg (measured)');
  for (const f of faces) assert.ok(inside(img, f), `box inside the image: ${JSON.stringify(f)}`);
});
