import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { evalCommand, type CliIo } from '../../src/cli/commands/eval.js';
import { calibrateCommand } from '../../src/cli/commands/calibrate.js';
import { fitTemperature } from '../../src/eval/calibration.js';
import { modelLogits } from '../../src/eval/evaluate.js';
import { modelTemperature } from '../../src/eval/labels.js';
import { mcnemarExact } from '../../src/eval/paired.js';
import { loadModel } from '../../src/engine/node/index.js';
import { resolveModelPath } from '../../src/model/registry.js';
import { imageFolder, saveTinyModel, tempDir } from './fixtures.js';

const close = (x: number, y: number) => assert.ok(Math.abs(x - y) < 1e-12, `${x} vs ${y}`);

function collect(tty = false): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', stderrIsTTY: tty, stdout: (s: string) => { io.out += s; }, stderr: (s: string) => { io.err += s; } };
  return io;
}

test('eval: an unknown flag is a usage error (exit 2) naming the flag', async () => {
  const io = collect();
  assert.equal(await evalCommand(['--model', 'm', '--data', 'd', '--format', 'folder', '--bogus'], io), 2);
  assert.match(io.err, /ferkit eval: Unknown option '--bogus'/);
  assert.match(io.err, /Usage: ferkit eval/);
  assert.equal(io.out, '');
});

test('eval: missing --model / --data, bad --format, --tta and --threads exit 2 with a clear message', async () => {
  const cases: [string[], RegExp][] = [
    [['--data', 'd', '--format', 'folder'], /missing --model/],
    [['--model', 'm', '--format', 'folder'], /missing --data/],
    [[], /missing --model, --data, --format/],
    [['--model', 'm', '--data', 'd', '--format', 'png'], /--format must be one of fer2013, fer2013-csv, ckplus, jaffe, folder; got 'png'/],
    [['--model', 'm', '--data', 'd', '--format', 'folder', '--tta', 'mirror'], /--tta must be one of none, flip, tencrop; got 'mirror'/],
    [['--model', 'm', '--data', 'd', '--format', 'folder', '--threads', '0'], /--threads must be a positive integer/],
    [['--model', 'm', '--data', 'd', '--format', 'folder', 'extra'], /Unexpected argument 'extra'/],
    [['--model', 'a,,b', '--data', 'd', '--format', 'folder'], /--model 'a,,b' has an empty name in its list/],
    [['--model', 'tiny,base,tiny', '--data', 'd', '--format', 'folder'], /--model lists 'tiny' twice/],
    [['--model', 'tiny', '--compare', 'tiny', '--data', 'd', '--format', 'folder'], /--compare names the --model itself/],
    [['--model', 'tiny', '--compare', 'base,', '--data', 'd', '--format', 'folder'], /--compare 'base,' has an empty name/],
  ];
  for (const [argv, re] of cases) {
    const io = collect();
    assert.equal(await evalCommand(argv, io), 2, argv.join(' '));
    assert.match(io.err, re);
  }
  const help = collect();
  assert.equal(await evalCommand(['--help'], help), 0);
  assert.match(help.out, /--report <file.html>/);
});

test('eval: a missing model file is a runtime error (exit 1) that says so', async () => {
  const io = collect();
  assert.equal(await evalCommand(['--model', '/nonexistent/m.safetensors', '--data', '/nonexistent', '--format', 'folder'], io), 1);
  assert.match(io.err, /ferkit eval: model '\/nonexistent\/m.safetensors' not found/);
});

test('eval: table output, progress only on a TTY, and an HTML report', async (t) => {
  const { dir, cleanup } = await tempDir('cli');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors'), data = join(dir, 'data'), report = join(dir, 'out', 'r.html');
  await saveTinyModel(model, 7);
  await imageFolder(data, ['happy', 'sad'], 2);
  const io = collect(true);
  assert.equal(await evalCommand(['--model', model, '--data', data, '--format', 'folder', '--threads', '1', '--report', report], io), 0, io.err);
  assert.match(io.out, /images\s+4\n/);
  assert.match(io.out, /accuracy\s+\d+\.\d\d%  \(95% interval \d+\.\d\d%-\d+\.\d\d%: how well 4 images pin it down\)/);
  assert.match(io.out, /confusion \(rows: true, columns: predicted\)/);
  assert.match(io.err, /predicting 4\/4/);
  assert.match(io.err, /report written to/);
  const html = readFileSync(report, 'utf8');
  assert.match(html, /^<!DOCTYPE html>/);
  assert.ok(html.includes('<svg'));
  // no progress without a TTY, nor with --json
  const quiet = collect(false);
  assert.equal(await evalCommand(['--model', model, '--data', data, '--format', 'folder', '--threads', '1'], quiet), 0);
  assert.equal(quiet.err, '');
  const json = collect(true);
  assert.equal(await evalCommand(['--model', model, '--data', data, '--format', 'folder', '--threads', '1', '--json'], json), 0);
  assert.equal(json.err, '');
});

