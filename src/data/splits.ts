/**
 * Train/test index splits. All are seeded (same seed, same split on every machine) and return sorted
 * Int32Array index lists into the dataset.
 */
import { Rng } from '../engine/rng.js';

export interface Split { train: Int32Array; test: Int32Array }

const sorted = (xs: number[]) => Int32Array.from(xs).sort();

/** Indices grouped by label, each group shuffled. */
function shuffledByClass(labels: ArrayLike<number>, rng: Rng): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < labels.length; i++) (groups[labels[i]] ??= []).push(i);
  const out = groups.filter((g) => g !== undefined);
  for (const g of out) rng.shuffle(g);
  return out;
}

/**
 * Holds out `fraction` of each class (rounded per class), so train and test keep the class proportions;
 * rare classes are not left out of the test set by chance.
 */
export function stratifiedHoldout(labels: ArrayLike<number>, fraction: number, seed: number): Split {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`stratifiedHoldout: fraction must be in [0, 1], got ${fraction}`);
  const train: number[] = [], test: number[] = [];
  for (const g of shuffledByClass(labels, new Rng(seed))) {
    const k = Math.round(g.length * fraction);
    test.push(...g.slice(0, k)); train.push(...g.slice(k));
  }
  return { train: sorted(train), test: sorted(test) };
}

/** Turns a fold assignment (fold per index) into k {train, test} splits. */
function foldsFrom(assign: Int32Array, k: number): Split[] {
  const folds: Split[] = [];
  for (let f = 0; f < k; f++) {
    const train: number[] = [], test: number[] = [];
    for (let i = 0; i < assign.length; i++) (assign[i] === f ? test : train).push(i);
    folds.push({ train: Int32Array.from(train), test: Int32Array.from(test) });
  }
  return folds;
}

/**
 * k-fold cross-validation: every index is in the test set of exactly one fold. Stratified (default) deals
 * each class's shuffled indices round-robin over the folds, continuing where the previous class stopped, so
 * fold sizes differ by at most one and every fold has each class in proportion.
 */
export function kFold(labels: ArrayLike<number>, k: number, seed: number, stratified = true): Split[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`kFold: k must be an integer >= 2, got ${k}`);
  if (k > labels.length) throw new RangeError(`kFold: k = ${k} is more than the ${labels.length} samples`);
  const rng = new Rng(seed);
  const order = stratified ? shuffledByClass(labels, rng).flat() : (() => { const a = Array.from({ length: labels.length }, (_, i) => i); rng.shuffle(a); return a; })();
  const assign = new Int32Array(labels.length);
  order.forEach((idx, j) => { assign[idx] = j % k; });
  return foldsFrom(assign, k);
}

/**
 * Subject-independent k-fold: all images of one subject (person) go to the same fold, so no one's face is
 * in both train and test of any fold (CK+ has many near-identical frames per person; mixing them inflates
 * accuracy badly). Subjects are placed largest first, each into the fold with the fewest images so far
 * (ties: the fold with fewest images of this subject's classes, then at random by seed).
 */
export function subjectKFold(subjects: readonly string[], labels: ArrayLike<number>, k: number, seed: number): Split[] {
  if (subjects.length !== labels.length) throw new RangeError(`subjectKFold: ${subjects.length} subjects but ${labels.length} labels`);
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`subjectKFold: k must be an integer >= 2, got ${k}`);
  const bySubject = new Map<string, number[]>();
  subjects.forEach((s, i) => { const g = bySubject.get(s); if (g) g.push(i); else bySubject.set(s, [i]); });
  if (k > bySubject.size) throw new RangeError(`subjectKFold: k = ${k} is more than the ${bySubject.size} distinct subjects`);

  let nClasses = 0;
  for (let i = 0; i < labels.length; i++) nClasses = Math.max(nClasses, labels[i] + 1);
  const groups = [...bySubject.values()];
  new Rng(seed).shuffle(groups);                    // random tie order ...
  groups.sort((a, b) => b.length - a.length);       // ... kept by the stable sort among equal sizes
  const foldSize = new Array<number>(k).fill(0);
  const foldClass = Array.from({ length: k }, () => new Array<number>(nClasses).fill(0));
  const assign = new Int32Array(labels.length);
  for (const g of groups) {
    let best = 0, bestSize = Infinity, bestOverlap = Infinity;
    for (let f = 0; f < k; f++) {
      let overlap = 0;
      for (const i of g) overlap += foldClass[f][labels[i]];
      if (foldSize[f] < bestSize || (foldSize[f] === bestSize && overlap < bestOverlap)) { best = f; bestSize = foldSize[f]; bestOverlap = overlap; }
    }
    for (const i of g) { assign[i] = best; foldClass[best][labels[i]]++; }
    foldSize[best] += g.length;
  }
  return foldsFrom(assign, k);
}
