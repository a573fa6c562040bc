import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeFace, decodeMany } from '../../src/data/decode.js';
import { encodeGray, flatPixels, put, putGray, tempDir } from './fixtures.js';

const tmp = await tempDir('decode');
after(tmp.cleanup);

const stats = (px: Uint8Array) => {
  let min = 255, max = 0, sum = 0;
  for (const v of px) { min = Math.min(min, v); max = Math.max(max, v); sum += v; }
  return { min, max, mean: sum / px.length };
};
const near = (px: Uint8Array, level: number, tol: number, what: string) => {
  const s = stats(px);
  assert.ok(s.min >= level - tol && s.max <= level + tol, `${what}: pixels in ${s.min}..${s.max}, expected ${level} +- ${tol}`);
};

test('decodes 48x48 PNG, TIFF, lossless WebP and GIF exactly', async () => {
  for (const fmt of ['png', 'tiff', 'webp', 'gif'] as const) {
    const file = await putGray(join(tmp.dir, `flat.${fmt}`), 100, fmt);
    const px = await decodeFace(file);
    assert.equal(px.length, 48 * 48);
    near(px, 100, 0, fmt);
  }
});

test('decodes a 60x40 JPEG to 48x48', async () => {
  const px = await decodeFace(await putGray(join(tmp.dir, 'wide.jpg'), 150, 'jpeg', 60, 40));
  assert.equal(px.length, 48 * 48);
  near(px, 150, 2, 'jpeg');
});

test('non-square images are centre-cropped, not stretched', async () => {
  // 60x40: 10 black columns, 40 grey, 10 white. The centre 40x40 square is all grey.
  const w = 60, h = 40, src = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) src[y * w + x] = x < 10 ? 0 : x >= 50 ? 255 : 128;
  const px = await decodeFace(await put(join(tmp.dir, 'bars.png'), await encodeGray(src, w, h)));
  near(px, 128, 0, 'centre crop');
  const px32 = await decodeFace(join(tmp.dir, 'bars.png'), 32);
  assert.equal(px32.length, 32 * 32);
});

test('RGBA is flattened onto black; RGB becomes gray', async () => {
  const w = 48, h = 48, rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) { rgba.fill(200, i * 4, i * 4 + 3); rgba[i * 4 + 3] = i < (w * h) / 2 ? 255 : 0; }
  const px = await decodeFace(await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toBuffer(), { name: 'rgba.png' });
  near(px.subarray(0, 24 * 48), 200, 0, 'opaque half');
  near(px.subarray(24 * 48), 0, 0, 'transparent half');
  const rgb = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) { rgb[i * 3] = 255; rgb[i * 3 + 1] = 0; rgb[i * 3 + 2] = 0; }
  const red = stats(await decodeFace(await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer()));
  assert.ok(red.min === red.max && red.min > 40 && red.min < 200, `pure red should be a uniform mid gray, got ${red.min}..${red.max}`);
});

test('16-bit PNG is scaled to 8 bits', async () => {
  const u16 = new Uint16Array(48 * 48).fill(30000);
  const png16 = await sharp(u16, { raw: { width: 48, height: 48, channels: 1 } }).toColourspace('grey16').png().toBuffer();
  assert.equal((await sharp(png16).metadata()).depth, 'ushort');
  near(await decodeFace(png16), Math.round(30000 / 257), 1, '16-bit');
});

test('CMYK JPEG decodes to a uniform gray', async () => {
  const rgb = Buffer.alloc(48 * 48 * 3, 100);
  const cmyk = await sharp(rgb, { raw: { width: 48, height: 48, channels: 3 } }).toColourspace('cmyk').jpeg().toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const s = stats(await decodeFace(cmyk));
  assert.ok(s.max - s.min <= 2 && Math.abs(s.mean - 100) < 20, `CMYK gray ${s.min}..${s.max}`);
});

