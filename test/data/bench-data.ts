/**
 * Data-layer timings (not a test): FER2013 train decode vs cache load, and augmentation throughput.
 * Run: FERKIT_DATA_BENCH=1 node dist/test/data/bench-data.js [cacheDir]
 * Without the variable it does nothing, so a test runner that picks up every file under test/ skips it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/engine/rng.js';
import { Augmenter } from '../../src/data/augment.js';
import { datasetCacheKey, loadDatasetCached, type CacheEvent } from '../../src/data/cache.js';
import { sharedDir } from './fixtures.js';

if (process.env.FERKIT_DATA_BENCH === '1') {
  const aug = new Augmenter({}), N = 48 * 48, batch = 256, out = new Float32Array(batch * N), rng = new Rng(0);
  const img = Uint8Array.from({ length: N }, (_, i) => (i * 31) % 256);
  for (const [name, a] of [['default', aug], ['erase 0.5', new Augmenter({ erase: 0.5 })]] as const) {
    for (let k = 0; k < batch; k++) a.apply(img, out, k * N, rng);
    const t0 = performance.now(), c0 = process.cpuUsage(); let n = 0;
    while (performance.now() - t0 < 2000) { for (let k = 0; k < batch; k++) a.apply(img, out, k * N, rng); n += batch; }
    const cpu = process.cpuUsage(c0), cpuS = (cpu.user + cpu.system) / 1e6;
    // Per CPU-second as well as per wall-second: on a shared machine the wall figure drops when others run.
    console.log(`augment (${name}): ${Math.round(n / ((performance.now() - t0) / 1000))} images/s wall, ${Math.round(n / cpuS)} images per CPU-second`);
  }
  const shared = await sharedDir();
  if (!shared) console.log('../shared absent: skipping FER2013 timings');
  else {
    const cacheDir = process.argv[2] ?? await mkdtemp(join(tmpdir(), 'ferkit-bench-cache-'));
    const opts = { format: 'fer2013' as const, path: join(shared, 'datasets', 'fer2013'), split: 'train' };
    for (let run = 0; run < 2; run++) {
      let ev: CacheEvent | undefined;
      const ds = await loadDatasetCached(opts, cacheDir, (e) => { ev = e; });
      console.log(`FER2013 train ${ev!.hit ? 'cache load' : 'decode + cache write'}: ${(ev!.ms / 1000).toFixed(2)} s, ${ds.labels.length} images`);
    }
    const t0 = performance.now();
    await datasetCacheKey(opts, cacheDir);
    console.log(`  of which validating the cache key (stat of every file): ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    if (!process.argv[2]) await rm(cacheDir, { recursive: true, force: true });
  }
}
