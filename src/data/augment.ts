/**
 * Seeded training-time augmentation, written straight into a float batch buffer.
 *
 * One inverse affine map does flip + rotation + scale + shift together, sampled bilinearly, so each output
 * pixel is interpolated once (chaining separate ops would blur the 48x48 faces repeatedly). Outside the
 * image the border pixels are REPLICATED (coordinates are clamped), not zero-padded: a black wedge from a
 * rotation is a sharp artificial edge the network could learn to look for, while the replicated border just
 * continues the background/hair at the crop edge. Clamping is also the cheapest bounds check.
 *
 * Then brightness (additive) and contrast (scaling about the image's own mean), clipped to [0,1] like
 * torchvision's ColorJitter, then the model's normalisation. No allocation per image: the map is six numbers
 * and the pixel loops write into `out` in place.
 *
 * Every apply() draws exactly 12 numbers from the rng whatever the options, so turning one augmentation off
 * does not change the random parameters of the others.
 */
import { Rng } from '../engine/rng.js';
import { INPUT_LUT, INPUT_MEAN, INPUT_STD } from './normalize.js';

export interface AugmentOptions {
  /** image side (default 48) */
  size?: number;
  /** maximum shift in pixels in x and y, uniform in [-shift, shift] (default 4) */
  shift?: number;
  /** horizontal flip with probability 0.5 (default true) */
  flip?: boolean;
  /** maximum rotation in degrees, uniform in [-rotate, rotate] (default 10) */
  rotate?: number;
  /** zoom factor range (default [0.9, 1.1]; > 1 zooms in) */
  scale?: [number, number];
  /** additive brightness, uniform in [-b, b] in units of full scale (default 0.2) */
  brightness?: number;
  /** contrast factor uniform in [1-c, 1+c] about the image mean (default 0.2) */
  contrast?: number;
  /** probability of random erasing: a rectangle of 2-20% of the area, aspect 0.3-3.3, set to the input mean (default 0) */
  erase?: number;
}

/** The parameters of one augmentation, as sampled by Augmenter.sample (exposed for tests and visualisation). */
export interface AugmentParams {
  flip: boolean;
  /** degrees, counter-clockwise */
  angle: number;
  scale: number;
  tx: number;
  ty: number;
  brightness: number;
  contrast: number;
  /** erased rectangle [x0, y0, x1, y1) or null */
  erase: [number, number, number, number] | null;
}

export const IDENTITY_PARAMS: Readonly<AugmentParams> = Object.freeze({ flip: false, angle: 0, scale: 1, tx: 0, ty: 0, brightness: 0, contrast: 1, erase: null });

export class Augmenter {
  readonly size: number;
  readonly opts: Required<AugmentOptions>;
  private readonly rng: Rng;
  private readonly params: AugmentParams = { ...IDENTITY_PARAMS, erase: null };
  private readonly eraseBox: [number, number, number, number] = [0, 0, 0, 0];

  constructor(opts: AugmentOptions = {}, seed = 0) {
    this.opts = {
      size: opts.size ?? 48, shift: opts.shift ?? 4, flip: opts.flip ?? true, rotate: opts.rotate ?? 10,
      scale: opts.scale ?? [0.9, 1.1], brightness: opts.brightness ?? 0.2, contrast: opts.contrast ?? 0.2, erase: opts.erase ?? 0,
    };
    const o = this.opts;
    if (!Number.isInteger(o.size) || o.size < 2) throw new RangeError(`Augmenter: size must be an integer >= 2, got ${o.size}`);
    if (!(o.scale[0] > 0 && o.scale[1] >= o.scale[0])) throw new RangeError(`Augmenter: scale must be [lo, hi] with 0 < lo <= hi, got [${o.scale}]`);
    if (o.shift < 0 || o.rotate < 0 || o.brightness < 0 || o.contrast < 0 || o.contrast > 1) throw new RangeError('Augmenter: shift, rotate, brightness must be >= 0 and contrast in [0, 1]');
    if (o.erase < 0 || o.erase > 1) throw new RangeError(`Augmenter: erase is a probability, got ${o.erase}`);
    this.size = o.size;
    this.rng = new Rng(seed);
  }

