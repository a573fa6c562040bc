import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignFace, alignmentTransform, DEFAULT_ALIGN_MARGIN, DEFAULT_ALIGN_OFFSET_Y } from '../../src/face/align.js';
import { KEYPOINT_NAMES, type FaceBox, type RgbImage } from '../../src/face/types.js';

/** 200x200 light image with two dark discs ("eyes") 40 px apart around (100, 100), tilted by `deg`. */
function eyesImage(deg: number) {
  const W = 200, H = 200, data = new Uint8Array(W * H * 3).fill(200);
  const a = (deg * Math.PI) / 180;
  const eyes = [-20, 20].map((d) => ({ x: 100 + d * Math.cos(a), y: 100 + d * Math.sin(a) }));
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    for (const e of eyes) if (Math.hypot(x + 0.5 - e.x, y + 0.5 - e.y) <= 6) data.fill(20, (y * W + x) * 3, (y * W + x) * 3 + 3);
  }
  const image: RgbImage = { data, width: W, height: H };
  const face: FaceBox = {
    x: 50, y: 50, width: 100, height: 100, score: 1,
    keypoints: KEYPOINT_NAMES.map((name) => ({ name, x: 100, y: 120 })),
  };
  face.keypoints[0] = { name: 'rightEye', ...eyes[0] };
  face.keypoints[1] = { name: 'leftEye', ...eyes[1] };
  return { image, face };
}

/** Centroids of dark pixels in the left and right halves of a size*size gray image. */
function darkCentroids(g: Uint8Array, size: number) {
  const acc = [{ x: 0, y: 0, n: 0 }, { x: 0, y: 0, n: 0 }];
  for (let v = 0; v < size; v++) for (let u = 0; u < size; u++) {
    const w = Math.max(0, 150 - g[v * size + u]); // weight by darkness
    const c = acc[u < size / 2 ? 0 : 1];
    c.x += w * (u + 0.5); c.y += w * (v + 0.5); c.n += w;
  }
  return acc.map((c) => ({ x: c.x / c.n, y: c.y / c.n, n: c.n }));
}

test('a face tilted by 25 degrees comes out with level eyes at the expected positions', () => {
  const { image, face } = eyesImage(25);
  const size = 48, margin = 1.2;
  const g = alignFace(image, face, { size, margin, offsetY: 0 });
  assert.equal(g.length, size * size);
  const [l, r] = darkCentroids(g, size);
  assert.ok(l.n > 0 && r.n > 0, 'both eyes visible');
  // crop side 120 px -> 2.5 image px per output px; eyes +-20 px from the centre -> +-8 output px.
  assert.ok(Math.abs(l.y - r.y) < 0.5, `eyes level: ${l.y} vs ${r.y}`);
  assert.ok(Math.abs(l.x - 16) < 0.5 && Math.abs(r.x - 32) < 0.5, `eye x at 16 and 32: ${l.x}, ${r.x}`);
  assert.ok(Math.abs(l.y - 24) < 0.5, `eye y at 24: ${l.y}`);
  const t = alignmentTransform(face, { size, margin });
  assert.ok(Math.abs(t.angle - (25 * Math.PI) / 180) < 1e-9, 'angle from the eye keypoints');
});

test('without rotation the eyes stay tilted; offsetY moves the crop along the face', () => {
  const { image, face } = eyesImage(25);
  const [l, r] = darkCentroids(alignFace(image, face, { size: 48, margin: 1.2, offsetY: 0, rotate: false }), 48);
  assert.ok(r.y - l.y > 5, `tilt kept: ${l.y} -> ${r.y}`);
  // The defaults: margin 1.2 and the crop centre 0.09 box sides above the box centre, so the eyes
  // (at the box centre) sit 0.09 * 100 / 2.5 = 3.6 output px below the middle row.
  assert.equal(DEFAULT_ALIGN_MARGIN, 1.2);
  const [dl, dr] = darkCentroids(alignFace(image, face), 48);
  const expectedY = 24 - (DEFAULT_ALIGN_OFFSET_Y * 100) / 2.5;
  assert.ok(Math.abs(dl.y - expectedY) < 0.5 && Math.abs(dr.y - expectedY) < 0.5, `eyes at y ${expectedY}: ${dl.y}, ${dr.y}`);
});

test('grayscale uses BT.601 weights; outside the image the edge is repeated', () => {
  const W = 10, H = 10, data = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) { data[3 * i] = 255; data[3 * i + 1] = 0; data[3 * i + 2] = 0; }
  const face: FaceBox = { x: -20, y: -20, width: 50, height: 50, score: 1, keypoints: [] };
  const g = alignFace({ data, width: W, height: H }, face, { size: 8 });
  assert.ok(g.every((v) => v === 76), `pure red -> round(0.299 * 255) = 76, got ${[...new Set(g)]}`);
  assert.throws(() => alignFace({ data, width: W, height: H + 1 }, face), /needs 330 bytes/);
  assert.throws(() => alignFace({ data, width: W, height: H }, { ...face, width: 0 }), /positive size/);
});
