/**
 * Image files to 8-bit grayscale face squares, via sharp (libvips).
 *
 * Policy, in pipeline order:
 *  1. EXIF orientation is applied first (phone photos are often stored sideways with a rotate tag).
 *  2. Alpha is flattened onto BLACK. Colour under fully transparent pixels is arbitrary (often garbage), so
 *     it has to become some fixed value; black is libvips' default and what the augmenter never invents.
 *  3. Everything becomes one 8-bit gray channel: RGB, CMYK (through its ICC profile), palette, 16-bit
 *     (scaled to 8 bits, not truncated) and gray+alpha all end up the same way.
 *  4. Square images (all the datasets: they are already face crops) are resized whole. Non-square images are
 *     centre-cropped to a square first, then resized: stretching would distort the face geometry the model
 *     learns from, and the centre is where a crop puts the face.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';

export const DEFAULT_MAX_PIXELS = 50_000_000;

/**
 * True only when the PNG IHDR or JPEG SOF header says the image is square; false when unsure (other formats,
 * odd files), which just means asking sharp for the metadata.
 */
export function isSquareByHeader(b: Uint8Array): boolean {
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[12] === 0x49 && b[13] === 0x48) {
    const w = ((b[16] << 24) | (b[17] << 16) | (b[18] << 8) | b[19]) >>> 0, h = ((b[20] << 24) | (b[21] << 16) | (b[22] << 8) | b[23]) >>> 0;
    return w > 0 && w === h;
  }
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return false;
  for (let i = 2; i + 9 < b.length;) {
    if (b[i] !== 0xff) return false;
    const m = b[i + 1];
    if (m === 0xff) { i++; continue; }                                   // fill byte
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; }   // markers without a length
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) { // start of frame
      const h = (b[i + 5] << 8) | b[i + 6], w = (b[i + 7] << 8) | b[i + 8];
      return w > 0 && w === h;
    }
    if (m === 0xda || m === 0xd9) return false;                          // scan/end before any frame
    i += 2 + ((b[i + 2] << 8) | b[i + 3]);
  }
  return false;
}

export interface DecodeOptions {
  /** output side in pixels (default 48) */
  size?: number;
  /** refuse images with more input pixels than this (default 50 megapixels): a guard against decompression bombs */
  maxPixels?: number;
  /** name used in error messages when the input is a Buffer (default '<buffer>') */
  name?: string;
}

/** Decodes one image file or in-memory encoded image to size*size gray bytes. */
export async function decodeFace(input: string | Buffer, size: number | DecodeOptions = 48): Promise<Uint8Array> {
  const opts: DecodeOptions = typeof size === 'number' ? { size } : size;
  const side = opts.size ?? 48, maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const name = typeof input === 'string' ? input : opts.name ?? '<buffer>';
  if (!Number.isInteger(side) || side < 1) throw new RangeError(`decodeFace: size must be a positive integer, got ${side}`);

  let bytes: Buffer;
  if (typeof input === 'string') {
    try { bytes = await readFile(input); }
    catch (e) { throw new Error(`Could not read image file ${name}: ${(e as Error).message}`); }
  } else bytes = input;

  try {
    // failOn 'truncated': reject cut-off files (whose missing rows libvips would silently fill with grey)
    // but tolerate benign warnings such as extra bytes after the end marker, common in scraped JPEGs.
    const img = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated' }).autoOrient();
    // Crop BEFORE resizing (sharp's fit 'cover' resizes first, letting the resampling kernel pull in pixels
    // from outside the square). Dimensions are as displayed, i.e. swapped for EXIF orientations 5..8.
    // Square inputs (every dataset image) skip the metadata call: a square stays square under any EXIF
    // rotation, and sharp's per-call overhead is a quarter of the decode time for a 48x48 JPEG.
    if (!isSquareByHeader(bytes)) {
      const meta = await img.metadata();
      const swap = (meta.orientation ?? 1) >= 5;
      const w = (swap ? meta.height : meta.width) ?? 0, h = (swap ? meta.width : meta.height) ?? 0;
      if (w !== h && w > 0 && h > 0) {
        const s = Math.min(w, h);
        img.extract({ left: (w - s) >> 1, top: (h - s) >> 1, width: s, height: s });
      }
    }
    const { data, info } = await img
      .flatten({ background: '#000000' })
      .grayscale()
      .resize(side, side, { fit: 'fill' })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 || data.length !== side * side) {
      throw new Error(`expected ${side}x${side}x1 output, got ${info.width}x${info.height}x${info.channels}`);
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    if (/pixel limit/i.test(msg)) {
      let dims = '';
      try { const m = await sharp(bytes, { limitInputPixels: false }).metadata(); dims = ` (${m.width}x${m.height} = ${(m.width ?? 0) * (m.height ?? 0)} pixels)`; } catch { /* header unreadable: no dims */ }
      throw new Error(`Image ${name} is too large${dims}: the limit is ${maxPixels} pixels (option maxPixels)`);
    }
    throw new Error(`Could not decode image ${name}: ${msg}`);
  }
}

export interface DecodeManyOptions extends Omit<DecodeOptions, 'name'> {
  /** files decoded at once (default 8): enough to keep libvips' threads busy without holding many files in memory */
  concurrency?: number;
  /** called after each file, with files done so far and the total */
  onProgress?: (done: number, total: number) => void;
  /** if true, a file that fails is recorded in `failures` and left out; if false (default) the first failure rejects */
  skipErrors?: boolean;
}

export interface DecodeManyResult {
  /** decoded images, packed back to back (size*size bytes each), in the order of `paths` minus failures */
  images: Uint8Array;
  /** for each packed image, its index in `paths` */
  decoded: number[];
  /** the files that could not be decoded (only with skipErrors) */
  failures: { index: number; path: string; message: string }[];
}

/** Decodes many files with bounded concurrency into one packed buffer. */
export async function decodeMany(paths: readonly string[], opts: DecodeManyOptions = {}): Promise<DecodeManyResult> {
  const size = opts.size ?? 48, px = size * size;
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? 8, paths.length || 1));
  const all = new Uint8Array(paths.length * px);
  const ok = new Uint8Array(paths.length);
  const failures: DecodeManyResult['failures'] = [];
  let next = 0, done = 0, firstError: Error | undefined;

  const worker = async () => {
    while (next < paths.length && !firstError) {
      const i = next++;
      try {
        all.set(await decodeFace(paths[i], { size, maxPixels: opts.maxPixels }), i * px);
        ok[i] = 1;
      } catch (e) {
        if (!opts.skipErrors) { firstError ??= e as Error; return; }
        failures.push({ index: i, path: paths[i], message: (e as Error).message });
      }
      opts.onProgress?.(++done, paths.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (firstError) throw firstError;

  failures.sort((a, b) => a.index - b.index);
  if (failures.length === 0) return { images: all, decoded: Array.from(paths.keys()), failures };
  // Compact in place: successes move down over the holes left by failures.
  const decoded: number[] = [];
  for (let i = 0; i < paths.length; i++) {
    if (!ok[i]) continue;
    if (decoded.length !== i) all.copyWithin(decoded.length * px, i * px, (i + 1) * px);
    decoded.push(i);
  }
  return { images: all.slice(0, decoded.length * px), decoded, failures };
}
