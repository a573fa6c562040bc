import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../../src/data/dataset.js';
import { cvCommand, cvJson, formatCvTable, type CvCommandTrain } from '../../src/cli/commands/cv.js';
import type { CliIo } from '../../src/cli/commands/eval.js';
import { crossValidate, meanStd } from '../../src/eval/cv.js';
import { Z95 } from '../../src/eval/interval.js';
import { facePng, tempDir } from './fixtures.js';

const S = 4, K = 3;
/** 6 subjects x 4 images; the image's gray level encodes its label (level 50 * (label + 1)). */
function data(): Dataset {
  const n = 24, images = new Uint8Array(n * S * S), labels = new Uint8Array(n), subjects: string[] = [];
  for (let i = 0; i < n; i++) {
    labels[i] = i % K;
    images.fill(50 * (labels[i] + 1), i * S * S, (i + 1) * S * S);
    subjects.push(`S${Math.floor(i / 4)}`);
  }
  return { size: S, images, labels, classes: ['angry', 'happy', 'sad'], subjects };
}

/** Reads the label back from the pixel level: a perfect model; `wrongFold` gets everything wrong. */
function oracle(wrong = false) {
  let closed = 0;
  const predict = (x: Float32Array, count: number) => {
    const px = x.length / count, out = new Float32Array(count * K);
    for (let i = 0; i < count; i++) {
      const level = Math.round(((x[i * px] * 0.25 + 0.5) * 255) / 50) - 1;
      out[i * K + ((level + (wrong ? 1 : 0)) % K)] = 5;
    }
    return out;
  };
  return { predict, close: () => { closed++; }, get closed() { return closed; } };
}

test('meanStd uses the sample standard deviation', () => {
  const r = meanStd([0.5, 0.7, 0.9]);
  assert.ok(Math.abs(r.mean - 0.7) < 1e-12 && Math.abs(r.std - 0.2) < 1e-12);
  assert.equal(meanStd([1]).std, 0);
});

test('crossValidate: subject-independent folds, per-fold scores, mean ± std and the recorded assignment', async () => {
  const ds = data(), seen: number[] = [];
  let closes = 0;
  const r = await crossValidate({
    data: ds, folds: 3, subjectIndependent: true, seed: 4,
    train: async (tr, te, fold) => {
      seen.push(fold);
      assert.equal(tr.labels.length + te.labels.length, 24);
      const trainSubjects = new Set(tr.subjects), testSubjects = new Set(te.subjects);
      for (const s of testSubjects) assert.ok(!trainSubjects.has(s), `subject ${s} in both`);
      const m = oracle(fold === 1);
      return { predict: m.predict, close: () => { closes++; } };
    },
  });
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(closes, 3);
  assert.deepEqual(r.protocol, { folds: 3, subjectIndependent: true, stratified: false, seed: 4, images: 24, subjects: 6 });
  assert.deepEqual(r.folds.map((f) => f.accuracy), [1, 0, 1]);
  assert.ok(Math.abs(r.accuracy.mean - 2 / 3) < 1e-12);
  assert.ok(Math.abs(r.accuracy.std - Math.sqrt(((1 / 3) ** 2 * 2 + (2 / 3) ** 2) / 2)) < 1e-12);
  const allSubjects = r.folds.flatMap((f) => f.subjects).sort();
  assert.deepEqual(allSubjects, ['S0', 'S1', 'S2', 'S3', 'S4', 'S5']);
  const allIdx = r.folds.flatMap((f) => f.testIndices).sort((a, b) => a - b);
  assert.deepEqual(allIdx, Array.from({ length: 24 }, (_, i) => i));
  assert.equal(r.pooled.n, 24);
  assert.ok(Math.abs(r.pooled.accuracy - 16 / 24) < 1e-12);
  assert.deepEqual(r.labels, ['angry', 'happy', 'sad']);
});

test('crossValidate: image-level stratified folds; subject-independent needs subjects', async () => {
  const ds = data();
  const r = await crossValidate({ data: ds, folds: 4, subjectIndependent: false, train: async () => oracle() });
  assert.equal(r.folds.length, 4);
  assert.ok(r.folds.every((f) => f.testSize === 6 && f.accuracy === 1));
  assert.equal(r.accuracy.std, 0);
  const { subjects: _s, ...noSubjects } = ds;
  await assert.rejects(crossValidate({ data: noSubjects, folds: 3, train: async () => oracle() }), /needs subject ids/);
});

