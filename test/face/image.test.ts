import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadRgb } from '../../src/face/image.js';

const dir = await mkdtemp(join(tmpdir(), 'ferkit-face-image-'));
after(() => rm(dir, { recursive: true, force: true }));

/** A w x h RGB gradient, so orientation and channel order are visible. */
function gradient(w: number, h: number): Buffer {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.set([(x * 255) / (w - 1), (y * 255) / (h - 1), 100], (y * w + x) * 3);
  return px;
}
const jpeg = (w: number, h: number) => sharp(gradient(w, h), { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 });

test('loads a JPEG file as packed 8-bit RGB', async () => {
  const file = join(dir, 'ok.jpg');
  await jpeg(40, 30).toFile(file);
  const img = await loadRgb(file);
  assert.equal(img.width, 40); assert.equal(img.height, 30); assert.equal(img.data.length, 40 * 30 * 3);
  assert.ok(img.data[(0 * 40 + 39) * 3] > 230 && img.data[2] > 80 && img.data[2] < 120, 'red grows to the right, blue ~100');
});

test('EXIF orientation 6 is applied: dimensions come back swapped', async () => {
  const buf = await jpeg(40, 30).withMetadata({ orientation: 6 }).toBuffer();
  assert.equal((await sharp(buf).metadata()).orientation, 6);
  const img = await loadRgb(buf);
  assert.deepEqual([img.width, img.height], [30, 40]);
  // Orientation 6 = rotate 90 degrees clockwise to display: the stored top row (red gradient, green 0) becomes the right column.
  assert.ok(img.data[(0 * 30 + 29) * 3 + 1] < 30 && img.data[(0 * 30 + 0) * 3 + 1] > 220, 'stored top edge is now on the right');
});

test('gray, 16-bit, RGBA and CMYK inputs all become 8-bit RGB', async () => {
  const gray = await sharp(Buffer.alloc(16 * 16, 77), { raw: { width: 16, height: 16, channels: 1 } }).png().toBuffer();
  const g = await loadRgb(gray);
  assert.equal(g.data.length, 16 * 16 * 3);
  assert.ok(g.data.every((v) => v === 77));

  const rgb16 = await sharp(gradient(16, 16), { raw: { width: 16, height: 16, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
  assert.equal((await sharp(rgb16).metadata()).depth, 'ushort');
  const d16 = await loadRgb(rgb16);
  assert.equal(d16.data.length, 16 * 16 * 3);
  assert.ok(Math.abs(d16.data[15 * 3] - 255) <= 1 && Math.abs(d16.data[2] - 100) <= 1, '16-bit scaled, not truncated');

  const rgba = Buffer.alloc(8 * 8 * 4); // fully transparent black
  const a = await loadRgb(await sharp(rgba, { raw: { width: 8, height: 8, channels: 4 } }).png().toBuffer());
  assert.ok(a.data.every((v) => v === 255), 'transparent pixels flattened onto white');

  const cmyk = await jpeg(16, 16).toColourspace('cmyk').toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const c = await loadRgb(cmyk);
  assert.equal(c.data.length, 16 * 16 * 3);
});

test('clear errors for missing, text, corrupt and truncated files, naming the file', async () => {
  await assert.rejects(loadRgb(join(dir, 'nope.jpg')), /could not read .*nope\.jpg/);
  const text = join(dir, 'notes.txt');
  await writeFile(text, 'just some text, not an image\n');
  await assert.rejects(loadRgb(text), /notes\.txt is not a readable image/);
  const corrupt = join(dir, 'corrupt.jpg');
  await writeFile(corrupt, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 0x5a)]));
  await assert.rejects(loadRgb(corrupt), /corrupt\.jpg/);
  const whole = await jpeg(200, 150).toBuffer();
  const cut = join(dir, 'truncated.jpg');
  await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
  await assert.rejects(loadRgb(cut), /could not decode .*truncated\.jpg/);
  await assert.rejects(loadRgb(Buffer.alloc(0)), /empty/);
});

test('images over maxPixels are refused from the header, with the size in the message', async () => {
  const buf = await jpeg(40, 30).toBuffer();
  await assert.rejects(loadRgb(buf, { maxPixels: 1000, name: 'big.jpg' }), /big\.jpg is 40x30 = 1200 pixels, over the limit of 1000/);
  assert.equal((await loadRgb(buf, { maxPixels: 1200 })).width, 40);
});
