// The ferkit command: usage errors exit 2 with a message that says what to do; --json output parses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseTrainArgs } from '../../src/cli/commands/train.js';

const run = (...args: string[]) => spawnSync(process.execPath, ['bin/ferkit.js', ...args], { encoding: 'utf8' });

for (const [args, pattern] of [
  [['nonsense'], /unknown command 'nonsense'/],
  [['train'], /--data is required/],
  [['train', '--data', 'x', '--format', 'gif'], /--format must be one of/],
  [['train', '--data', 'x', '--epochs', 'many'], /--epochs must be an integer/],
  [['train', '--data', 'x', '--bogus'], /Unknown option '--bogus'/],
  [['train', '--data', 'x', '--format', 'folder'], /validation would use the training data itself/],
  [['export', '--model', 'tiny'], /--model and --out are required/],
  [['calibrate', '--model', 'tiny'], /--model, --data and --format are required/],
  [['predict'], /give at least one image or folder/],
  [['train', '--data', 'x', '--erase', '2'], /--erase must be between 0 and 1, got '2'/],
  [['train', '--data', 'x', '--scale', '1.2,0.8'], /--scale must be MIN,MAX/],
  [['train', '--data', 'x', '--rotate', 'lots'], /--rotate must be a number/],
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
  assert.deepEqual(JSON.parse(r.stdout), { widths: [16, 32, 64, 128], units: 1, params: 56471, layers: JSON.parse(r.stdout).layers });
});

test('ferkit help lists every command', () => {
  const r = run('help');
  for (const c of ['serve', 'predict', 'video', 'train', 'eval', 'calibrate', 'export', 'cv', 'info']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
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
