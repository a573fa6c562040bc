/** `ferkit serve` as a process: logs the URL, answers, stops on SIGTERM with 0; usage errors exit 2. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { serveCommand } from '../../src/cli/commands/serve.js';
import { saveTinyModel, tempDir } from './helpers.js';

test('serveCommand: usage errors exit 2 without starting', async () => {
  assert.equal(await serveCommand(['--port', 'abc']), 2);
  assert.equal(await serveCommand(['--bogus']), 2);
  assert.equal(await serveCommand(['--port', '70000']), 2);
  assert.equal(await serveCommand(['--model', '/nonexistent/m.safetensors', '--port', '0']), 1);
});

test('ferkit serve --port 0 --model PATH: logs the URL, serves /healthz, exits 0 on SIGTERM', async (t) => {
  const { dir, cleanup } = await tempDir('cli');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors');
  await saveTinyModel(model);
  const mod = new URL('../../src/cli/commands/serve.js', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', `import { serveCommand } from ${JSON.stringify(mod)}; process.exitCode = await serveCommand(process.argv.slice(1));`, '--', '--port', '0', '--model', model], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL logged: ${out}`)), 30_000);
    child.stdout.on('data', () => { const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out); if (m) { clearTimeout(timer); resolve(m[1]); } });
    child.on('exit', (c) => reject(new Error(`exited ${c}: ${out}`)));
  });
  const h = await fetch(`${url}/healthz`);
  assert.equal(h.status, 200);
  assert.equal((await h.json()).model, 'm');
  const code = await new Promise<number | null>((resolve) => { child.on('exit', resolve); child.kill('SIGTERM'); });
  assert.equal(code, 0, out);
});
