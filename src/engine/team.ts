/**
 * Runs op lists on a team of threads that share one WebAssembly memory. Every thread holds the same
 * programs (built from the same spec), so only a program number crosses threads: the driver bumps a
 * sequence counter, every thread walks the program's ops, does its slice of each op's work units, and
 * meets the others at a barrier before the next op. The control words live in the shared memory itself.
 *
 * Uses only Atomics and typed arrays, so the same code runs in Node worker_threads and browser Workers.
 */
import type { Op } from './plan.js';

const SEQ = 0, PROG = 1, COUNT = 2, GEN = 3, ERROR = 4, SHUTDOWN = 5;
/** Control block size in int32 words. */
export const CTRL_WORDS = 16;
/** Busy-wait iterations before sleeping in Atomics.wait: ops are short, a futex round trip is not. */
const SPIN = 20000;

export class TeamError extends Error {}

/** This thread's slice of an op's units: contiguous chunks rounded to the op's grain. */
export function sliceOf(units: number, grain: number, tid: number, threads: number): [number, number] {
  if (threads === 1) return [0, units];
  const chunk = Math.ceil(units / threads / grain) * grain;
  const s = Math.min(units, tid * chunk);
  return [s, Math.min(units, s + chunk)];
}

function barrier(ctrl: Int32Array, threads: number): void {
  const gen = Atomics.load(ctrl, GEN);
  if (Atomics.add(ctrl, COUNT, 1) === threads - 1) {
    Atomics.store(ctrl, COUNT, 0);
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    return;
  }
  for (let i = 0; i < SPIN; i++) if (Atomics.load(ctrl, GEN) !== gen) return;
  while (Atomics.load(ctrl, GEN) === gen) {
    Atomics.wait(ctrl, GEN, gen, 100);
    if (Atomics.load(ctrl, ERROR)) throw new TeamError('a worker thread failed; see the error it reported');
  }
}

/**
 * Runs `ops` as thread `tid` of `threads`. With `times`, adds each op's wall time (its slice plus the wait
 * for the slowest thread) in milliseconds to times[i]: the per-layer profile.
 */
export function runOps(ops: readonly Op[], ctrl: Int32Array | undefined, tid: number, threads: number, times?: Float64Array): void {
  const single = threads === 1 || !ctrl;
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    const t0 = times ? performance.now() : 0;
    if (single) o.run(0, o.units);
    else {
      const [s, e] = sliceOf(o.units, o.grain, tid, threads);
      if (e > s) o.run(s, e);
      barrier(ctrl, threads);
    }
    if (times) times[i] += performance.now() - t0;
  }
}

/** The driving thread's side: start program `prog` on every thread and take part as thread 0. */
export function driveProgram(ctrl: Int32Array, programs: readonly (readonly Op[])[], prog: number, threads: number, times?: Float64Array): void {
  if (Atomics.load(ctrl, ERROR)) throw new TeamError('a worker thread failed earlier; this session cannot run');
  startProgram(ctrl, prog);
  runOps(programs[prog], ctrl, 0, threads, times);
}

/** Tells the workers to run program `prog` (the driver then runs its own share: driveProgram). */
export function startProgram(ctrl: Int32Array, prog: number): void {
  Atomics.store(ctrl, PROG, prog);
  Atomics.add(ctrl, SEQ, 1);
  Atomics.notify(ctrl, SEQ);
}

/**
 * A worker's side: wait for programs and run them until shutdown. `onReady` (the "ready" message to the
 * driver) is called only after the worker has read the sequence counter: the driver starts programs once
 * every worker is ready, and a worker that read the counter after the driver's first bump would take that
 * program as already seen and never join it, leaving the driver at the first barrier for ever (it happened
 * whenever the machine was busy enough to pause the worker between the two).
 */
export function workerLoop(ctrl: Int32Array, programs: readonly (readonly Op[])[], tid: number, threads: number, onReady?: () => void): void {
  let seen = Atomics.load(ctrl, SEQ);
  onReady?.();
  for (;;) {
    let spins = 0;
    while (Atomics.load(ctrl, SEQ) === seen) {
      if (spins++ < SPIN) continue;
      Atomics.wait(ctrl, SEQ, seen, 1000);
    }
    seen = Atomics.load(ctrl, SEQ);
    if (Atomics.load(ctrl, SHUTDOWN)) return;
    try {
      runOps(programs[Atomics.load(ctrl, PROG)], ctrl, tid, threads);
    } catch (err) {
      Atomics.store(ctrl, ERROR, 1);
      Atomics.notify(ctrl, GEN);
      throw err;
    }
  }
}

export function shutdownTeam(ctrl: Int32Array): void {
  Atomics.store(ctrl, SHUTDOWN, 1);
  Atomics.add(ctrl, SEQ, 1);
  Atomics.notify(ctrl, SEQ);
}
