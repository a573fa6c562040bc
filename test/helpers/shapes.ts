// A synthetic 7-class image dataset the tests draw themselves: simple shapes at random positions and
// sizes, with Gaussian noise. Easy for a CNN, impossible for chance (14%).
import { Rng } from '../../src/engine/rng.js';

export const SHAPE_CLASSES = ['disc', 'square', 'ring', 'hbar', 'vbar', 'cross', 'triangle'];

function inside(cls: number, dx: number, dy: number, r: number): boolean {
  const d = Math.hypot(dx, dy);
  switch (cls) {
    case 0: return d <= r;
    case 1: return Math.abs(dx) <= r * 0.8 && Math.abs(dy) <= r * 0.8;
    case 2: return d <= r && d >= r * 0.6;
    case 3: return Math.abs(dy) <= r * 0.25 && Math.abs(dx) <= r;
    case 4: return Math.abs(dx) <= r * 0.25 && Math.abs(dy) <= r;
    case 5: return (Math.abs(dx) <= r * 0.2 || Math.abs(dy) <= r * 0.2) && Math.abs(dx) <= r && Math.abs(dy) <= r;
    default: return dy <= r * 0.7 && dy >= -r && Math.abs(dx) <= (dy + r) * 0.55;
  }
}

/** `count` images of side `size`, NCHW float32 (one channel), roughly zero-mean, and their labels. */
export function shapesDataset(count: number, size: number, seed: number, noise = 0.3): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(count * size * size);
  const y = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    const cls = n % 7;
    y[n] = cls;
    const r = size * rng.uniform(0.2, 0.32);
    const cx = size / 2 + rng.uniform(-0.12, 0.12) * size, cy = size / 2 + rng.uniform(-0.12, 0.12) * size;
    const off = n * size * size;
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        x[off + i * size + j] = (inside(cls, j + 0.5 - cx, i + 0.5 - cy, r) ? 1 : -0.5) + noise * rng.normal();
      }
    }
  }
  return { x, y };
}
