/**
 * The paper's claim, measured: the reference network against three variants that each drop one idea,
 * on the same data, schedule and seeds. For each variant: parameters, MACs per image, training speed and
 * peak memory (a short benchmark in its own process, so peaks do not mix), and FER2013 PublicTest accuracy
 * after the same training schedule, once per seed. Writes docs/ablation.md (and runs/ablation/results.json).
 *
 *   node dist/bench/ablation.js --data ../shared/datasets/fer2013 --epochs 8 [--seeds 1,2] [--only a,b] [--out runs/ablation]
 *
 * Training runs are resumable: rerunning the command continues unfinished runs and reuses finished ones
 * (a run is reused only if it was trained for the same number of epochs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../src/engine/node/files.js';

const { values: a } = parseArgs({ options: {
  data: { type: 'string', default: '../shared/datasets/fer2013' }, epochs: { type: 'string', default: '8' },
  out: { type: 'string', default: 'runs/ablation' }, only: { type: 'string' }, seeds: { type: 'string', default: '1' },
} });
const epochs = Number(a.epochs);
const seeds = a.seeds!.split(',').map(Number);
if (!Number.isInteger(epochs) || epochs < 1 || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
  console.error('ablation: --epochs takes a positive integer and --seeds a comma-separated list of integers, e.g. --seeds 1,2'); process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const variants = [
  { id: 'a', name: 'ours: depthwise separable + pre-activation residual units', flags: [] as string[] },
  { id: 'b', name: 'standard 3x3 convolutions instead of depthwise separable', flags: ['--conv', 'conv'] },
  { id: 'c', name: 'post-activation (conv-BN-ReLU) residual units', flags: ['--activation', 'post'] },
  { id: 'd', name: 'no residual connections', flags: ['--no-residual'] },
].filter((v) => !a.only || a.only.split(',').includes(v.id));
if (!existsSync(resolve(root, a.data!))) { console.error(`ablation: ${a.data} not found (needs ../shared/datasets/fer2013)`); process.exit(2); }

interface SeedRun { accuracy: number; bestEpoch: number; minutes: number; finalValAcc?: number }
interface VariantResult { id: string; name: string; params: number; macs: number; trainImgS: number; peakRssMb: number; epochs: number; runs: Record<string, SeedRun> }

const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);
const resultsPath = join(root, a.out!, 'results.json');
const loaded: Record<string, VariantResult> = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : {};
// Runs of another schedule length are not comparable: drop them rather than mix them into one table.
const results = Object.fromEntries(Object.entries(loaded).filter(([, r]) => r.epochs === epochs && r.runs));
for (const v of variants) {
  if (!results[v.id]) {
    console.error(`${v.id}: ${v.name}: speed and memory`);
    const speed = lastJson(execFileSync(process.execPath, [join(root, 'dist/bench/train-bench.js'), '--no-torch', '--rounds', '1', '--steps', '20', '--json', ...v.flags],
      { encoding: 'utf8', cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }));
    results[v.id] = { id: v.id, name: v.name, params: speed.params, macs: speed.macs_per_image, trainImgS: speed.ferkit_train_img_s,
      peakRssMb: speed.peak_rss_mb, epochs, runs: {} };
    writeFileAtomic(resultsPath, JSON.stringify(results, null, 2) + '\n');
  }
  for (const seed of seeds) {
    const done = results[v.id].runs[seed];
    if (done) { console.error(`${v.id}, seed ${seed}: done earlier (${(done.accuracy * 100).toFixed(2)}%)`); continue; }
    console.error(`${v.id}, seed ${seed}: training ${epochs} epochs`);
    // --bn-stats augmented: the protocol of docs/ablation.md's table (measured before the trainer recomputed
    // statistics on un-augmented faces); the accuracy compared is the best epoch's as training scored it either
    // way, and a statistics pass would only add to every run's minutes
    const run = lastJson(execFileSync(process.execPath, [join(root, 'bin/ferkit.js'), 'train', '--data', a.data!, '--format', 'fer2013',
      '--epochs', String(epochs), '--seed', String(seed), '--out', join(a.out!, `${v.id}-seed${seed}`), '--resume', '--json', '--bn-stats', 'augmented', ...v.flags],
      { encoding: 'utf8', cwd: root, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 }));
    results[v.id].runs[seed] = { accuracy: run.bestAcc, bestEpoch: run.bestEpoch, minutes: run.seconds / 60, finalValAcc: run.history.at(-1)?.valAcc };
    writeFileAtomic(resultsPath, JSON.stringify(results, null, 2) + '\n');
  }
}

const allSeeds = [...new Set(Object.values(results).flatMap((r) => Object.keys(r.runs)))].sort((x, y) => Number(x) - Number(y));
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const rows = Object.values(results).sort((x, y) => x.id.localeCompare(y.id)).map((r) => {
  const runs = allSeeds.map((seed) => r.runs[seed]);
  const done = runs.filter((x): x is SeedRun => x !== undefined);
  const perSeed = runs.map((x) => (x ? `${pct(x.accuracy)} (${x.bestEpoch})` : '-'));
  const avg = done.length ? pct(mean(done.map((x) => x.accuracy))) : '-';
  const minutes = done.length ? mean(done.map((x) => x.minutes)).toFixed(1) : '-';
  return `| (${r.id}) ${r.name} | ${r.params.toLocaleString('en-US')} | ${(r.macs / 1e6).toFixed(2)} M | ${r.trainImgS.toFixed(0)} | ${r.peakRssMb} | ${perSeed.join(' | ')} | ${avg} | ${minutes} |`;
});
const md = `# Ablation: what each idea of the paper buys

Generated by \`node dist/bench/ablation.js --data ../shared/datasets/fer2013 --epochs ${epochs} --seeds ${allSeeds.join(',')}\` (after \`npm install\`).

Protocol: FER2013 Training (28,709 faces) for training, PublicTest (3,589) for the reported accuracy (best
epoch, in brackets). Every variant: widths 16,32,64,128, 1 unit per stage, the same schedule (${epochs} epochs, AdamW lr 3e-3 with one-cycle,
weight decay 5e-4, label smoothing 0.1, batch 64, the default augmentation), seeds ${allSeeds.join(', ')} (each seed
sets the initial weights, the batch order and the augmentation), 2 threads. A short schedule, the same
for all, so the comparison is fair but the absolute accuracies are below those of the full models in models/.
Training speed and peak memory come from \`bench:train\` (20 steps, batch 64, its own process), MACs are
multiply-accumulates per 48x48 image in the forward pass; the training time is per run, the mean over seeds.

| variant | parameters | MACs / image | training img/s | peak RSS (MB) | ${allSeeds.map((seed) => `PublicTest, seed ${seed}`).join(' | ')} | mean | training time (min) |
| --- | --- | --- | --- | --- | ${allSeeds.map(() => '--- | ').join('')}--- | --- |
${rows.join('\n')}
`;
// Hand-written sections after the generated table (from the first '## ' heading on) are kept across reruns.
const docPath = join(root, 'docs/ablation.md');
const previous = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
const notesAt = previous.indexOf('\n## ');
writeFileAtomic(docPath, notesAt >= 0 ? md + previous.slice(notesAt) : md);
console.log(JSON.stringify(results));
