// The ferkit command: usage errors exit 2 with a message that says what to do; --json output parses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseTrainArgs } from '../../src/cli/commands/train.js';
import { netConfigOfModel, resolveModelPath } from '../../src/model/registry.js';

const run = (...args: string[]) => spawnSync(process.execPath, ['bin/ferkit.js', ...args], { encoding: 'utf8' });

for (const [args, pattern] of [
  [['nonsense'], /unknown command 'nonsense'/],
  [['train'], /--data is required/],
  [['train', '--data', 'x', '--format', 'gif'], /--format must be one of fer2013, .*; got 'gif'/],
  [['train', '--data', 'x', '--epochs', 'many'], /--epochs must be an integer/],
  [['train', '--data', 'x', '--bogus'], /Unknown option '--bogus'/],
  [['train', '--data', 'x', '--format', 'folder'], /validation would use the training data itself/],
  [['export', '--model', 'tiny'], /--model and --out are required/],
  [['info', '--widths', '16,x'], /--widths must be positive integers separated by commas, got '16,x'/],
  [['info', '--units', '0'], /--units must be a positive integer, got '0'/],
  [['info', '--model', 'tiny', '--widths', '8,16'], /--model describes a file; --widths, --units and --stem describe a network/],
  [['info', '--stem', '2.5'], /--stem must be a positive integer, got '2.5'/],
  [['train', '--data', 'x', '--stem', '0'], /--stem must be a positive integer \(8 in the reference network\), got '0'/],
  [['train', '--data', 'x', '--units', '0'], /--units must be a positive integer, got '0'/],
  [['train', '--data', 'x', '--widths', '16,0,64,128'], /--widths must be positive integers separated by commas, got '16,0,64,128'/],
  [['info', '--bogus'], /Unknown option '--bogus'/],
  [['export', '--model', 'tiny', '--out', 'tiny.bin'], /--out must end in \.onnx \(ONNX\) or \.safetensors/],
  [['export', '--model', 'tiny', '--out', 'tiny.onnx', '--dtype', 'f16'], /--dtype applies to a \.safetensors --out/],
  [['export', '--model', 'tiny', '--out', 'tiny.safetensors', '--dtype', 'f8'], /--dtype must be one of f16, f32; got 'f8'/],
  [['calibrate', '--model', 'tiny'], /--model, --data and --format are required/],
  [['bn-stats', '--model', 'tiny', '--data', 'x'], /--model, --data and --out are required/],
  [['bn-stats', '--model', 'tiny', '--data', 'x', '--out', 'y.safetensors', '--format', 'gif'], /--format must be one of fer2013, .*; got 'gif'/],
  [['bn-stats', '--model', 'tiny', '--data', 'x', '--out', 'y.safetensors', '--batch', '0'], /--batch must be a positive integer, got '0'/],
  [['bn-stats', '--model', 'tiny', '--data', 'x', '--out', 'y.safetensors', '--batches', '0'], /--batches must be a positive integer, got '0'/],
  [['bn-stats', '--model', 'tiny', '--data', 'x', '--out', 'models/tiny.safetensors'], /--out is the --model file itself; write a new file/],
  [['train', '--data', 'x', '--bn-stats', 'raw'], /--bn-stats must be one of clean, augmented; got 'raw'/],
  [['train', '--data', 'x', '--val-stats-batches=-2'], /--val-stats-batches must be an integer >= 0 \(0 = validate with the training batches' statistics\), got '-2'/],
  [['train', '--data', 'x', '--val-stats-batches', '1.5'], /--val-stats-batches must be an integer, got '1.5'/],
  [['cv', '--data', 'x', '--format', 'ckplus', '--bn-stats', 'raw'], /--bn-stats must be one of clean, augmented; got 'raw'/],
  [['eval', '--model', 'tiny', '--data', 'x', '--format', 'folder', '--tta', 'mirror'], /--tta must be one of none, flip, tencrop; got 'mirror'/],
  [['cv', '--data', 'x', '--format', 'ckplus', '--tta', 'fivecrop'], /--tta must be one of none, flip, tencrop; got 'fivecrop'/],
  [['predict'], /give at least one image or folder/],
  [['predict', 'x.jpg', '--tta', 'tencrop'], /--tta must be one of none, flip; got 'tencrop'/],
  [['video', 'x.mp4', '--tta', 'mirror'], /--tta must be one of none, flip; got 'mirror'/],
  [['serve', '--tta', 'tencrop'], /--tta must be one of none, flip; got 'tencrop'/],
  [['train', '--data', 'x', '--format', 'folder', '--val-data', 'y', '--optimizer', 'lion'], /--optimizer must be one of sgd, adam, adamw; got 'lion'/],
  [['train', '--data', 'x', '--format', 'folder', '--val-data', 'y', '--schedule', 'linear'], /--schedule must be one of onecycle, cosine, step, plateau, constant; got 'linear'/],
  [['train', '--data', 'x', '--format', 'folder', '--val-data', 'y', '--val-format', 'csv'], /--val-format must be one of fer2013, .*; got 'csv'/],
  [['train', '--data', 'x', '--format', 'folder', '--val-data', 'y', '--conv', 'dw'], /--conv must be one of sepconv, conv; got 'dw'/],
  [['train', '--data', 'x', '--format', 'folder', '--val-data', 'y', '--activation', 'mid'], /--activation must be one of pre, post; got 'mid'/],
  [['predict', 'x.jpg', '--backend', 'gpu'], /--backend must be one of onnx, engine; got 'gpu'/],
  [['video', 'x.mp4', '--backend', 'gpu'], /--backend must be one of onnx, engine; got 'gpu'/],
  [['train', '--data', 'x', '--erase', '2'], /--erase must be between 0 and 1, got '2'/],
  [['train', '--data', 'x', '--scale', '1.2,0.8'], /--scale must be MIN,MAX/],
  [['train', '--data', 'x', '--rotate', 'lots'], /--rotate must be a number/],
  [['cv', '--data', 'x', '--format', 'ckplus', '--erase', '2'], /--erase must be between 0 and 1, got '2'/],
  [['cv', '--data', 'x', '--format', 'ckplus', '--mixup=-1'], /--mixup must be >= 0/],
  [['cv', '--data', 'x', '--format', 'ckplus', '--lr', 'fast'], /--lr must be a number, got 'fast'/],
  [['cv', '--data', 'x', '--format', 'ckplus', '--class-weights', 'some'], /--class-weights must be one of none, balanced; got 'some'/],
  [['cv', '--data', 'x', '--format', 'ckplus', '--init', 'no-such-model'], /model 'no-such-model' not found/],
  [['cv', '--data', 'x', '--format', 'ckplus', '--init', 'tiny,base', '--model', 'base'], /--model cannot be combined with several --init models/],
  [['cv', '--data', 'x', '--format', 'ckplus', '--init', 'tiny,base,tiny'], /--init lists 'tiny' twice/],
  [['cv', '--data', 'x', '--format', 'ckplus', '--init', 'tiny,,base'], /--init 'tiny,,base' has an empty name in its list/],
  [['train', '--data', 'x', '--teacher', 'base,'], /--teacher 'base,' has an empty name in its list/],
  [['train', '--data', 'x', '--teacher', 'base,base'], /--teacher lists 'base' twice/],
  [['train', '--data', 'x', '--mixup=-0.2'], /--mixup must be >= 0 \(0 = off; 0.2 is usual\), got '-0.2'/],
  [['train', '--data', 'x', '--epochs', '10', '--swa', '11'], /--swa must be from 0 to --epochs \(10\), got '11'/],
  [['train', '--data', 'x', '--distill', '0.5'], /--distill, --teacher-temperature and --teacher-views need --teacher MODEL/],
  [['train', '--data', 'x', '--teacher-views', 'augmented'], /--distill, --teacher-temperature and --teacher-views need --teacher MODEL/],
  [['train', '--data', 'x', '--teacher', 'base', '--teacher-views', 'cropped'], /--teacher-views must be one of clean, augmented, augmented-mirror; got 'cropped'/],
  [['train', '--data', 'x', '--widen', '--widths', '64,128,256,512'], /--widen needs --init MODEL and the wider network/],
  [['train', '--data', 'x', '--widen', '--init', 'base'], /--widen needs --init MODEL and the wider network/],
  [['train', '--data', 'x', '--teacher', 'base', '--distill', '2'], /--distill must be in \(0, 1\], got '2'/],
  [['train', '--data', 'x', '--teacher', 'base', '--teacher-temperature', '0'], /--teacher-temperature must be > 0/],
  [['train', '--data', 'x', '--teacher', 'no-such-model'], /model 'no-such-model' not found/],
] as [string[], RegExp][]) {
  test(`ferkit ${args.join(' ')} exits 2 with a clear message`, () => {
    const r = run(...args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, pattern);
  });
}

test('ferkit info --json prints one JSON object with the parameter count', () => {
  const r = run('info', '--json');
  assert.equal(r.status, 0);
  assert.deepEqual(JSON.parse(r.stdout), { widths: [16, 32, 64, 128], units: 1, stem: 8, params: 56471, macs: JSON.parse(r.stdout).macs, layers: JSON.parse(r.stdout).layers });
  // a wider stem: two 3x3 convolutions and the first unit's inputs grow (16 - 8 channels more)
  const wide = JSON.parse(run('info', '--stem', '16', '--json').stdout);
  assert.equal(wide.stem, 16);
  assert.equal(wide.params - 56471, 9 * 8 + 9 * (16 * 16 - 8 * 8) + 2 * 2 * 8 + 9 * 8 + 2 * 8 * 16);
});

test('ferkit info --model describes a model file: network, size, precision, labels, temperature, training record', () => {
  const r = run('info', '--model', 'tiny', '--json');
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.path, resolveModelPath('tiny'));
  assert.equal(info.params, 56471);
  assert.equal(info.labels.length, 7);
  assert.ok(['F32', 'F16'].includes(info.storedAs));
  assert.ok(info.temperature > 0 && info.valAccuracy > 0.5 && info.bestEpoch >= 1, r.stdout);
  assert.equal(JSON.parse(run('info', '--json').stdout).macs, info.macs, 'the bundled tiny is the default network');
});

test('ferkit help lists every command', () => {
  const r = run('help');
  for (const c of ['serve', 'predict', 'video', 'train', 'eval', 'calibrate', 'bn-stats', 'export', 'cv', 'info']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
});

test('ferkit train: per-knob augmentation flags reach the trainer config, defaults untouched', () => {
  const base = ['--data', 'x', '--val-fraction', '0.1'];
  const d = parseTrainArgs(base);
  assert.ok(!d.help && d.config.augment && d.config.augment.erase === 0.25 && d.config.augment.flip === true && d.config.augment.rotate === 10);
  const p = parseTrainArgs([...base, '--erase', '0', '--rotate', '15', '--scale', '0.85,1.15', '--no-flip', '--shift', '3', '--brightness', '0.1', '--contrast', '0.3']);
  assert.ok(!p.help);
  assert.deepEqual(p.config.augment, { shift: 3, flip: false, rotate: 15, scale: [0.85, 1.15], brightness: 0.1, contrast: 0.3, erase: 0 });
  const none = parseTrainArgs([...base, '--no-augment']);
  assert.ok(!none.help && none.config.augment === false);
});

test('ferkit train: --teacher, --distill, --teacher-temperature, --teacher-views and --swa reach the trainer config', () => {
  const base = ['--data', 'x', '--val-fraction', '0.1'];
  const plain = parseTrainArgs(base);
  assert.ok(!plain.help && plain.config.distill === undefined && plain.config.swaEpochs === 0);
  const p = parseTrainArgs([...base, '--teacher', 'base,tiny', '--distill', '0.7', '--teacher-temperature', '2', '--epochs', '12', '--swa', '4']);
  assert.ok(!p.help && p.config.distill);
  assert.deepEqual(p.config.distill.teachers.map((f) => f.split('/').pop()), ['base.safetensors', 'tiny.safetensors']);
  assert.equal(p.config.distill.weight, 0.7);
  assert.equal(p.config.distill.temperature, 2);
  assert.equal(p.config.swaEpochs, 4);
  assert.equal(plain.config.mixup, 0);
  const mixed = parseTrainArgs([...base, '--mixup', '0.2']);
  assert.ok(!mixed.help && mixed.config.mixup === 0.2);
  const d = parseTrainArgs([...base, '--teacher', 'base']);
  assert.ok(!d.help && d.config.distill?.weight === 0.5 && d.config.distill.temperature === 1 && d.config.distill.views === 'clean');
  const online = parseTrainArgs([...base, '--teacher', 'base', '--teacher-views', 'augmented']);
  assert.ok(!online.help && online.config.distill?.views === 'augmented');
  const mirrored = parseTrainArgs([...base, '--teacher', 'base', '--teacher-views', 'augmented-mirror']);
  assert.ok(!mirrored.help && mirrored.config.distill?.views === 'augmented-mirror');
  assert.equal(plain.config.bnStats, 'clean');
  const kept = parseTrainArgs([...base, '--bn-stats', 'augmented']);
  assert.ok(!kept.help && kept.config.bnStats === 'augmented');
  assert.equal(plain.config.valStatsBatches, 100);
  const sampled = parseTrainArgs([...base, '--val-stats-batches', '0']);
  assert.ok(!sampled.help && sampled.config.valStatsBatches === 0);
});

test('ferkit bn-stats: the bundled tiny with statistics of a folder\'s images, its weights kept, its temperatures removed', async () => {
  const { tempDir } = await import('../data/fixtures.js');
  const { join } = await import('node:path');
  const { loadModel } = await import('../../src/engine/node/files.js');
  const t = await tempDir('cli-bn-stats');
  try {
    await twoClassFolder(join(t.dir, 'faces'));
    const out = join(t.dir, 'tiny-clean.safetensors');
    const r = run('bn-stats', '--model', 'tiny', '--data', join(t.dir, 'faces'), '--format', 'folder', '--batch', '4', '--threads', '1',
      '--val-data', join(t.dir, 'faces'), '--out', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.images, 16);
    assert.equal(j.batches, 4);
    assert.equal(j.calibrationRemoved, true);
    assert.ok(j.validation.before.accuracy >= 0 && j.validation.after.accuracy >= 0);
    const before = loadModel(resolveModelPath('tiny')), after = loadModel(out);
    assert.deepEqual([...after.weights.trainable], [...before.weights.trainable]);
    assert.notDeepEqual([...after.weights.buffers], [...before.weights.buffers]);
    assert.equal(after.metadata.bnStats, 'clean');
    assert.equal(after.metadata.temperature, undefined);
    assert.equal(after.metadata.ttaCalibration, undefined);
    assert.equal(JSON.parse(after.metadata.bnStatsSource).images, 16);
    assert.equal(Number(after.metadata.valAcc), j.validation.after.accuracy, 'the file records the accuracy it was measured at');
    assert.equal(JSON.parse(run('info', '--model', out, '--json').stdout).bnStats, 'clean');
    assert.equal(after.metadata.labels, before.metadata.labels);
    const plain = run('bn-stats', '--model', 'tiny', '--data', join(t.dir, 'faces'), '--format', 'folder', '--batch', '4', '--threads', '1', '--out', out);
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stdout, /recomputed on 16 un-augmented images .* \(4 batches\)/);
    assert.match(plain.stdout, /fit them again: ferkit calibrate --model /);
    // --batches: only the first batches of the seeded order
    const two = run('bn-stats', '--model', 'tiny', '--data', join(t.dir, 'faces'), '--format', 'folder', '--batch', '4', '--batches', '2', '--threads', '1', '--out', out, '--json');
    assert.equal(two.status, 0, two.stderr);
    assert.equal(JSON.parse(two.stdout).batches, 2);
    assert.equal(JSON.parse(two.stdout).images, 8);
    assert.notDeepEqual([...loadModel(out).weights.buffers], [...after.weights.buffers], 'other images, other statistics');
  } finally { await t.cleanup(); }
});

test('ferkit train --init: the network comes from the init file unless --model/--widths say otherwise', () => {
  const base = ['--data', 'x', '--val-fraction', '0.1'];
  const ft = parseTrainArgs([...base, '--init', 'base']);
  assert.ok(!ft.help);
  // whatever base ships, the network is the one its file records (not the tiny default)
  const recorded = netConfigOfModel(resolveModelPath('base'));
  assert.ok(recorded && recorded.units === 2 && recorded.widths![0] > 16);
  assert.deepEqual(ft.config.model, recorded);
  assert.match(ft.config.init!, /models[\\/]base\.safetensors$/);
  const explicit = parseTrainArgs([...base, '--init', 'base', '--model', 'tiny']);
  assert.ok(!explicit.help);
  assert.deepEqual(explicit.config.model, { widths: [16, 32, 64, 128], units: 1 });
  const dropout = parseTrainArgs([...base, '--init', 'base', '--dropout', '0.3']);
  assert.ok(!dropout.help && dropout.config.model?.dropout === 0.3 && dropout.config.model.units === 2);
  const wider = parseTrainArgs([...base, '--init', 'tiny', '--widen', '--widths', '32,64,128,256']);
  assert.ok(!wider.help && wider.config.widen === true && wider.config.model?.widths?.join() === '32,64,128,256');
  // --stem alone keeps the file's network and widens only its stem
  const stem = parseTrainArgs([...base, '--init', 'base', '--widen', '--stem', '32']);
  assert.ok(!stem.help && stem.config.widen === true);
  assert.deepEqual(stem.config.model, { ...recorded, stem: 32 });
});

test('ferkit train: --keep-contempt and --custom-classes reach both the training and validation loads', () => {
  const p = parseTrainArgs(['--data', 'x', '--format', 'folder', '--val-data', 'y', '--keep-contempt', '--custom-classes']);
  assert.ok(!p.help);
  assert.equal(p.train.keepContempt, true);
  assert.equal(p.train.allowCustomClasses, true);
  assert.equal(p.val?.keepContempt, true);
  assert.equal(p.val?.allowCustomClasses, true);
  const d = parseTrainArgs(['--data', 'x', '--format', 'folder', '--val-fraction', '0.2']);
  assert.ok(!d.help && !d.train.keepContempt && !d.train.allowCustomClasses);
});

test('ferkit train on a user folder with classes of its own (--custom-classes): the model file carries those labels', async () => {
  const { tempDir, putGray } = await import('../data/fixtures.js');
  const { loadModel } = await import('../../src/engine/node/index.js');
  const { join } = await import('node:path');
  const t = await tempDir('cli-custom');
  try {
    for (let i = 0; i < 6; i++) {
      await putGray(join(t.dir, 'data', 'engaged', `${i}.png`), 200 - i);
      await putGray(join(t.dir, 'data', 'bored', `${i}.png`), 40 + i);
    }
    const data = join(t.dir, 'data'), out = join(t.dir, 'run');
    const refused = run('train', '--data', data, '--format', 'folder', '--val-fraction', '0.25', '--epochs', '1', '--out', out);
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, /unknown class folders bored, engaged.*--custom-classes/);
    const r = run('train', '--data', data, '--format', 'folder', '--custom-classes', '--val-fraction', '0.25', '--epochs', '1',
      '--batch', '4', '--threads', '1', '--cache-dir', join(t.dir, 'cache'), '--out', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).epochs, 1);
    assert.deepEqual(JSON.parse(loadModel(join(out, 'best.safetensors')).metadata.labels), ['bored', 'engaged']);

    // fine-tuning the bundled FER2013 model onto those classes: a new 2-way head, every other layer from tiny
    const ftOut = join(t.dir, 'ft');
    const ft = run('train', '--data', data, '--format', 'folder', '--custom-classes', '--init', 'tiny', '--val-fraction', '0.25',
      '--epochs', '1', '--batch', '4', '--lr', '1e-9', '--threads', '1', '--cache-dir', join(t.dir, 'cache'), '--out', ftOut);
    assert.equal(ft.status, 0, ft.stderr);
    assert.match(ft.stderr, /onto 2 classes \(bored, engaged\): a new head \(head\.weight, head\.bias\)/);
    const { paramLayout } = await import('../../src/engine/index.js');
    const { weightsToTensors } = await import('../../src/engine/model-file.js');
    const tensors = (p: string) => { const m = loadModel(p); return weightsToTensors(paramLayout(m.graph), m.weights); };
    const tuned = tensors(join(ftOut, 'last.safetensors')), tiny = tensors(resolveModelPath('tiny'));
    assert.deepEqual(tuned['head.weight'].shape, [2, 128, 3, 3]);
    // lr 1e-9 for one step: the body is still tiny's to float precision, so it was copied, not re-initialised
    const a = tuned['body.3.c2.1.weight'].data, b = tiny['body.3.c2.1.weight'].data;
    assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-5));
  } finally { await t.cleanup(); }
});

