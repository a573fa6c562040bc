/**
 * `ferkit predict <images or folders...>`: every face in every image, its expression and confidence, as a
 * table or JSON; with --annotate, a copy of each image with boxes and labels drawn on it. A file that
 * cannot be read is reported (file and reason) and skipped; the others are still processed; the exit code
 * is then 1.
 */
import { parseArgs } from 'node:util';
import { readdirSync, statSync, mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { oneOf } from '../flags.js';
import { CLASSIFIER_BACKENDS, CLASSIFIER_TTAS, createRecognizer, type ClassifierTta, type FaceResult } from '../../pipeline/index.js';
import { loadRgb } from '../../face/index.js';
import { writeFileAtomic } from '../../engine/node/index.js';
import { esc } from '../../eval/report.js';

const USAGE = `Usage: ferkit predict <image|folder>... [--model tiny] [--backend onnx|engine] [--tta none|flip] [--annotate DIR] [--json]

  --tta flip   classify each face and its mirror image, logits averaged: more accurate, twice the
               classifier's time (default none)
`;
/** --tta's value for the recognition pipeline (predict, video, serve): none or flip, else a UsageError naming both. */
export function parseClassifierTta(value: string): ClassifierTta {
  return oneOf('tta', value, CLASSIFIER_TTAS);
}

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif']);

function expand(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try { st = statSync(p); } catch { out.push(p); continue; } // reported as unreadable later
    if (st.isDirectory()) {
      for (const f of readdirSync(p).sort()) if (IMAGE_EXT.has(extname(f).toLowerCase())) out.push(join(p, f));
    } else out.push(p);
  }
  return out;
}

const COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6'];

/** An SVG overlay with a box, label and confidence per face, sized to the image. */
export function annotationSvg(width: number, height: number, faces: FaceResult[], labels: string[]): string {
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 400));
  const font = Math.max(12, Math.round(Math.max(width, height) / 60));
  const items = faces.map((f) => {
    const c = COLORS[labels.indexOf(f.label) % COLORS.length];
    const text = `${f.label} ${(f.confidence * 100).toFixed(0)}%`;
    const ty = f.box.y > font + 4 ? f.box.y - 4 : f.box.y + f.box.height + font;
    return `<rect x="${f.box.x}" y="${f.box.y}" width="${f.box.width}" height="${f.box.height}" fill="none" stroke="${c}" stroke-width="${stroke}"/>` +
      `<rect x="${f.box.x}" y="${ty - font}" width="${text.length * font * 0.6 + 6}" height="${font + 4}" fill="${c}" opacity="0.85"/>` +
      `<text x="${f.box.x + 3}" y="${ty}" font-family="sans-serif" font-size="${font}" fill="#fff">${esc(text)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${items.join('')}</svg>`;
}

export async function predictCommand(argv: string[]): Promise<number> {
  let a, files: string[], tta: ClassifierTta;
  try {
    const p = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { model: { type: 'string', default: 'tiny' },
      backend: { type: 'string' }, tta: { type: 'string', default: 'none' }, annotate: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } } });
    a = p.values;
    if (a.help) { process.stdout.write(USAGE); return 0; }
    if (!p.positionals.length) throw new Error('give at least one image or folder');
    if (a.backend) oneOf('backend', a.backend, CLASSIFIER_BACKENDS);
    tta = parseClassifierTta(a.tta!);
    files = expand(p.positionals);
    if (!files.length) throw new Error(`no images found in ${p.positionals.join(', ')}`);
  } catch (err: any) {
    console.error(`ferkit predict: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  const fer = await createRecognizer({ model: a.model, backend: a.backend as 'onnx' | 'engine' | undefined, tta });
  const results: { file: string; faces?: FaceResult[]; error?: string; width?: number; height?: number }[] = [];
  let failed = 0;
  try {
    for (const file of files) {
      try {
        const image = await loadRgb(file);
        const faces = await fer.analyze({ data: image.data, width: image.width, height: image.height, channels: 3 });
        results.push({ file, width: image.width, height: image.height, faces });
        if (a.annotate) {
          mkdirSync(a.annotate, { recursive: true });
          const out = join(a.annotate, basename(file, extname(file)) + '.annotated.png');
          const png = await sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 3 } })
            .composite([{ input: Buffer.from(annotationSvg(image.width, image.height, faces, fer.labels)) }]).png().toBuffer();
          writeFileAtomic(out, png);
        }
        if (!a.json) {
          console.log(`${file}: ${faces.length} face${faces.length === 1 ? '' : 's'}`);
          faces.forEach((f, i) => console.log(`  #${i + 1} ${f.label.padEnd(9)} ${(f.confidence * 100).toFixed(1).padStart(5)}%  box ${Math.round(f.box.x)},${Math.round(f.box.y)} ${Math.round(f.box.width)}x${Math.round(f.box.height)}  ` +
            fer.labels.map((l) => `${l.slice(0, 3)} ${(f.probabilities[l] * 100).toFixed(0)}`).join(' ')));
        }
      } catch (err: any) {
        failed++;
        const msg = String(err?.message ?? err);
        results.push({ file, error: msg.includes(file) ? msg : `${file}: ${msg}` });
        console.error(`ferkit predict: ${msg.includes(file) ? msg : `${file}: ${msg}`}`);
      }
    }
  } finally {
    await fer.close();
  }
  if (a.json) console.log(JSON.stringify({ labels: fer.labels, results }));
  return failed ? 1 : 0;
}