test('eval --json (as a process): stdout is exactly one parseable JSON object', async (t) => {
  const { dir, cleanup } = await tempDir('json');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors'), data = join(dir, 'data');
  await saveTinyModel(model, 7);
  await imageFolder(data, ['angry', 'neutral', 'fear'], 2);
  const mod = fileURLToPath(new URL('../../src/cli/commands/eval.js', import.meta.url));
  const script = `import(${JSON.stringify(mod)}).then((m) => m.evalCommand(process.argv.slice(1))).then((c) => { process.exitCode = c; });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, '--',
    '--model', model, '--data', data, '--format', 'folder', '--threads', '1', '--json'], { encoding: 'utf8' });
  assert.equal(stdout.trim().split('\n').length, 1);
  const o = JSON.parse(stdout);
  assert.deepEqual(Object.keys(o).sort(), ['accuracy', 'accuracyInterval', 'confusion', 'ece', 'labels', 'macroF1', 'n', 'nll', 'perClass', 'temperature']);
  assert.equal(o.n, 6);
  assert.equal(o.labels.length, 7);
  assert.equal(o.confusion.length, 7);
  assert.equal(o.perClass.fear.support, 2);
  const tr = o.confusion.reduce((s: number, r: number[], i: number) => s + r[i], 0);
  assert.ok(Math.abs(o.accuracy - tr / 6) < 1e-12);
  assert.ok(o.accuracyInterval[0] <= o.accuracy && o.accuracy <= o.accuracyInterval[1]);
});

test('eval --model a,b: an ensemble, with each member\'s accuracy in the table and in --json', async (t) => {
  const { dir, cleanup } = await tempDir('cli-ens');
  t.after(cleanup);
  const a = join(dir, 'a.safetensors'), b = join(dir, 'b.safetensors'), data = join(dir, 'data');
  await saveTinyModel(a, 7, {}, 1);
  await saveTinyModel(b, 7, {}, 2);
  await imageFolder(data, ['happy', 'sad'], 2);
  const io = collect(false);
  assert.equal(await evalCommand(['--model', `${a},${b}`, '--data', data, '--format', 'folder', '--threads', '1'], io), 0, io.err);
  assert.match(io.out, new RegExp(`model ensemble of ${a}, ${b}`));
  assert.match(io.out, /members alone \(same images\)\n\s+\d+\.\d\d%  macro-F1 \d\.\d{4}  .*a\.safetensors\n\s+\d+\.\d\d%  macro-F1 \d\.\d{4}  .*b\.safetensors/);
  const json = collect(false);
  assert.equal(await evalCommand(['--model', `${a},${b}`, '--data', data, '--format', 'folder', '--threads', '1', '--json'], json), 0, json.err);
  const o = JSON.parse(json.out);
  assert.equal(o.n, 4);
  assert.deepEqual(o.members.map((m: { model: string }) => m.model), [a, b]);
  for (const m of o.members) assert.ok(m.accuracy >= 0 && m.accuracy <= 1);
});

test('eval --compare: both models on the same images, the faces only one gets right, and McNemar\'s p', async (t) => {
  const { dir, cleanup } = await tempDir('cli-cmp');
  t.after(cleanup);
  const a = join(dir, 'a.safetensors'), b = join(dir, 'b.safetensors'), c = join(dir, 'c.safetensors'), data = join(dir, 'data');
  await saveTinyModel(a, 7, {}, 1);
  await saveTinyModel(b, 7, {}, 2);
  await saveTinyModel(c, 7, {}, 3);
  await imageFolder(data, ['happy', 'sad', 'angry'], 3);
  const run = async (argv: string[]) => { const io = collect(false); assert.equal(await evalCommand([...argv, '--data', data, '--format', 'folder', '--threads', '1'], io), 0, io.err); return io.out; };
  // the same file under another spelling is the model itself
  for (const [m, other] of [[a, `${dir}/./a.safetensors`], ['tiny', resolveModelPath('tiny')]]) {
    const self = collect(false);
    assert.equal(await evalCommand(['--model', m, '--compare', other, '--data', data, '--format', 'folder'], self), 2, `${m} against ${other}`);
    assert.match(self.err, /--compare names the --model itself/);
  }
  const o = JSON.parse(await run(['--model', a, '--compare', b, '--json']));
  const alone = JSON.parse(await run(['--model', b, '--json']));
  const k = o.compare;
  assert.equal(k.model, b);
  assert.equal(k.accuracy, alone.accuracy);
  assert.equal(k.onlyModel + k.onlyCompare + k.bothRight + k.bothWrong, o.n);
  close(o.accuracy, (k.bothRight + k.onlyModel) / o.n);
  close(k.accuracy, (k.bothRight + k.onlyCompare) / o.n);
  assert.equal(k.pValue, mcnemarExact(k.onlyModel, k.onlyCompare));
  // the table says the same, and an ensemble can be either side
  const report = join(dir, 'r.html');
  const table = await run(['--model', a, '--compare', `${b},${c}`, '--report', report]);
  assert.match(readFileSync(report, 'utf8'), /Compared with<\/th><td>ensemble of .*McNemar exact p<\/th><td>[\d.e-]+</s);
  assert.match(table, new RegExp(`compared with ensemble of ${b}, ${c} \\(same images and views\\)`));
  assert.match(table, /right only\s+\d+ faces by this model, \d+ by ensemble/);
  assert.match(table, /McNemar\s+exact p = \d\.\d{4}: (no evidence of a difference|a difference unlikely to be chance)/);
});

test('calibrate --tta none,flip: a temperature per augmentation, each the NLL minimum of its own logits; a later fit keeps the others', async (t) => {
  const { dir, cleanup } = await tempDir('calibrate');
  t.after(cleanup);
  const model = join(dir, 'm.safetensors'), out = join(dir, 'cal.safetensors'), cache = join(dir, 'cache');
  await saveTinyModel(model, 3, { labels: JSON.stringify(['happy', 'sad', 'angry']) });
  await imageFolder(join(dir, 'data'), ['happy', 'sad', 'angry'], 4);
  const data = ['--data', join(dir, 'data'), '--format', 'folder', '--cache-dir', cache];
  const logs: string[] = [];
  t.mock.method(console, 'log', (s: string) => { logs.push(s); });
  assert.equal(await calibrateCommand(['--model', model, ...data, '--tta', 'flip,none', '--out', out, '--json']), 0);
  const report = JSON.parse(logs.pop()!);
  assert.deepEqual(report.fits.map((f: { tta: string }) => f.tta), ['none', 'flip'], 'the single view first');

  const want = async (tta: 'none' | 'flip') => {
    const r = await modelLogits({ modelPath: model, data: { format: 'folder', path: join(dir, 'data') }, tta, threads: 1 });
    return fitTemperature(r.logits, r.targets, r.K);
  };
  const tNone = await want('none'), tFlip = await want('flip');
  const md = loadModel(out).metadata;
  assert.ok(Math.abs(Number(md.temperature) - tNone) < 1e-6, `${md.temperature} vs ${tNone}`);
  assert.ok(Math.abs(modelTemperature(md, 'flip') - tFlip) < 1e-6, `${modelTemperature(md, 'flip')} vs ${tFlip}`);
  const flip = JSON.parse(md.ttaCalibration).flip;
  assert.equal(flip.n, 12);
  assert.ok(Math.abs(flip.singleViewTemperature.temperature - tNone) < 1e-6, 'compared with the single view fitted in the same run');
  assert.ok(flip.after.nll <= flip.singleViewTemperature.nll + 1e-12, 'its own temperature fits its logits at least as well');
  assert.equal(JSON.parse(md.calibration).n, 12);

  // refitting flip alone leaves the single view's record as it was
  assert.equal(await calibrateCommand(['--model', out, ...data, '--tta', 'flip']), 0);
  const md2 = loadModel(out).metadata;
  assert.equal(md2.temperature, md.temperature);
  assert.equal(md2.calibration, md.calibration);
  assert.ok(Math.abs(modelTemperature(md2, 'flip') - tFlip) < 1e-6);
  assert.match(logs.join('\n'), /--tta flip: temperature [\d.]+ fitted on 12 images; .* \(at the single view's temperature/);

  // a bad --tta is a usage error, and nothing is written
  const errors: string[] = [];
  t.mock.method(console, 'error', (m: string) => { errors.push(m); });
  // a bundled model is not rewritten in place: --out is required
  const bundled = resolveModelPath('tiny'), before = readFileSync(bundled);
  assert.equal(await calibrateCommand(['--model', 'tiny', ...data]), 2);
  assert.match(errors.pop()!, /--model tiny is a bundled model; give --out FILE/);
  assert.deepEqual(readFileSync(bundled), before);
  assert.equal(await calibrateCommand(['--model', model, ...data, '--tta', 'mirror', '--out', join(dir, 'x.safetensors')]), 2);
  assert.throws(() => loadModel(join(dir, 'x.safetensors')));
});
