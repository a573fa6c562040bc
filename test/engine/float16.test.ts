// Half precision and bfloat16 conversions against values worked out by hand from the IEEE 754 layouts, and
// safetensors files stored as F16 / BF16.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromBfloat16Bits, fromHalfBits, toHalfBits } from '../../src/engine/float16.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/safetensors.js';
import { decodeModel, encodeModel } from '../../src/engine/model-file.js';
import { buildReferenceNet } from '../../src/model/reference-net.js';
import { paramLayout } from '../../src/engine/params.js';

test('binary16 bits of exact values: 1, -2, 0.5, 65504 (largest), 2^-14 (smallest normal), 2^-24 (smallest subnormal), -0', () => {
  const cases: [number, number][] = [[1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [2 ** -14, 0x0400], [2 ** -24, 0x0001], [-0, 0x8000], [0, 0]];
  for (const [x, h] of cases) {
    assert.equal(toHalfBits(x), h, `toHalfBits(${x})`);
    assert.ok(Object.is(fromHalfBits(h), x), `fromHalfBits(0x${h.toString(16)}) = ${fromHalfBits(h)}, want ${x}`);
  }
});

test('binary16 rounding: to nearest, ties to even, overflow to Infinity, underflow to zero, NaN kept', () => {
  // 1 + 2^-11 lies halfway between 1 (even mantissa) and 1 + 2^-10: ties go to the even one
  assert.equal(toHalfBits(1 + 2 ** -11), 0x3c00);
  // 1 + 3 * 2^-11 lies halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even)
  assert.equal(toHalfBits(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(toHalfBits(1 + 2 ** -11 + 2 ** -20), 0x3c01, 'just above half rounds up');
  assert.equal(toHalfBits(65520), 0x7c00, '65520 rounds to Infinity');
  assert.equal(toHalfBits(65519), 0x7bff, '65519 rounds down to 65504');
  assert.equal(toHalfBits(2 ** -26), 0, 'a quarter of the smallest subnormal rounds to zero');
  assert.equal(toHalfBits(3 * 2 ** -26), 0x0001, 'three quarters rounds up to the smallest subnormal');
  assert.equal(toHalfBits(1023.5 * 2 ** -24), 0x0400, 'a subnormal rounding up becomes the smallest normal');
  assert.equal(toHalfBits(Infinity), 0x7c00);
  assert.ok(Number.isNaN(fromHalfBits(toHalfBits(NaN))));
  assert.equal(fromHalfBits(0xfc00), -Infinity);
});

test('binary16 round trip: every finite half value comes back exactly, and any float lands within half an ulp', () => {
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00) continue;
    assert.equal(toHalfBits(fromHalfBits(h)), h === 0x8000 ? 0x8000 : h, `0x${h.toString(16)}`);
  }
  let seed = 7;
  for (let i = 0; i < 10000; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const x = (seed / 2 ** 32 - 0.5) * 2 ** ((i % 30) - 15);
    const y = fromHalfBits(toHalfBits(x));
    const ulp = 2 ** Math.max(Math.floor(Math.log2(Math.abs(x))) - 10, -24);
    assert.ok(Math.abs(x - y) <= ulp / 2, `${x} -> ${y}`);
  }
});

test('bfloat16 bits are the top half of a float32', () => {
  assert.equal(fromBfloat16Bits(0x3f80), 1);
  assert.equal(fromBfloat16Bits(0xc040), -3);
  assert.equal(fromBfloat16Bits(0x3e20), 0.15625);
});

test('a safetensors file stored as F16 is half the data and reads back rounded; BF16 files (as PyTorch writes them) read', () => {
  const t = { w: { shape: [2, 2], data: Float32Array.from([1, -0.1, 3.14159, 1000]) } };
  const f32 = encodeSafetensors(t, { a: 'b' });
  const f16 = encodeSafetensors(t, { a: 'b' }, 'F16');
  assert.ok(f32.length - f16.length >= 8 && f32.length - f16.length <= 16, `${f32.length} vs ${f16.length} bytes`);
  const back = decodeSafetensors(f16);
  assert.deepEqual(back.dtypes, ['F16']);
  assert.equal(back.metadata.a, 'b');
  assert.deepEqual([...back.tensors.w.data], [1, fromHalfBits(toHalfBits(-0.1)), 3.140625, 1000]);
  assert.throws(() => encodeSafetensors({ w: { shape: [1], data: Float32Array.from([1e5]) } }, {}, 'F16'), /w\[0\] = 100000 does not fit in F16/);

  // a BF16 file written by hand: header, then 1.0 and -3.0 as bfloat16
  const json = JSON.stringify({ v: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } });
  const bytes = new Uint8Array(8 + json.length + 4);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(new TextEncoder().encode(json), 8);
  new DataView(bytes.buffer).setUint16(8 + json.length, 0x3f80, true);
  new DataView(bytes.buffer).setUint16(8 + json.length + 2, 0xc040, true);
  assert.deepEqual([...decodeSafetensors(bytes).tensors.v.data], [1, -3]);

  const i8 = new TextEncoder().encode(JSON.stringify({ v: { dtype: 'I8', shape: [1], data_offsets: [0, 1] } }));
  const bad = new Uint8Array(8 + i8.length + 1);
  new DataView(bad.buffer).setBigUint64(0, BigInt(i8.length), true);
  bad.set(i8, 8);
  assert.throws(() => decodeSafetensors(bad), /v has dtype I8; ferkit reads F32, F16 and BF16/);
});

test('a model loaded from an F16 file is saved back as F16; one from F32 as F32', () => {
  const graph = buildReferenceNet();
  const layout = paramLayout(graph);
  const weights = { trainable: new Float32Array(layout.trainableSize).map((_, i) => Math.sin(i)), buffers: new Float32Array(layout.bufferSize).fill(0.5) };
  const f32 = encodeModel({ graph, weights, metadata: {} });
  const f16 = encodeModel({ graph, weights, metadata: {} }, 'F16');
  const m16 = decodeModel(f16);
  assert.equal(m16.storedAs, 'F16');
  assert.equal(decodeModel(f32).storedAs, 'F32');
  assert.equal(encodeModel(m16).length, f16.length, 'saved back in half precision');
  assert.ok(f16.length < 0.55 * f32.length, `${f16.length} vs ${f32.length} bytes`);
  let worst = 0;
  for (let i = 0; i < weights.trainable.length; i++) worst = Math.max(worst, Math.abs(m16.weights.trainable[i] - weights.trainable[i]));
  assert.ok(worst <= 2 ** -11 && worst > 0, `largest rounding ${worst}`);
});
