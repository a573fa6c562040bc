/**
 * The one image conversion every peer's expression model gets: a 48x48 gray FER2013 crop, resized to the
 * model's input side with bilinear interpolation (half-pixel centres, edges clamped: what OpenCV's
 * INTER_LINEAR and tf.image.resizeBilinear(halfPixelCenters: true) do; no antialiasing, the crops are only
 * ever enlarged here), then gray copied into R, G and B.
 */

/** Bilinear resize of `count` gray src x src images to dst x dst, into RGB (3 equal channels), as floats times `scale`. */
export function grayToRgbResized(faces: Uint8Array, from: number, count: number, src: number, dst: number, scale = 1): Float32Array {
  const out = new Float32Array(count * dst * dst * 3);
  const r = src / dst;
  // per output coordinate: the two source indices and the weight of the second (same for rows and columns)
  const i0 = new Int32Array(dst), i1 = new Int32Array(dst), w1 = new Float32Array(dst);
  for (let o = 0; o < dst; o++) {
    const s = Math.max(0, (o + 0.5) * r - 0.5);
    const a = Math.min(src - 1, Math.floor(s));
    i0[o] = a; i1[o] = Math.min(src - 1, a + 1); w1[o] = s - a;
  }
  const px = src * src;
  for (let n = 0; n < count; n++) {
    const img = (from + n) * px, base = n * dst * dst * 3;
    for (let y = 0; y < dst; y++) {
      const ra = img + i0[y] * src, rb = img + i1[y] * src, wy = w1[y];
      for (let x = 0; x < dst; x++) {
        const wx = w1[x];
        const top = faces[ra + i0[x]] * (1 - wx) + faces[ra + i1[x]] * wx;
        const bot = faces[rb + i0[x]] * (1 - wx) + faces[rb + i1[x]] * wx;
        const v = (top * (1 - wy) + bot * wy) * scale;
        const o = base + (y * dst + x) * 3;
        out[o] = v; out[o + 1] = v; out[o + 2] = v;
      }
    }
  }
  return out;
}
