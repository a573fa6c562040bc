/**
 * The layout README.md promises: one folder per layer under src/, and imports that point one way only, a
 * layer importing itself or the layers listed before it (engine first, cli last), never one listed after.
 * Reads the TypeScript sources, so it needs no build of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..'); // dist/test -> repo
const LAYERS = ['engine', 'model', 'data', 'eval', 'train', 'face', 'pipeline', 'server', 'web', 'cli'];

/** Relative module specifiers of static imports, re-exports and dynamic imports. */
function relativeImports(source: string): string[] {
  const specs: string[] = [];
  const re = /\b(?:import|export)\b[^'";]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (let m; (m = re.exec(source)); ) specs.push(m[1] ?? m[2] ?? m[3]);
  return specs;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [join(dir, e.name)] : []);
}

test('relativeImports finds static, re-export, side-effect and dynamic imports, and nothing in strings elsewhere', () => {
  const src = [
    "import { a } from '../data/augment.js';",
    "import type { B } from './b.js';",
    "export { c, type D } from '../eval/predict.js';",
    "import './side-effect.js';",
    "const m = await import('../face/index.js');",
    "import x from 'sharp';",
    "const s = 'from \"../not/an/import.js\"';",
  ].join('\n');
  assert.deepEqual(relativeImports(src), ['../data/augment.js', './b.js', '../eval/predict.js', './side-effect.js', '../face/index.js']);
});

test('every folder under src/ is a layer README.md lists', () => {
  const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.deepEqual(folders.filter((f) => !LAYERS.includes(f)), [], 'add the folder to README.md\'s layout table and to LAYERS here');
});

test('imports point one way: no layer imports a layer listed after it', () => {
  const violations: string[] = [];
  let checked = 0;
  for (const file of sources(join(ROOT, 'src'))) {
    const layer = relative(join(ROOT, 'src'), file).split('/')[0];
    if (!LAYERS.includes(layer)) continue; // src/index.ts, the package entry, re-exports every layer
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = relative(join(ROOT, 'src'), normalize(join(dirname(file), spec))).split('/')[0];
      checked++;
      if (LAYERS.includes(target) && LAYERS.indexOf(target) > LAYERS.indexOf(layer)) {
        violations.push(`${relative(ROOT, file)} (${layer}) imports ${spec} (${target})`);
      }
    }
  }
  assert.ok(checked > 100, `only ${checked} imports found under src/: is the parser broken?`);
  assert.deepEqual(violations, []);
});