  /** Draws one set of parameters (exactly 12 rng draws). The returned object is reused by the next call. */
  sample(rng: Rng): AugmentParams {
    const o = this.opts, p = this.params, S = this.size;
    const u = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
    p.flip = rng.next() < 0.5 && o.flip;
    p.angle = u(-o.rotate, o.rotate);
    p.scale = u(o.scale[0], o.scale[1]);
    p.tx = u(-o.shift, o.shift);
    p.ty = u(-o.shift, o.shift);
    p.brightness = u(-o.brightness, o.brightness);
    p.contrast = u(1 - o.contrast, 1 + o.contrast);
    const doErase = rng.next() < o.erase;
    const area = u(0.02, 0.2) * S * S, aspect = Math.exp(u(Math.log(0.3), Math.log(3.3)));
    const ex = rng.next(), ey = rng.next();
    if (doErase) {
      const w = Math.max(1, Math.min(S, Math.round(Math.sqrt(area * aspect))));
      const h = Math.max(1, Math.min(S, Math.round(Math.sqrt(area / aspect))));
      const x0 = Math.floor(ex * (S - w + 1)), y0 = Math.floor(ey * (S - h + 1));
      const b = this.eraseBox; b[0] = x0; b[1] = y0; b[2] = x0 + w; b[3] = y0 + h;
      p.erase = b;
    } else p.erase = null;
    return p;
  }

  /** Augments one size*size uint8 image into out[offset .. offset+size*size), drawing from `rng` (default: the augmenter's own). */
  apply(src: Uint8Array, out: Float32Array | Float64Array, offset: number, rng: Rng = this.rng): void {
    this.applyWith(src, out, offset, this.sample(rng));
  }

  /** Applies the given parameters (deterministic; no randomness). */
  applyWith(src: Uint8Array, out: Float32Array | Float64Array, offset: number, p: Readonly<AugmentParams>): void {
    const S = this.size, n = S * S, max = S - 1, c = max / 2;
    if (src.length < n) throw new RangeError(`Augmenter: image has ${src.length} pixels, expected ${S}x${S} = ${n}`);
    if (offset < 0 || offset + n > out.length) throw new RangeError(`Augmenter: ${n} values at offset ${offset} do not fit in an output of length ${out.length}`);

    // Inverse map: output (x, y) -> source (A x + B y + E, C x + D y + F). Forward is flip about the centre,
    // then rotate by `angle` and scale about the centre, then shift by (tx, ty).
    const th = (p.angle * Math.PI) / 180, cos = Math.cos(th), sin = Math.sin(th), f = p.flip ? -1 : 1, is = 1 / p.scale;
    const A = f * cos * is, B = f * sin * is, C = -sin * is, D = cos * is;
    const ox = -c - p.tx, oy = -c - p.ty;
    const E = f * (cos * ox + sin * oy) * is + c, F = (-sin * ox + cos * oy) * is + c;
    const identity = A === 1 && B === 0 && C === 0 && D === 1 && E === 0 && F === 0;

    let sum = 0;
    if (identity) {
      for (let i = 0; i < n; i++) { const v = src[i]; out[offset + i] = v; sum += v; }
    } else {
      for (let y = 0; y < S; y++) {
        let sx = B * y + E, sy = D * y + F;
        const row = offset + y * S;
        // The map is linear, so if both ends of the row sample strictly inside the image, every pixel does:
        // those rows (most of them) skip the clamping and border tests.
        const ex = sx + A * max, ey = sy + C * max;
        if (sx >= 0 && sx < max && ex >= 0 && ex < max && sy >= 0 && sy < max && ey >= 0 && ey < max) {
          for (let x = 0; x < S; x++, sx += A, sy += C) {
            const x0 = sx | 0, y0 = sy | 0, fx = sx - x0, fy = sy - y0, i0 = y0 * S + x0, i1 = i0 + S;
            const top = src[i0] + (src[i0 + 1] - src[i0]) * fx;
            const v = top + (src[i1] + (src[i1 + 1] - src[i1]) * fx - top) * fy;
            out[row + x] = v; sum += v;
          }
          continue;
        }
        for (let x = 0; x < S; x++, sx += A, sy += C) {
          const px = sx < 0 ? 0 : sx > max ? max : sx, py = sy < 0 ? 0 : sy > max ? max : sy;
          const x0 = px | 0, y0 = py | 0, fx = px - x0, fy = py - y0;
          const x1 = x0 < max ? x0 + 1 : x0, i0 = y0 * S, i1 = y0 < max ? i0 + S : i0;
          const top = src[i0 + x0] + (src[i0 + x1] - src[i0 + x0]) * fx;
          const bot = src[i1 + x0] + (src[i1 + x1] - src[i1 + x0]) * fx;
          const v = top + (bot - top) * fy;
          out[row + x] = v; sum += v;
        }
      }
    }

    // Photometric part in 0..1 units: v' = clip((v - mean) * contrast + mean + brightness), then normalise.
    // Folded into one multiply-add per pixel: norm = clip(v * k1 + k0) * 4 - 2 (for mean 0.5, std 0.25).
    if (p.contrast === 1 && p.brightness === 0 && identity) {
      const lut = INPUT_LUT; // exact same numbers as toInput
      for (let i = 0; i < n; i++) out[offset + i] = lut[src[i]];
    } else {
      const mean = sum / n / 255;
      const k1 = p.contrast / 255, k0 = mean * (1 - p.contrast) + p.brightness;
      const a = 1 / INPUT_STD, b = -INPUT_MEAN / INPUT_STD;
      for (let i = offset; i < offset + n; i++) {
        let v = out[i] * k1 + k0;
        v = v < 0 ? 0 : v > 1 ? 1 : v;
        out[i] = v * a + b;
      }
    }

    if (p.erase) {
      // Erased pixels take the normalised value 0, i.e. mid-grey: no information, and no extreme edge.
      const [x0, y0, x1, y1] = p.erase;
      for (let y = y0; y < y1; y++) out.fill(0, offset + y * S + x0, offset + y * S + x1);
    }
  }
}

