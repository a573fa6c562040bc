import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDatasetCached, type CacheEvent } from '../../src/data/cache.js';
import { encodeGray, flatPixels, putGray, tempDir } from './fixtures.js';

const tmp = await tempDir('cache');
after(tmp.cleanup);

test('second load comes from the cache and is equal; changing a file invalidates it', async () => {
  const root = join(tmp.dir, 'data'), cacheDir = join(tmp.dir, 'cache');
  await putGray(join(root, 'happy', 'a.png'), 10);
  await putGray(join(root, 'sad', 'b.png'), 20);
  await putGray(join(root, 'sad', 'c.png'), 30);
  const opts = { format: 'folder' as const, path: root };
  const events: CacheEvent[] = [];
  const onEvent = (e: CacheEvent) => events.push(e);

  const first = await loadDatasetCached(opts, cacheDir, onEvent);
  const second = await loadDatasetCached(opts, cacheDir, onEvent);
  assert.deepEqual(events.map((e) => e.hit), [false, true]);
  assert.equal(events[0].file, events[1].file);
  assert.deepEqual(second.classes, first.classes);
  assert.deepEqual([...second.labels], [...first.labels]);
  assert.deepEqual(Buffer.from(second.images), Buffer.from(first.images));
  assert.deepEqual(second.files, first.files);
  assert.equal(second.size, 48);

  // Different options -> a different cache entry (no false hit).
  await loadDatasetCached({ ...opts, size: 32 }, cacheDir, onEvent);
  assert.equal(events[2].hit, false);

  // Rewrite one file with other content and a new mtime: the cache must be rebuilt with the new pixels.
  const b = join(root, 'sad', 'b.png');
  await writeFile(b, await encodeGray(flatPixels(48, 48, 99), 48, 48));
  const future = new Date(Date.now() + 5000); await utimes(b, future, future);
  const third = await loadDatasetCached(opts, cacheDir, onEvent);
  assert.equal(events[3].hit, false);
  assert.equal(third.images[2304], 99);
  const files = (await readdir(cacheDir)).filter((f) => f.endsWith('.ferds'));
  assert.equal(files.length, 2, `old cache file of the 48px load should be removed: ${files}`);
  assert.ok(!(await readdir(cacheDir)).some((f) => f.endsWith('.tmp')), 'no temp files left behind');

  // Adding a file invalidates it too.
  await putGray(join(root, 'happy', 'd.png'), 40);
  const fourth = await loadDatasetCached(opts, cacheDir, onEvent);
  assert.equal(events[4].hit, false);
  assert.equal(fourth.labels.length, 4);
});

test('a corrupt cache file is ignored with a warning and rebuilt', async () => {
  const root = join(tmp.dir, 'data2'), cacheDir = join(tmp.dir, 'cache2');
  await putGray(join(root, 'happy', 'a.png'), 10);
  const events: CacheEvent[] = [], warned: string[] = [];
  const opts = { format: 'folder' as const, path: root, onWarning: (m: string) => warned.push(m) };
  await loadDatasetCached(opts, cacheDir, (e) => events.push(e));
  await writeFile(events[0].file, Buffer.from('FERKITDS garbage'));
  const ds = await loadDatasetCached(opts, cacheDir, (e) => events.push(e));
  assert.equal(events[1].hit, false);
  assert.equal(ds.images[0], 10);
  assert.match(warned.join('\n'), /ignoring dataset cache/);
  assert.equal((await loadDatasetCached(opts, cacheDir, (e) => events.push(e))).labels.length, 1);
  assert.equal(events[2].hit, true);
});

test('missing dataset path is a clear error', async () => {
  await assert.rejects(loadDatasetCached({ format: 'fer2013', path: join(tmp.dir, 'nothing'), split: 'train' }, join(tmp.dir, 'c3')), /fer2013 dataset not found at .*nothing/);
});
