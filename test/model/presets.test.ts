import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countParams } from '../../src/engine/index.js';
import { MODEL_PRESETS } from '../../src/model/presets.js';
import { buildReferenceNet } from '../../src/model/reference-net.js';
import { bundledModelNames, netConfigOfModel, resolveModelPath } from '../../src/model/registry.js';

// `ferkit train --model base` must train the network that ships as models/base.safetensors, or the
// model card's reproduction commands build something else.
test('each bundled model records the network of the preset of the same name', () => {
  const names = bundledModelNames().filter((n) => n in MODEL_PRESETS);
  assert.deepEqual(names.sort(), Object.keys(MODEL_PRESETS).sort(), 'every preset ships as a bundled model');
  for (const name of names) {
    const recorded = netConfigOfModel(resolveModelPath(name));
    assert.ok(recorded, `models/${name}.safetensors records its network`);
    const preset = MODEL_PRESETS[name];
    for (const k of Object.keys(preset) as (keyof typeof preset)[]) {
      assert.deepEqual(recorded[k], preset[k], `${name}: ${k}`);
    }
  }
});

test('the presets have the parameters PyTorch counts for the same widths, within the budgets (tiny <= 60k, base <= 1.5M)', () => {
  assert.equal(countParams(buildReferenceNet(MODEL_PRESETS.tiny)), 56471);
  const base = countParams(buildReferenceNet(MODEL_PRESETS.base));
  assert.ok(base <= 1_500_000, `base has ${base} parameters`);
  assert.equal(base, 1460215);
});