/** A 7-class model that always says happy (index 3). */
const alwaysHappy = () => ({ predict: (_x: Float32Array, n: number) => new Float32Array(n * 7).map((_, i) => (i % 7 === 3 ? 1 : 0)) });

function collect(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', stderrIsTTY: false, stdout: (s: string) => { io.out += s; }, stderr: (s: string) => { io.err += s; } };
  return io;
}

test('cv command: argument errors exit 2; a JAFFE-style folder runs subject-independent with the given trainer', async (t) => {
  const train: CvCommandTrain = async () => alwaysHappy();
  for (const [argv, re] of [[['--format', 'jaffe'], /missing --data/], [['--data', 'x', '--format', 'jaffe', '--folds', '1'], /--folds must be an integer >= 2/],
    [['--data', 'x', '--format', 'jaffe', '--nope'], /Unknown option '--nope'/]] as [string[], RegExp][]) {
    const io = collect();
    assert.equal(await cvCommand(argv, train, io), 2);
    assert.match(io.err, re);
  }

  const { dir, cleanup } = await tempDir('cv');
  t.after(cleanup);
  // JAFFE names: SUBJECT.CODEn.id.png
  let id = 0;
  for (const s of ['KA', 'KL', 'KM', 'KR']) for (const code of ['AN', 'HA', 'SA']) await writeFile(join(dir, `${s}.${code}1.${id}.png`), await facePng(id++));
  const settings: unknown[] = [];
  const io = collect();
  const code = await cvCommand(['--data', dir, '--format', 'jaffe', '--folds', '2', '--subject-independent', '--epochs', '3', '--json'],
    async (_tr, _te, fold, s) => { settings.push({ fold, epochs: s.epochs, seed: s.seed }); return alwaysHappy(); }, io);
  assert.equal(code, 0, io.err);
  assert.deepEqual(settings, [{ fold: 0, epochs: 3, seed: 0 }, { fold: 1, epochs: 3, seed: 0 }]);
  const o = JSON.parse(io.out);
  assert.equal(o.protocol.subjectIndependent, true);
  assert.equal(o.protocol.subjects, 4);
  assert.equal(o.folds.length, 2);
  assert.deepEqual(o.folds.flatMap((f: { subjects: string[] }) => f.subjects).sort(), ['KA', 'KL', 'KM', 'KR']);
  assert.ok(Math.abs(o.accuracy.mean - 1 / 3) < 1e-12, 'one class in three is happy in every fold');
  assert.equal(o.pooled.perClass.happy.recall, 1);

  const table = collect();
  assert.equal(await cvCommand(['--data', dir, '--format', 'jaffe', '--folds', '2'], async () => alwaysHappy(), table), 0);
  assert.match(table.out, /2-fold cross-validation, stratified by class over images/);
  assert.match(table.out, /accuracy\s+\d+\.\d\d% ± \d+\.\d\d/);
  assert.match(table.err, /warning: this dataset records subjects but --subject-independent was not given/);
});

test('crossValidate scores an ensemble\'s members alone as well, over the same folds', async () => {
  // member 'right' is an oracle, member 'wrong' shifts every answer; confident 'right' carries the ensemble
  const right = oracle(), wrong = oracle(true);
  let calls = 0;
  const sure = { predict: (x: Float32Array, n: number) => { calls++; return right.predict(x, n).map((v) => v * 2); } };
  const r = await crossValidate({
    data: data(), folds: 3, seed: 1,
    train: async () => ({ members: [{ name: 'right', predictor: sure }, { name: 'wrong', predictor: wrong }] }),
  });
  assert.equal(r.accuracy.mean, 1);
  assert.deepEqual(r.members?.map((m) => [m.name, m.accuracy.mean, m.pooled.accuracy, m.pooled.n]), [['right', 1, 1, 24], ['wrong', 0, 0, 24]]);
  for (const f of r.folds) assert.deepEqual(f.members?.map((m) => m.accuracy), [1, 0]);
  // each member predicts each test fold (8 images, one batch) once: the ensemble is scored from those answers
  assert.equal(calls, 3);
  await assert.rejects(crossValidate({ data: data(), folds: 3, seed: 1,
    train: async () => ({ members: [{ name: 'm', predictor: right }, { name: 'm', predictor: wrong }] }) }), /two ensemble members are named 'm'/);
  const plain = await crossValidate({ data: data(), folds: 3, seed: 1, train: async () => oracle() });
  assert.equal(plain.members, undefined);
  assert.equal(plain.folds[0].members, undefined);
});

