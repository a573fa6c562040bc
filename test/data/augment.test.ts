import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng.js';
import { Augmenter, IDENTITY_PARAMS, mirrorImages, tenCrop } from '../../src/data/augment.js';
import { fromInput, INPUT_LUT, toInput } from '../../src/data/normalize.js';
import { patternPixels } from './fixtures.js';

const S = 48, N = S * S;
const src = patternPixels(S);
const toBytes = (f: Float32Array, off = 0) => Uint8Array.from(f.subarray(off, off + N), fromInput);

test('toInput uses mean 0.5, std 0.25', () => {
  const out = new Float32Array(4);
  toInput(Uint8Array.from([0, 255, 0, 0]).subarray(0, 2), out, 1);
  assert.deepEqual([...out], [0, -2, 2, 0]);
  assert.throws(() => toInput(new Uint8Array(4), out, 1), /do not fit/);
});

test('same seed gives the same output; a different seed a different one', () => {
  const aug = new Augmenter({ erase: 0.5 });
  const run = (seed: number) => {
    const out = new Float32Array(4 * N), rng = new Rng(seed);
    for (let k = 0; k < 4; k++) aug.apply(src, out, k * N, rng);
    return out;
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
  // The augmenter's own generator, seeded in the constructor, is deterministic too.
  const a = new Float32Array(N), b = new Float32Array(N);
  new Augmenter({}, 3).apply(src, a, 0); new Augmenter({}, 3).apply(src, b, 0);
  assert.deepEqual(a, b);
});

test('identity parameters reproduce toInput exactly', () => {
  const aug = new Augmenter(), out = new Float32Array(N), want = new Float32Array(N);
  aug.applyWith(src, out, 0, IDENTITY_PARAMS);
  toInput(src, want, 0);
  assert.deepEqual(out, want);
});

test('flipping twice is the identity; an integer shift moves pixels with edge replication', () => {
  const aug = new Augmenter(), out = new Float32Array(N), back = new Float32Array(N);
  const flip = { ...IDENTITY_PARAMS, flip: true };
  aug.applyWith(src, out, 0, flip);
  const once = toBytes(out);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) assert.equal(once[y * S + x], src[y * S + S - 1 - x]);
  aug.applyWith(once, back, 0, flip);
  assert.deepEqual(toBytes(back), src);

  aug.applyWith(src, out, 0, { ...IDENTITY_PARAMS, tx: 3, ty: -2 });
  const moved = toBytes(out);
  const clamp = (v: number) => Math.max(0, Math.min(S - 1, v));
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) assert.equal(moved[y * S + x], src[clamp(y + 2) * S + clamp(x - 3)], `at ${x},${y}`);
});

test('a 90 degree rotation maps rows to columns', () => {
  const aug = new Augmenter(), out = new Float32Array(N);
  aug.applyWith(src, out, 0, { ...IDENTITY_PARAMS, angle: 90 });
  const r = toBytes(out);
  // Counter-clockwise in image coordinates (y down): out(x, y) = src(S-1-y, x) or its transpose; check one of them holds.
  let a = 0, b = 0;
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    if (Math.abs(r[y * S + x] - src[x * S + (S - 1 - y)]) <= 1) a++;
    if (Math.abs(r[y * S + x] - src[(S - 1 - x) * S + y]) <= 1) b++;
  }
  assert.ok(a === N || b === N, `rotation by 90 should be an exact pixel permutation (${a}, ${b} of ${N})`);
});

test('output statistics: near the normalised mean, bounded, with random erasing', () => {
  const aug = new Augmenter({ erase: 1 }), out = new Float32Array(N), rng = new Rng(1);
  let srcMean = 0; for (const v of src) srcMean += INPUT_LUT[v]; srcMean /= N;
  let total = 0, zeros = 0;
  const reps = 200;
  for (let r = 0; r < reps; r++) {
    aug.apply(src, out, 0, rng);
    for (const v of out) { total += v; assert.ok(v >= -2 && v <= 2); if (v === 0) zeros++; }
  }
  const mean = total / (reps * N);
  assert.ok(Math.abs(mean - srcMean) < 0.1, `mean ${mean} vs source ${srcMean}`);
  assert.ok(zeros / reps >= 0.02 * N * 0.9, `erasing should zero >= 2% of pixels per image, got ${zeros / reps}`);
});

test('options are validated', () => {
  assert.throws(() => new Augmenter({ scale: [1.1, 0.9] }), /scale/);
  assert.throws(() => new Augmenter({ erase: 2 }), /probability/);
  assert.throws(() => new Augmenter().apply(src, new Float32Array(10), 0), /do not fit/);
});

test('tenCrop: shape, centre/full crop equals the image, mirrors', () => {
  const out = tenCrop(src, S, 40);
  assert.equal(out.length, 10 * N);
  const full = tenCrop(src, S, S), want = new Float32Array(N);
  toInput(src, want, 0);
  for (let k = 0; k < 5; k++) assert.deepEqual(full.subarray(k * N, (k + 1) * N), want);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) assert.equal(full[5 * N + y * S + x], want[y * S + S - 1 - x]);
  // Each crop k and its mirror k+5 are left-right images of each other.
  for (let k = 0; k < 5; k++) for (let y = 0; y < S; y += 7) for (let x = 0; x < S; x += 5) {
    assert.ok(Math.abs(out[k * N + y * S + x] - out[(k + 5) * N + y * S + S - 1 - x]) < 1e-5);
  }
  // The top-left crop starts at the image's top-left pixel; the bottom-right ends at its last.
  assert.ok(Math.abs(out[0] - want[0]) < 0.05 && Math.abs(out[4 * N - 1] - want[N - 1]) < 0.05);
  assert.throws(() => tenCrop(src, S, 60), /cropSize/);
});

test('augmentation throughput', () => {
  const aug = new Augmenter({ erase: 0.25 }), batch = 256, out = new Float32Array(batch * N), rng = new Rng(0);
  for (let k = 0; k < batch; k++) aug.apply(src, out, k * N, rng); // warm up
  const t0 = performance.now(); let n = 0;
  while (performance.now() - t0 < 300) { for (let k = 0; k < batch; k++) aug.apply(src, out, k * N, rng); n += batch; }
  const perSec = n / ((performance.now() - t0) / 1000);
  console.log(`# Augmenter.apply: ${Math.round(perSec)} images/s (48x48, one core)`);
  assert.ok(perSec > 2000, `augmentation too slow: ${perSec} images/s`);
});

test('mirrorImages: each square image flipped left to right, hand-worked', () => {
  const x = Float32Array.from([1, 2, 3, 4, /* image 2 */ 5, 6, 7, 8]);
  assert.deepEqual(Array.from(mirrorImages(x, 2, 2, new Float32Array(8))), [2, 1, 4, 3, 6, 5, 8, 7]);
});
