/**
 * Training/inference throughput of the reference network: ferkit's engine and, in the same run, the
 * PyTorch reference (../shared/bench/torch_reference.py) with the same widths, units, batch and threads.
 *
 *   npm run bench:train -- [--widths 16,32,64,128] [--units 1] [--batch 64] [--steps 30] [--threads 2]
 *                          [--profile] [--json] [--no-torch]
 *
 * Prints one JSON line last: params, ferkit/torch training img/s and their ratio, batch-1 latency, RSS.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Session, countParams, createInferenceSession, macsPerImage } from '../src/engine/index.js';
import { defaultThreads, spawnNodeWorker } from '../src/engine/node/threads.js';
import { buildReferenceNet } from '../src/model/reference-net.js';
import { Rng } from '../src/engine/rng.js';

const { values: a } = parseArgs({
  options: {
    widths: { type: 'string', default: '16,32,64,128' },
    units: { type: 'string', default: '1' },
    batch: { type: 'string', default: '64' },
    steps: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string' },
    profile: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false },
    conv: { type: 'string', default: 'sepconv' },
    activation: { type: 'string', default: 'pre' },
    'no-residual': { type: 'boolean', default: false },
  },
});
const widths = a.widths!.split(',').map(Number);
const units = Number(a.units), batch = Number(a.batch), steps = Number(a.steps), rounds = Number(a.rounds);
const threads = a.threads ? Number(a.threads) : defaultThreads();
for (const [k, v] of Object.entries({ units, batch, steps, threads, rounds })) {
  if (!(Number.isInteger(v) && v > 0)) { console.error(`bench:train: --${k} must be a positive integer`); process.exit(2); }
}
const log = (s: string) => { if (!a.json) console.log(s); else console.error(s); };

// ablation variants (the PyTorch peer only knows the reference network, so they imply --no-torch)
const variant = { conv: a.conv as 'sepconv' | 'conv', activation: a.activation as 'pre' | 'post', residual: !a['no-residual'] };
const isReference = variant.conv === 'sepconv' && variant.activation === 'pre' && variant.residual;
if (!isReference) a['no-torch'] = true;
const graph = buildReferenceNet({ widths, units, ...variant });
const params = countParams(graph);
const rng = new Rng(1);

// ---- ferkit: training ----
const s = await Session.create({ graph, threads, spawn: spawnNodeWorker, trainBatch: batch, inferBatches: [1, 256],
  train: { optimizer: { type: 'adam' } }, seed: 0 });
for (let i = 0; i < s.trainInput.length; i++) s.trainInput[i] = rng.normal();
for (let n = 0; n < batch; n++) s.trainLabels[n] = rng.int(7);
for (let i = 0; i < 3; i++) s.trainStep(1e-3);
let t0 = 0;
/** One timed ferkit training run: `steps` steps of Adam at lr 1e-3 (what the PyTorch script does). */
function ferkitRound(): number {
  t0 = performance.now();
  for (let i = 0; i < steps; i++) s.trainStep(1e-3);
  return (steps * batch) / ((performance.now() - t0) / 1000);
}
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
// ---- PyTorch, same run ----
const here = dirname(fileURLToPath(import.meta.url));
const torchScript = join(here, '../../../shared/bench/torch_reference.py');
let torchNote = '';
if (a['no-torch']) torchNote = 'skipped (--no-torch)';
else if (!existsSync(torchScript)) torchNote = `skipped: ${torchScript} not found (../shared is absent)`;
else {
  try { execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }); } catch {
    torchNote = 'skipped: /usr/bin/python3 cannot import torch (apt-get install -y python3-torch)';
  }
}
function torchRound(): Record<string, number> {
  const out = execFileSync('/usr/bin/python3', [torchScript, '--json', '--widths', widths.join(','), '--units', String(units),
    '--batch', String(batch), '--threads', String(threads), '--steps', String(steps)], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

// Rounds alternate ferkit and PyTorch so that drift in the machine's speed hits both; medians reported.
const ferkitRuns: number[] = [], torchRuns: Record<string, number>[] = [];
for (let r = 0; r < rounds; r++) {
  ferkitRuns.push(ferkitRound());
  log(`round ${r + 1}: ferkit ${ferkitRuns[r].toFixed(1)} img/s` + (torchNote ? '' : ''));
  if (!torchNote) {
    torchRuns.push(torchRound());
    log(`round ${r + 1}: pytorch ${torchRuns[r].train_img_s} img/s`);
  }
}
const ferkitTrain = median(ferkitRuns);
const torch: Record<string, number> | undefined = torchRuns.length ? { ...torchRuns[0],
  train_img_s: median(torchRuns.map((t) => t.train_img_s)),
  infer_img_s_b256: median(torchRuns.map((t) => t.infer_img_s_b256)),
  infer_latency_ms_b1: median(torchRuns.map((t) => t.infer_latency_ms_b1)) } : undefined;
log(`ferkit  train: ${ferkitTrain.toFixed(1)} img/s median of ${rounds} (batch ${batch}, ${threads} threads, ${params} params)`);
if (torch) log(`pytorch train: ${torch.train_img_s} img/s median; infer ${torch.infer_img_s_b256} img/s (batch 256); batch-1 latency ${torch.infer_latency_ms_b1} ms`);
const trainRss = process.resourceUsage().maxRSS / 1024; // before any inference plan is touched
let profile: { name: string; ms: number }[] | undefined;
if (a.profile) {
  profile = s.profile(10);
  const total = profile.reduce((x, p) => x + p.ms, 0);
  const byKind = new Map<string, number>();
  for (const p of profile) {
    const kind = p.name.replace(/:[^:]*?\.?[^:]*$/, '').split(':')[0] + (p.name.includes(':bwd') ? (p.name.endsWith(':w') ? ' bwd-weight' : ' bwd-data') : ' fwd');
    byKind.set(kind, (byKind.get(kind) ?? 0) + p.ms);
  }
  log(`per-op profile (ms per step, total ${total.toFixed(2)}):`);
  for (const p of [...profile].sort((x, y) => y.ms - x.ms).slice(0, 25)) log(`  ${p.ms.toFixed(3).padStart(8)}  ${p.name}`);
  log('by kind:');
  for (const [k, v] of [...byKind].sort((x, y) => y[1] - x[1])) log(`  ${v.toFixed(2).padStart(8)} ms ${(100 * v / total).toFixed(1).padStart(5)}%  ${k}`);
}

// ---- ferkit: inference (BatchNorm folded, the default inference path) ----
const weights = s.getWeights();
await s.close();
const x256 = new Float32Array(256 * 48 * 48).map(() => rng.normal());
const si = await createInferenceSession({ graph, weights, threads, spawn: spawnNodeWorker, inferBatches: [256] });
si.predict(x256, 256);
t0 = performance.now();
for (let i = 0; i < 5; i++) si.predict(x256, 256);
const ferkitInfer = 1280 / ((performance.now() - t0) / 1000);
await si.close();
// batch-1 latency: the best of the multi-threaded session and a single-threaded one (barriers cost
// more than they save on one small image); the default inference path uses the same choice.
async function latency(th: number): Promise<number> {
  const si = await createInferenceSession({ graph, weights, threads: th, spawn: spawnNodeWorker, inferBatches: [1] });
  const x1 = x256.subarray(0, 48 * 48);
  for (let i = 0; i < 20; i++) si.predict(x1, 1);
  const t = performance.now();
  for (let i = 0; i < 200; i++) si.predict(x1, 1);
  const ms = (performance.now() - t) / 200;
  await si.close();
  return ms;
}
const lat1 = await latency(1), latN = threads > 1 ? await latency(threads) : Infinity;
const ferkitLatency = Math.min(lat1, latN);
log(`ferkit  infer: ${ferkitInfer.toFixed(1)} img/s (batch 256); batch-1 latency ${lat1.toFixed(3)} ms (1 thread), ${latN.toFixed(3)} ms (${threads} threads)`);

if (torchNote) log(`pytorch: ${torchNote}`);
if (torch && torch.params !== params) {
  console.error(`parameter counts differ: ferkit ${params}, pytorch ${torch.params}: the networks are not the same`);
  process.exit(1);
}
const r2 = (v: number) => Math.round(v * 100) / 100;
const result = {
  params, macs_per_image: macsPerImage(graph), widths, units, batch, threads, variant,
  ferkit_train_img_s: r2(ferkitTrain), torch_train_img_s: torch?.train_img_s ?? null,
  ratio: torch ? r2(ferkitTrain / torch.train_img_s) : null,
  rounds, ratio_per_round: torchRuns.map((t, i) => r2(ferkitRuns[i] / t.train_img_s)),
  ferkit_infer_img_s_b256: r2(ferkitInfer), torch_infer_img_s_b256: torch?.infer_img_s_b256 ?? null,
  ferkit_infer_latency_ms_b1: Math.round(ferkitLatency * 1000) / 1000, torch_infer_latency_ms_b1: torch?.infer_latency_ms_b1 ?? null,
  peak_rss_mb: Math.round(trainRss),
  ...(torchNote ? { torch_note: torchNote } : {}),
};
console.log(JSON.stringify(result));
