/**
 * The thread team's start-up handshake. A worker says it is ready, and the driver may start a program at
 * once; a worker that read the sequence counter only after that start took the program as already seen and
 * never joined it, so the driver waited at the first barrier for ever. It showed only when the machine was
 * busy enough to pause the worker between its "ready" and its first read (a training run beside an eval).
 * This test starts the program inside the ready callback, the worst moment, deterministically.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';

test('workerLoop: a program started the moment the worker says it is ready is run, not missed', async () => {
  const team = new URL('../../src/engine/team.js', import.meta.url).href;
  // in a thread of its own, so that a worker that misses the program (and so waits for ever) fails the
  // test by the timeout below instead of hanging the test process
  const code = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(team)}).then(({ workerLoop, startProgram, shutdownTeam, CTRL_WORDS }) => {
      const ctrl = new Int32Array(new SharedArrayBuffer(CTRL_WORDS * 4));
      const ran = [];
      const programs = [[{ name: 'other', units: 1, grain: 1, run: () => ran.push(0) }],
                        [{ name: 'first', units: 1, grain: 1, run: () => { ran.push(1); shutdownTeam(ctrl); } }]];
      workerLoop(ctrl, programs, 0, 1, () => startProgram(ctrl, 1));
      parentPort.postMessage(ran);
    });`;
  const w = new Worker(code, { eval: true });
  try {
    const ran = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the worker did not run the program started at its ready signal within 5 s (it missed it)')), 5000);
      w.once('message', (m) => { clearTimeout(timer); resolve(m); });
      w.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
    assert.deepEqual(ran, [1], 'the program started at ready, once, and then the shutdown');
  } finally {
    await w.terminate();
  }
});
