#!/usr/bin/env node
/**
 * Bundles the web app (src/web/main.ts and the browser-safe face modules it imports) with esbuild into
 * dist/web/app.js, and copies index.html and style.css next to it. onnxruntime-web is bundled in its
 * "extern wasm" flavour: its .wasm/.mjs runtime files are served by the ferkit server under /ort/.
 * Fails if any Node-only module (node:*, fs, sharp, onnxruntime-node...) ends up in the bundle.
 */
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });
const NODE_ONLY = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), 'sharp', 'onnxruntime-node']);

// Any Node-only import anywhere in the graph is an error that names the importing file.
const guard = {
  name: 'no-node-modules',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (NODE_ONLY.has(args.path) || args.path.startsWith('node:')) {
        return { errors: [{ text: `browser bundle: ${args.importer.replace(root + '/', '')} imports the Node-only module '${args.path}'` }] };
      }
      return undefined;
    });
  },
};

const quiet = process.argv.includes('--quiet');
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/web/main.ts'],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  conditions: ['onnxruntime-web-use-extern-wasm'],
  minify: true,
  sourcemap: true,
  metafile: true,
  logLevel: quiet ? 'error' : 'warning',
  plugins: [guard],
});
for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'src', 'web', f), join(out, f));
const inputs = Object.keys(result.metafile.inputs);
const bytes = result.metafile.outputs['dist/web/app.js']?.bytes ?? 0;
if (!quiet) {
  console.log(`build-web: dist/web/app.js ${(bytes / 1024).toFixed(0)} KiB from ${inputs.length} modules; ferkit modules: ${inputs.filter((i) => i.startsWith('src/')).join(', ')}`);
}