/** 8 bright 'happy' and 8 dark 'angry' faces under dir: a folder dataset a network learns in one epoch */
async function twoClassFolder(dir: string) {
  const { putGray } = await import('../data/fixtures.js');
  const { join } = await import('node:path');
  for (let i = 0; i < 8; i++) for (const c of ['happy', 'angry']) await putGray(join(dir, c, `${i}.png`), c === 'happy' ? 200 - i : 40 + i);
}

test('ferkit train --teacher: a log without a terminal still shows the teacher pass progressing', async () => {
  const { tempDir } = await import('../data/fixtures.js');
  const { join } = await import('node:path');
  const t = await tempDir('cli-teacher');
  try {
    await twoClassFolder(t.dir);
    // two teachers over the 12 training images: 24 teacher views, the first teacher done at 12 = 50%
    const r = run('train', '--data', t.dir, '--format', 'folder', '--val-fraction', '0.25', '--epochs', '1', '--batch', '4', '--threads', '1',
      '--teacher', 'tiny,base', '--out', join(t.dir, 'run'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /distillation: teacher pass 50% \(12\/24 images\)/);
  } finally { await t.cleanup(); }
});

test('ferkit train: a log without a terminal gets, per epoch, the best validation accuracy so far and an ETA', async () => {
  const { tempDir } = await import('../data/fixtures.js');
  const { join } = await import('node:path');
  const t = await tempDir('cli-epoch-line');
  try {
    await twoClassFolder(t.dir);
    const r = run('train', '--data', t.dir, '--format', 'folder', '--val-fraction', '0.25', '--epochs', '2', '--batch', '4', '--threads', '1',
      '--out', join(t.dir, 'run'));
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => /^epoch \d+:/.test(l));
    assert.equal(lines.length, 2, r.stderr);
    // the figure the epoch is picked by (statistics of un-augmented batches), then the run's own statistics'
    assert.match(lines[0], /acc \d+\.\d\d% \[\d+\.\d\d% with the run's statistics\] \(best \d+\.\d\d% at epoch 1\) \|.* s \| ETA \d+(\.\d+)?s$/);
    assert.match(lines[1], /\(best \d+\.\d\d% at epoch [12]\) \|.* s$/); // the last epoch: nothing left, no ETA
  } finally { await t.cleanup(); }
});

test('ferkit train stopped by SIGTERM (as a background job is) writes a checkpoint and exits 130', async () => {
  const { tempDir } = await import('../data/fixtures.js');
  const { join } = await import('node:path');
  const { existsSync } = await import('node:fs');
  const { spawn } = await import('node:child_process');
  const t = await tempDir('cli-sigterm');
  try {
    await twoClassFolder(t.dir);
    const out = join(t.dir, 'run');
    // far more epochs than the test waits for: only the signal can end this run
    const child = spawn(process.execPath, ['bin/ferkit.js', 'train', '--data', t.dir, '--format', 'folder', '--val-fraction', '0.25',
      '--epochs', '100000', '--batch', '4', '--threads', '1', '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no epoch finished: ${err}`)); }, 60_000);
      child.stderr.on('data', (d) => { err += d; if (/epoch 1:/.test(err) && !child.killed) child.kill('SIGTERM'); });
      child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
    });
    assert.equal(code, 130, err);
    assert.match(err, /SIGTERM: finishing the current step and writing a checkpoint/);
    assert.match(err, /stopped: checkpoint written to .*checkpoint\.safetensors \(epoch \d+, batch \d+\)/);
    assert.match(err, /interrupted: /);
    assert.ok(existsSync(join(out, 'checkpoint.safetensors')), 'checkpoint written');
  } finally { await t.cleanup(); }
});

/** `ferkit cv` on a tiny generated CK+-style folder (4 subjects x anger/happy), with `args` after the data flags */
async function cvOnGeneratedCkPlus(args: string[]) {
  const { tempDir, putGray } = await import('../data/fixtures.js');
  const { join } = await import('node:path');
  const t = await tempDir('cli-cv');
  try {
    let n = 0;
    for (const s of ['S001', 'S002', 'S003', 'S004']) for (const c of ['anger', 'happy']) await putGray(join(t.dir, c, `${s}_001_0000000${n++ % 10}.png`), c === 'happy' ? 200 : 50);
    const r = run('cv', '--data', t.dir, '--format', 'ckplus', '--folds', '2', '--subject-independent', '--epochs', '1', ...args, '--json');
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.folds.length, 2);
    assert.equal(o.pooled.n, 8);
    return { o, stderr: r.stderr };
  } finally { await t.cleanup(); }
}

test('ferkit cv trains a real network per fold with train-style recipe flags (boolean ones included)', async () => {
  const { o } = await cvOnGeneratedCkPlus(['--no-augment', '--batch', '4', '--label-smoothing', '0', '--mixup', '0.2', '--threads', '1']);
  assert.equal(o.members, undefined);
});

test('ferkit cv --init tiny,base fine-tunes both networks in every fold and scores their ensemble', async () => {
  const { o, stderr } = await cvOnGeneratedCkPlus(['--init', 'tiny,base', '--no-augment', '--batch', '4', '--threads', '1']);
  for (let fold = 1; fold <= 2; fold++) for (const m of ['tiny', 'base']) assert.match(stderr, new RegExp(`fold ${fold}: trained ${m}\\.safetensors 1 epochs`));
  assert.deepEqual(o.members.map((m: { name: string }) => m.name), ['tiny', 'base']);
  for (const m of o.members) assert.ok(m.pooledAccuracy >= 0 && m.pooledAccuracy <= 1 && Number.isFinite(m.accuracy.mean));
  assert.equal(o.folds[0].members.length, 2);
});

test('ferkit export --out x.safetensors --dtype f16 writes a half-size model file that predicts like the original', async () => {
  const { mkdtempSync, rmSync, statSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadModel } = await import('../../src/engine/node/files.js');
  const { createInferenceSession } = await import('../../src/engine/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'ferkit-export-'));
  try {
    const out = join(dir, 'tiny16.safetensors');
    const r = run('export', '--model', 'tiny', '--out', out, '--dtype', 'f16', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual({ ...JSON.parse(r.stdout), bytes: 0, temperature: 0 }, { out, bytes: 0, temperature: 0, format: 'safetensors', dtype: 'F16' });
    const original = loadModel(resolveModelPath('tiny'));
    const half = loadModel(out);
    assert.ok(statSync(out).size < 0.6 * statSync(resolveModelPath('tiny')).size || original.storedAs === 'F16');
    assert.equal(half.storedAs, 'F16');
    assert.equal(half.metadata.temperature, original.metadata.temperature, 'metadata kept');
    const x = new Float32Array(4 * 48 * 48).map((_, i) => Math.sin(i * 0.37));
    const a = await createInferenceSession({ graph: original.graph, weights: original.weights, inferBatches: [4] });
    const b = await createInferenceSession({ graph: half.graph, weights: half.weights, inferBatches: [4] });
    const la = a.predict(x, 4), lb = b.predict(x, 4);
    let worst = 0;
    for (let i = 0; i < la.length; i++) worst = Math.max(worst, Math.abs(la[i] - lb[i]));
    assert.ok(worst < 0.05, `largest logit change ${worst}`);
    await a.close(); await b.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
