/**
 * The model's input convention: pixel p in 0..255 becomes (p/255 - INPUT_MEAN) / INPUT_STD, i.e. roughly
 * -2..2 centred on mid-grey. Fixed constants rather than dataset statistics, so a saved model needs no
 * extra numbers to be used on new images (FER2013's own mean/std are about 0.51/0.25 anyway).
 */
export const INPUT_MEAN = 0.5;
export const INPUT_STD = 0.25;

/** Normalised value of every uint8 level: one table lookup per pixel instead of a divide. */
export const INPUT_LUT: Float32Array = (() => {
  const lut = new Float32Array(256);
  for (let p = 0; p < 256; p++) lut[p] = (p / 255 - INPUT_MEAN) / INPUT_STD;
  return lut;
})();

/** Writes the normalised pixels into out[offset .. offset + pixels.length). */
export function toInput(pixels: Uint8Array, out: Float32Array | Float64Array, offset = 0): void {
  if (offset < 0 || offset + pixels.length > out.length) {
    throw new RangeError(`toInput: ${pixels.length} values at offset ${offset} do not fit in an output of length ${out.length}`);
  }
  const lut = INPUT_LUT;
  for (let i = 0; i < pixels.length; i++) out[offset + i] = lut[pixels[i]];
}

/** Inverse of toInput for one value, clamped and rounded to a uint8 level (for saving/inspecting inputs). */
export function fromInput(v: number): number {
  const p = Math.round((v * INPUT_STD + INPUT_MEAN) * 255);
  return p < 0 ? 0 : p > 255 ? 255 : p;
}