/** Each of the n square images in `x` mirrored left to right, into `out`. */
export function mirrorImages(x: ArrayLike<number>, n: number, size: number, out: Float32Array): Float32Array {
  for (let j = 0; j < n; j++) {
    for (let r = 0; r < size; r++) {
      const row = (j * size + r) * size;
      for (let c = 0; c < size; c++) out[row + size - 1 - c] = x[row + c];
    }
  }
  return out;
}

/**
 * Ten-crop test-time augmentation: the 4 corner crops and the centre crop of side `cropSize`, then the same
 * five mirrored, each resized back to size x size (bilinear, pixel centres aligned) and normalised.
 * Returns `out` (allocated if not given) holding 10 images from `offset`.
 */
export function tenCrop(src: Uint8Array, size: number, cropSize: number, out?: Float32Array, offset = 0): Float32Array {
  const n = size * size;
  if (src.length < n) throw new RangeError(`tenCrop: image has ${src.length} pixels, expected ${size}x${size}`);
  if (!Number.isInteger(cropSize) || cropSize < 1 || cropSize > size) throw new RangeError(`tenCrop: cropSize must be an integer in 1..${size}, got ${cropSize}`);
  const dst = out ?? new Float32Array(offset + 10 * n);
  if (offset + 10 * n > dst.length) throw new RangeError(`tenCrop: 10 images at offset ${offset} do not fit in an output of length ${dst.length}`);
  const e = size - cropSize, mid = e >> 1;
  const corners: [number, number][] = [[0, 0], [e, 0], [0, e], [e, e], [mid, mid]];
  const step = cropSize / size, a = 1 / INPUT_STD, b = -INPUT_MEAN / INPUT_STD;
  for (let k = 0; k < 10; k++) {
    const [cx, cy] = corners[k % 5], mirror = k >= 5, base = offset + k * n;
    for (let y = 0; y < size; y++) {
      let sy = (y + 0.5) * step - 0.5;
      sy = sy < 0 ? 0 : sy > cropSize - 1 ? cropSize - 1 : sy;
      const y0 = sy | 0, fy = sy - y0, y1 = y0 < cropSize - 1 ? y0 + 1 : y0;
      const r0 = (cy + y0) * size + cx, r1 = (cy + y1) * size + cx;
      for (let x = 0; x < size; x++) {
        let sx = ((mirror ? size - 1 - x : x) + 0.5) * step - 0.5;
        sx = sx < 0 ? 0 : sx > cropSize - 1 ? cropSize - 1 : sx;
        const x0 = sx | 0, fx = sx - x0, x1 = x0 < cropSize - 1 ? x0 + 1 : x0;
        const top = src[r0 + x0] + (src[r0 + x1] - src[r0 + x0]) * fx;
        const bot = src[r1 + x0] + (src[r1 + x1] - src[r1 + x0]) * fx;
        dst[base + y * size + x] = ((top + (bot - top) * fy) / 255) * a + b;
      }
    }
  }
  return dst;
}