test('crossValidate scores over the classes of each fold\'s training images: an extra output is not a candidate, and the test fold does not choose', async () => {
  // a model with a 4th output, neutral, that no image has: it tops the true class on every 'happy' image
  const labels = ['angry', 'happy', 'sad', 'neutral'];
  const withNeutral = () => ({
    predict: (x: Float32Array, count: number) => {
      const px = x.length / count, out = new Float32Array(count * 4);
      for (let i = 0; i < count; i++) {
        const level = Math.round(((x[i * px] * 0.25 + 0.5) * 255) / 50) - 1;
        out[i * 4 + level] = 3;
        out[i * 4 + 3] = level === 1 ? 5 : 0;
      }
      return out;
    },
  });
  const r = await crossValidate({ data: data(), folds: 3, seed: 1, labels, train: async () => withNeutral() });
  assert.equal(r.trainedClassesOnly, true);
  assert.equal(r.accuracy.mean, 1);
  assert.equal(r.pooled.accuracy, 1);
  assert.equal(r.pooled.confusion.reduce((s, row) => s + row[3], 0), 0, 'neutral never predicted');
  for (const f of r.folds) assert.deepEqual(f.trainedClasses, [0, 1, 2]);
  // the same logits with every output a candidate: the 8 'happy' images go to neutral
  assert.ok(Math.abs(r.allOutputs.accuracy.mean - 2 / 3) < 1e-12);
  assert.ok(Math.abs(r.allOutputs.pooledAccuracy - 16 / 24) < 1e-12);
  assert.match(formatCvTable(r), /candidates: the classes of each fold's training images; neutral \(no training image\) never predicted\. With every output a candidate \(--all-outputs\): 66\.67% ± [\d.]+, pooled 66\.67%/);
  assert.equal(cvJson(r).allOutputs && (cvJson(r).allOutputs as { pooledAccuracy: number }).pooledAccuracy, 16 / 24);
  // the pooled line carries Wilson's 95% interval of 24 of 24 right: [24 / (24 + z^2), 1]
  const lo = 24 / (24 + Z95 * Z95);
  assert.match(formatCvTable(r), new RegExp(`pooled    accuracy 100\\.00% \\(95% interval ${(lo * 100).toFixed(2)}-100\\.00%\\)`));
  assert.deepEqual((cvJson(r).pooled as { accuracyInterval: number[] }).accuracyInterval, [lo, 1]);
  const all = await crossValidate({ data: data(), folds: 3, seed: 1, labels, trainedClassesOnly: false, train: async () => withNeutral() });
  assert.match(formatCvTable(all), /candidates: every output\. With only the classes of each fold's training images \(neutral left out\): 100\.00% ± 0\.00, pooled 100\.00%/);
  assert.ok(Math.abs(all.accuracy.mean - 2 / 3) < 1e-12);
  assert.equal(all.trainedClasses.accuracy.mean, 1);
  assert.equal(all.pooled.confusion.reduce((s, row) => s + row[3], 0), 8);

  // 'sad' only in subject S0's images: the fold that tests S0 has no 'sad' to train on, so 'sad' is not
  // a candidate there and S0's sad images count as errors, even to an oracle (the test fold must not choose)
  const ds = data();
  for (let i = 0; i < 24; i++) {
    const label = ds.subjects![i] === 'S0' ? 2 : i % 2;
    ds.labels[i] = label;
    ds.images.fill(50 * (label + 1), i * S * S, (i + 1) * S * S);
  }
  const r2 = await crossValidate({ data: ds, folds: 3, seed: 1, train: async () => oracle() });
  const f0 = r2.folds.find((f) => f.subjects.includes('S0'))!;
  assert.deepEqual(f0.trainedClasses, [0, 1]);
  assert.equal(f0.trainedClassesAccuracy, f0.accuracy);
  assert.ok(Math.abs(f0.accuracy - (f0.testSize - 4) / f0.testSize) < 1e-12, `${f0.accuracy}`);
  assert.equal(f0.allOutputsAccuracy, 1);
  for (const f of r2.folds.filter((g) => g !== f0)) assert.deepEqual([f.trainedClasses, f.accuracy], [[0, 1, 2], 1]);
});
