/**
 * Admission control for analyses: at most `maxConcurrent` run at once, at most `maxQueue` wait for a slot
 * (each for at most `queueTimeoutMs`). A request beyond that is refused at once with 429 and Retry-After,
 * so a burst cannot pile up decoded images in memory.
 */
import { ApiError } from './errors.js';

export class Limiter {
  private running = 0;
  private waiting: { resolve: () => void; timer: NodeJS.Timeout }[] = [];

  constructor(readonly maxConcurrent: number, readonly maxQueue: number, readonly queueTimeoutMs: number) {}

  get inFlight(): number { return this.running; }
  get queued(): number { return this.waiting.length; }

  /** Resolves with a release function once a slot is free; throws ApiError 429 (full) or 503 (waited too long). */
  async acquire(): Promise<() => void> {
    if (this.running < this.maxConcurrent) {
      this.running++;
      return this.releaser();
    }
    if (this.waiting.length >= this.maxQueue) {
      throw new ApiError(429, 'too_many_requests', `too many concurrent analyses: ${this.running} running and ${this.waiting.length} waiting (limits ${this.maxConcurrent} and ${this.maxQueue}); retry in a moment`, { 'retry-after': '1' });
    }
    await new Promise<void>((resolve, reject) => {
      const entry = {
        resolve,
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new ApiError(503, 'queue_timeout', `the server is busy: no analysis slot became free within ${this.queueTimeoutMs} ms; retry later`, { 'retry-after': '2' }));
        }, this.queueTimeoutMs),
      };
      this.waiting.push(entry);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) { clearTimeout(next.timer); next.resolve(); } // the slot passes to the next waiter
      else this.running--;
    };
  }
}

/** Rejects with `onTimeout()` when `p` takes longer than `ms` (p itself keeps running). */
export function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(onTimeout()), ms); }),
  ]);
}