test('EXIF orientation is applied before cropping', async () => {
  // Stored 60x40 with the left half black, tagged "rotate 90 clockwise": displayed 40x60, black on top.
  const w = 60, h = 40, src = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) src[y * w + x] = x < 30 ? 0 : 255;
  const jpg = await sharp(Buffer.from(src), { raw: { width: w, height: h, channels: 1 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
  const px = await decodeFace(jpg, { name: 'rotated.jpg' });
  assert.ok(px[2 * 48 + 2] < 40 && px[2 * 48 + 45] < 40, 'top row should be black');
  assert.ok(px[45 * 48 + 2] > 215 && px[45 * 48 + 45] > 215, 'bottom row should be white');
});

test('corrupt, truncated and non-image files are rejected naming the file', async () => {
  const garbage = await put(join(tmp.dir, 'corrupt.png'), Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 37) % 256)));
  await assert.rejects(decodeFace(garbage), (e: Error) => e.message.includes('corrupt.png') && /could not decode/i.test(e.message));
  const text = await put(join(tmp.dir, 'notes.jpg'), 'this is not an image\n');
  await assert.rejects(decodeFace(text), (e: Error) => e.message.includes('notes.jpg') && /could not decode/i.test(e.message));
  // A noisy JPEG cut at 70%: the header is intact, the scan data stops early.
  const noisy = new Uint8Array(64 * 64).map((_, i) => (i * 7919) % 251);
  const jpg = await encodeGray(noisy, 64, 64, 'jpeg');
  const cut = await put(join(tmp.dir, 'truncated.jpg'), jpg.subarray(0, Math.floor(jpg.length * 0.7)));
  await assert.rejects(decodeFace(cut), (e: Error) => e.message.includes('truncated.jpg') && /could not decode/i.test(e.message));
  await assert.rejects(decodeFace(join(tmp.dir, 'missing.png')), /Could not read image file .*missing\.png/);
});

test('images over the pixel limit are rejected with their dimensions', async () => {
  const file = await putGray(join(tmp.dir, 'big.png'), 10, 'png', 60, 40);
  await assert.rejects(decodeFace(file, { maxPixels: 1000 }), (e: Error) =>
    e.message.includes('big.png') && e.message.includes('60x40') && e.message.includes('limit is 1000'));
  assert.equal((await decodeFace(file, { maxPixels: 2400 })).length, 48 * 48);
});

test('decodeMany keeps order, reports progress and bounds concurrency', async () => {
  const paths: string[] = [];
  for (let i = 0; i < 20; i++) paths.push(await putGray(join(tmp.dir, 'many', `${i}.png`), i * 10));
  const progress: number[] = [];
  const res = await decodeMany(paths, { concurrency: 3, onProgress: (done, total) => { assert.equal(total, 20); progress.push(done); } });
  assert.deepEqual(progress, Array.from({ length: 20 }, (_, i) => i + 1));
  assert.equal(res.images.length, 20 * 2304);
  for (let i = 0; i < 20; i++) assert.equal(res.images[i * 2304 + 100], i * 10);
  assert.deepEqual(res.failures, []);
});

test('decodeMany rejects on a bad file, or skips it with skipErrors', async () => {
  const good1 = await putGray(join(tmp.dir, 'mix', 'a.png'), 11), good2 = await putGray(join(tmp.dir, 'mix', 'c.png'), 33);
  const bad = await put(join(tmp.dir, 'mix', 'b.png'), 'nope');
  await assert.rejects(decodeMany([good1, bad, good2]), /b\.png/);
  const res = await decodeMany([good1, bad, good2], { skipErrors: true });
  assert.deepEqual(res.decoded, [0, 2]);
  assert.equal(res.failures.length, 1);
  assert.equal(res.failures[0].path, bad);
  assert.deepEqual([res.images[0], res.images[2304]], [11, 33]);
  assert.equal(res.images.length, 2 * 2304);
});

test('decodeFace validates size', async () => {
  await assert.rejects(decodeFace(Buffer.alloc(1), 0), /size must be a positive integer/);
  assert.equal((await decodeFace(await encodeGray(flatPixels(8, 8, 5), 8, 8), 4)).length, 16);
});

test('isSquareByHeader reads PNG and JPEG sizes, and is unsure otherwise', async () => {
  const { isSquareByHeader } = await import('../../src/data/decode.js');
  assert.equal(isSquareByHeader(await encodeGray(flatPixels(48, 48, 1), 48, 48, 'png')), true);
  assert.equal(isSquareByHeader(await encodeGray(flatPixels(48, 48, 1), 48, 48, 'jpeg')), true);
  assert.equal(isSquareByHeader(await encodeGray(flatPixels(60, 40, 1), 60, 40, 'png')), false);
  assert.equal(isSquareByHeader(await encodeGray(flatPixels(60, 40, 1), 60, 40, 'jpeg')), false);
  assert.equal(isSquareByHeader(await encodeGray(flatPixels(48, 48, 1), 48, 48, 'tiff')), false);
  assert.equal(isSquareByHeader(Buffer.from([0xff, 0xd8, 0xff])), false);
});
