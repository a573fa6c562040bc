import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kFold, stratifiedHoldout, subjectKFold } from '../../src/data/splits.js';

const labels = Uint8Array.from({ length: 300 }, (_, i) => (i < 200 ? 0 : i < 280 ? 1 : 2)); // 200/80/20
const count = (idx: Int32Array, c: number) => idx.reduce((s, i) => s + (labels[i] === c ? 1 : 0), 0);

const assertPartition = (a: Int32Array, b: Int32Array, n: number) => {
  const seen = new Uint8Array(n);
  for (const i of a) seen[i]++;
  for (const i of b) seen[i]++;
  assert.ok(seen.every((v) => v === 1), 'train and test must partition the indices');
};

test('stratifiedHoldout keeps class proportions and is seeded', () => {
  const { train, test: held } = stratifiedHoldout(labels, 0.1, 42);
  assert.deepEqual([count(held, 0), count(held, 1), count(held, 2)], [20, 8, 2]);
  assert.equal(train.length, 270);
  assertPartition(train, held, labels.length);
  assert.deepEqual(stratifiedHoldout(labels, 0.1, 42).test, held);
  assert.notDeepEqual(stratifiedHoldout(labels, 0.1, 43).test, held);
  assert.throws(() => stratifiedHoldout(labels, 1.5, 0), /fraction/);
});

test('kFold: each index in exactly one test fold, stratified and plain', () => {
  for (const stratified of [true, false]) {
    const folds = kFold(labels, 7, 1, stratified);
    assert.equal(folds.length, 7);
    const times = new Uint8Array(labels.length);
    for (const f of folds) {
      assertPartition(f.train, f.test, labels.length);
      for (const i of f.test) times[i]++;
      assert.ok(f.test.length === 42 || f.test.length === 43, `fold size ${f.test.length}`);
    }
    assert.ok(times.every((t) => t === 1));
  }
  for (const f of kFold(labels, 10, 1)) assert.deepEqual([count(f.test, 0), count(f.test, 1), count(f.test, 2)], [20, 8, 2]);
  assert.throws(() => kFold(labels, 1, 0), /k must be/);
});

test('subjectKFold: no subject on both sides, sizes balanced, covers everything', () => {
  // 30 subjects with 3..17 images each.
  const subjects: string[] = [], labs: number[] = [];
  for (let s = 0; s < 30; s++) for (let j = 0; j < 3 + (s * 7) % 15; j++) { subjects.push(`S${String(s).padStart(3, '0')}`); labs.push((s + j) % 6); }
  const folds = subjectKFold(subjects, labs, 5, 9);
  const times = new Uint8Array(subjects.length);
  const sizes = folds.map((f) => f.test.length);
  for (const f of folds) {
    const trainSubjects = new Set(Array.from(f.train, (i) => subjects[i]));
    for (const i of f.test) { assert.ok(!trainSubjects.has(subjects[i]), `subject ${subjects[i]} leaks`); times[i]++; }
    assert.equal(f.train.length + f.test.length, subjects.length);
  }
  assert.ok(times.every((t) => t === 1));
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 17, `greedy balancing: sizes ${sizes}`);
  assert.deepEqual(subjectKFold(subjects, labs, 5, 9), folds);
  assert.throws(() => subjectKFold(subjects, labs, 31, 0), /30 distinct subjects/);
  assert.throws(() => subjectKFold(subjects.slice(1), labs, 5, 0), /subjects but/);
});
