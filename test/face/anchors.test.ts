import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blazeFaceAnchors, anchorsFor, FRONT_ANCHORS, BACK_ANCHORS } from '../../src/face/anchors.js';

const at = (a: Float32Array, i: number) => [a[2 * i], a[2 * i + 1]];

test('front and back models both have 896 anchors (16x16x2 + 8x8x6)', () => {
  assert.equal(anchorsFor(FRONT_ANCHORS).length, 896 * 2);
  assert.equal(anchorsFor(BACK_ANCHORS).length, 896 * 2);
  assert.deepEqual(anchorsFor(FRONT_ANCHORS), anchorsFor(BACK_ANCHORS), 'normalised centres do not depend on the input size');
});

test('anchor centres follow MediaPipe order: grid, row, column, anchor; offset 0.5', () => {
  const a = blazeFaceAnchors(128, [8, 16], [2, 6]);
  // Fine grid: 128/8 = 16 cells, centre of cell (0,0) = 0.5/16.
  assert.deepEqual(at(a, 0), [1 / 32, 1 / 32]);
  assert.deepEqual(at(a, 1), [1 / 32, 1 / 32], 'the two anchors of a cell share the centre');
  assert.deepEqual(at(a, 2), [3 / 32, 1 / 32], 'next anchor pair moves along x first');
  assert.deepEqual(at(a, 32), [1 / 32, 3 / 32], 'after 16 cells (32 anchors) the next row');
  assert.deepEqual(at(a, 511), [31 / 32, 31 / 32]);
  // Coarse grid: 8 cells, centre of cell (0,0) = 0.5/8.
  assert.deepEqual(at(a, 512), [1 / 16, 1 / 16]);
  assert.deepEqual(at(a, 517), [1 / 16, 1 / 16], 'six anchors per coarse cell');
  assert.deepEqual(at(a, 518), [3 / 16, 1 / 16]);
  // cell x=5, y=3 of the coarse grid
  assert.deepEqual(at(a, 512 + (3 * 8 + 5) * 6), [5.5 / 8, 3.5 / 8]);
  assert.deepEqual(at(a, 895), [15 / 16, 15 / 16]);
});

test('back model strides (16, 32 at 256 px) give the same grids; bad specs are rejected', () => {
  assert.deepEqual(blazeFaceAnchors(256, [16, 32], [2, 6]), blazeFaceAnchors(128, [8, 16], [2, 6]));
  assert.throws(() => blazeFaceAnchors(128, [8, 16], [2]), /one anchorsPerCell entry per stride/);
  assert.throws(() => blazeFaceAnchors(0, [8], [2]), /positive integer/);
});
