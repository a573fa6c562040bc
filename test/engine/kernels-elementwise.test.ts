import { test } from 'node:test';
import { checkKernel } from './kernel-harness.js';

const LEN = 1027; // odd on purpose: exercises the scalar tails

test('relu_fwd matches reference', async () => {
  await checkKernel({ name: 'relu_fwd', floats: { x: LEN, y: LEN }, outputs: ['y'], units: LEN, args: (p) => [p.x, p.y, LEN], tol: 0 });
});

for (const acc of [0, 1]) {
  test(`relu_bwd acc=${acc} matches reference`, async () => {
    await checkKernel({ name: 'relu_bwd', floats: { y: LEN, dy: LEN, dx: LEN }, outputs: ['dx'], units: LEN, args: (p) => [p.y, p.dy, p.dx, acc, LEN], tol: acc ? 1e-7 : 0 });
  });
  test(`copy_acc acc=${acc} matches reference`, async () => {
    await checkKernel({ name: 'copy_acc', floats: { a: LEN, b: LEN }, outputs: ['b'], units: LEN, args: (p) => [p.a, p.b, acc, LEN], tol: acc ? 1e-7 : 0 });
  });
  test(`mul_bwd acc=${acc} matches reference`, async () => {
    await checkKernel({ name: 'mul_bwd', floats: { dy: LEN, m: LEN, dx: LEN }, outputs: ['dx'], units: LEN, args: (p) => [p.dy, p.m, p.dx, acc, LEN], tol: 1e-6 });
  });
}

test('add_fwd matches reference', async () => {
  await checkKernel({ name: 'add_fwd', floats: { a: LEN, b: LEN, y: LEN }, outputs: ['y'], units: LEN, args: (p) => [p.a, p.b, p.y, LEN], tol: 1e-7 });
});

test('dropout_fwd gives the reference mask bit for bit, independent of the split', async () => {
  await checkKernel({ name: 'dropout_fwd', floats: { x: LEN, y: LEN, m: LEN }, outputs: ['m'], units: LEN, args: (p) => [p.x, p.y, p.m, LEN, 0.3, 0xdeadbeef], tol: 0 });
  await checkKernel({ name: 'dropout_fwd', floats: { x: LEN, y: LEN, m: LEN }, outputs: ['y'], units: LEN, args: (p) => [p.x, p.y, p.m, LEN, 0.3, 0xdeadbeef], tol: 1e-7 });
});
