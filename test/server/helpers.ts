/** Shared fixtures of the server tests: a tiny random model, generated images, multipart bodies. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Session } from '../../src/engine/session.js';
import { saveModel } from '../../src/engine/node/files.js';
import { buildReferenceNet } from '../../src/model/reference-net.js';

export async function tempDir(tag: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `ferkit-server-${tag}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A 7-class reference net (widths [4, 8]) with random weights, saved to `path` (no trained model needed). */
export async function saveTinyModel(path: string, seed = 1, metadata: Record<string, string> = {}): Promise<void> {
  const graph = buildReferenceNet({ widths: [4, 8], stem: 4, classes: 7 });
  const s = await Session.create({ graph, seed, inferBatches: [1] });
  const weights = s.getWeights();
  await s.close();
  saveModel(path, { graph, weights, metadata: { temperature: '1.5', ...metadata } });
}

/** A face-free test image: a colour gradient with a circle, as JPEG or PNG. */
export async function gradientImage(width = 160, height = 120, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const i = (y * width + x) * 3, d = Math.hypot(x - width / 2, y - height / 2) < height / 4;
    px[i] = (x * 255) / width; px[i + 1] = (y * 255) / height; px[i + 2] = d ? 255 : 40;
  }
  const img = sharp(px, { raw: { width, height, channels: 3 } });
  return format === 'jpeg' ? img.jpeg({ quality: 85 }).toBuffer() : img.png().toBuffer();
}

/** A multipart/form-data body with one file part. */
export function multipartBody(field: string, filename: string, type: string, data: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----ferkit${Math.random().toString(16).slice(2)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`;
  return { body: Buffer.concat([Buffer.from(head), data, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}
