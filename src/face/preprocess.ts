/**
 * Image region -> BlazeFace input tensor (NHWC float32, values in [-1, 1]).
 *
 * Pure TypeScript so the same code can feed onnxruntime-web later. Downscaling is by supersampling: each
 * model pixel averages an n x n grid of source pixels, n = the downscale factor rounded up (capped at 8),
 * which is enough anti-aliasing for a detector (a plain bilinear resize of a 1920 px photo to 128 px
 * samples one pixel in 15 and turns hair and textures into noise that costs recall).
 */
import type { InputTransform } from './decode.js';
import type { RgbImage } from './types.js';

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Value of padding pixels: black, -1 after normalisation (MediaPipe's letterbox pads with zeros = black). */
const PAD = -1;

/**
 * Fills `out` (size*size*3 floats) with the letterboxed `region` of `image` under transform `t`
 * (modelPixel = imagePixel * scale + offset). Pixels outside the region, or outside the image, are padding.
 * Normalisation is v / 127.5 - 1: BlazeFace was trained on [-1, 1] inputs (checked on real photos: [0, 1]
 * inputs lose most faces).
 */
export function fillInputTensor(image: RgbImage, region: Region, size: number, t: InputTransform, out: Float32Array): void {
  const { data, width: W, height: H } = image;
  out.fill(PAD);
  const inv = 1 / t.scale;
  const n = Math.min(8, Math.max(1, Math.ceil(inv - 1e-6)));
  const step = inv / n;
  // Model pixels covered by the region (and by the image).
  const rx0 = Math.max(Math.floor(region.x), 0), ry0 = Math.max(Math.floor(region.y), 0);
  const rx1 = Math.min(Math.ceil(region.x + region.width), W), ry1 = Math.min(Math.ceil(region.y + region.height), H);
  if (rx1 <= rx0 || ry1 <= ry0) return;
  const u0 = Math.max(0, Math.floor(rx0 * t.scale + t.offsetX)), u1 = Math.min(size, Math.ceil(rx1 * t.scale + t.offsetX));
  const v0 = Math.max(0, Math.floor(ry0 * t.scale + t.offsetY)), v1 = Math.min(size, Math.ceil(ry1 * t.scale + t.offsetY));
  const norm = 1 / (127.5 * n * n);
  for (let v = v0; v < v1; v++) {
    const syTop = (v - t.offsetY) * inv; // image y of the model pixel's top edge
    for (let u = u0; u < u1; u++) {
      const sxLeft = (u - t.offsetX) * inv;
      let r = 0, g = 0, b = 0;
      if (n === 1) {
        // Upscaling or ~1:1: bilinear at the pixel centre, clamped to the region.
        const sx = Math.min(Math.max(sxLeft + inv / 2 - 0.5, rx0), rx1 - 1);
        const sy = Math.min(Math.max(syTop + inv / 2 - 0.5, ry0), ry1 - 1);
        const x0 = Math.floor(sx), y0 = Math.floor(sy);
        const x1 = Math.min(x0 + 1, rx1 - 1), y1 = Math.min(y0 + 1, ry1 - 1);
        const fx = sx - x0, fy = sy - y0;
        const i00 = (y0 * W + x0) * 3, i01 = (y0 * W + x1) * 3, i10 = (y1 * W + x0) * 3, i11 = (y1 * W + x1) * 3;
        const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
        r = data[i00] * w00 + data[i01] * w01 + data[i10] * w10 + data[i11] * w11;
        g = data[i00 + 1] * w00 + data[i01 + 1] * w01 + data[i10 + 1] * w10 + data[i11 + 1] * w11;
        b = data[i00 + 2] * w00 + data[i01 + 2] * w01 + data[i10 + 2] * w10 + data[i11 + 2] * w11;
      } else {
        // Downscaling: mean of n x n nearest source pixels spread over the model pixel's footprint.
        for (let j = 0; j < n; j++) {
          const sy = Math.min(Math.max(Math.floor(syTop + (j + 0.5) * step), ry0), ry1 - 1);
          const row = sy * W;
          for (let i = 0; i < n; i++) {
            const sx = Math.min(Math.max(Math.floor(sxLeft + (i + 0.5) * step), rx0), rx1 - 1);
            const p = (row + sx) * 3;
            r += data[p]; g += data[p + 1]; b += data[p + 2];
          }
        }
      }
      const o = (v * size + u) * 3;
      out[o] = r * (n === 1 ? 1 / 127.5 : norm) - 1;
      out[o + 1] = g * (n === 1 ? 1 / 127.5 : norm) - 1;
      out[o + 2] = b * (n === 1 ? 1 / 127.5 : norm) - 1;
    }
  }
}
