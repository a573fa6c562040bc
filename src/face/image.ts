/**
 * Image files -> RgbImage (8-bit packed RGB) with sharp, for the detector and the aligner.
 *
 *  - EXIF orientation is applied (.rotate() with no angle), so phone photos come out upright and
 *    width/height are the displayed ones.
 *  - Alpha is flattened onto WHITE (what a viewer shows for a transparent PNG on a page, so the detector
 *    sees what the user sees).
 *  - Gray, gray+alpha, palette, CMYK (through its ICC profile) and 16-bit images all become 8-bit sRGB.
 *  - The pixel count is checked from the header BEFORE decoding, so a decompression bomb costs nothing.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { RgbImage } from './types.js';

export interface LoadRgbOptions {
  /** refuse images with more pixels than this (default 50 megapixels) */
  maxPixels?: number;
  /** name used in error messages when the input is a Buffer (default '<buffer of N bytes>') */
  name?: string;
}

export const DEFAULT_MAX_PIXELS = 50_000_000;

export async function loadRgb(input: string | Buffer, opts: LoadRgbOptions = {}): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels >= 1)) throw new RangeError(`loadRgb: maxPixels must be >= 1, got ${maxPixels}`);
  let bytes: Buffer;
  let name: string;
  if (typeof input === 'string') {
    name = input;
    try { bytes = await readFile(input); }
    catch (e) { throw new Error(`loadRgb: could not read ${name}: ${(e as Error).message}`); }
  } else if (Buffer.isBuffer(input) || (input as unknown) instanceof Uint8Array) {
    bytes = Buffer.isBuffer(input) ? input : Buffer.from(input as Uint8Array);
    name = opts.name ?? `<buffer of ${bytes.length} bytes>`;
  } else {
    throw new TypeError('loadRgb: input must be a file path or a Buffer of an encoded image (JPEG, PNG, WebP, TIFF, GIF, AVIF...)');
  }
  if (bytes.length === 0) throw new Error(`loadRgb: ${name} is empty (0 bytes): not an image`);

  // 1. Header only: format and size. limitInputPixels is off here because we check it ourselves, with a
  //    message that says what to do.
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>["metadata"]>>;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new Error(`loadRgb: ${name} is not a readable image (${firstLine(e)}); expected JPEG, PNG, WebP, TIFF, GIF or AVIF`);
  }
  const w = meta.width ?? 0, h = meta.height ?? 0;
  if (w * h > maxPixels) {
    throw new Error(`loadRgb: ${name} is ${w}x${h} = ${w * h} pixels, over the limit of ${maxPixels} (pass a larger maxPixels if the image is trusted, or downscale it first)`);
  }

  // 2. Decode. failOn 'truncated' rejects cut-off files (libvips would otherwise fill the missing rows with
  //    grey and a face could be half grey) but tolerates benign warnings common in real-world JPEGs.
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated' })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      throw new Error(`unexpected decoder output ${info.width}x${info.height}x${info.channels}`);
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (e) {
    throw new Error(`loadRgb: could not decode ${name}: ${firstLine(e)} (is the file complete? re-download or re-export it)`);
  }
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}
