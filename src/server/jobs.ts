/**
 * Video analysis jobs: an upload is written to a temporary file and queued; one job runs at a time (a job
 * already uses the whole detector), the others wait. Clients poll GET /v1/jobs/:id for progress and, when
 * done, the per-track results. Finished jobs are kept for `ttlMs`, then forgotten.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { ApiError } from './errors.js';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

export interface Job {
  id: string;
  status: JobStatus;
  /** 0..1 */
  progress: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** what the video analyser returned (per-track results) */
  result?: unknown;
  error?: { code: string; message: string };
}

/** Runs one job: `file` is the uploaded video; report progress in 0..1. */
export type JobRunner = (file: string, onProgress: (fraction: number) => void, params: Record<string, unknown>) => Promise<unknown>;

export interface JobQueueOptions {
  /** queued + running jobs at most (default 4); beyond: 429 */
  maxPending?: number;
  /** keep finished jobs this long (default 1 hour) */
  ttlMs?: number;
  /** a job running longer than this fails (default 10 minutes) */
  jobTimeoutMs?: number;
}

interface Entry { job: Job; file: string; params: Record<string, unknown>; }

export class JobQueue {
  private readonly jobs = new Map<string, Entry>();
  private readonly pending: Entry[] = [];
  private running = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  readonly maxPending: number;
  readonly ttlMs: number;
  readonly jobTimeoutMs: number;

  constructor(private readonly runner: JobRunner, o: JobQueueOptions = {}) {
    this.maxPending = o.maxPending ?? 4;
    this.ttlMs = o.ttlMs ?? 3_600_000;
    this.jobTimeoutMs = o.jobTimeoutMs ?? 600_000;
  }

  get counts(): Record<JobStatus, number> {
    const c: Record<JobStatus, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const { job } of this.jobs.values()) c[job.status]++;
    return c;
  }

  /** Queues a job for `file` (which the queue deletes when the job ends); throws ApiError 429 when full. */
  submit(file: string, params: Record<string, unknown> = {}): Job {
    if (this.closed) throw new ApiError(503, 'shutting_down', 'the server is shutting down');
    this.expire();
    const active = this.pending.length + (this.running ? 1 : 0);
    if (active >= this.maxPending) {
      void rm(file, { force: true });
      throw new ApiError(429, 'too_many_jobs', `too many video jobs: ${active} queued or running (limit ${this.maxPending}); retry when one has finished`, { 'retry-after': '10' });
    }
    const job: Job = { id: randomUUID(), status: 'queued', progress: 0, createdAt: new Date().toISOString() };
    const entry = { job, file, params };
    this.jobs.set(job.id, entry);
    this.pending.push(entry);
    this.pump();
    return job;
  }

  get(id: string): Job | undefined {
    this.expire();
    return this.jobs.get(id)?.job;
  }

  /** Waits for the running job, drops queued ones (their files are deleted). */
  async close(): Promise<void> {
    this.closed = true;
    for (const e of this.pending.splice(0)) {
      e.job.status = 'failed';
      e.job.error = { code: 'shutting_down', message: 'the server shut down before this job started' };
      await rm(e.file, { force: true });
    }
    await this.idle;
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, { job }] of this.jobs) {
      if (job.finishedAt && now - Date.parse(job.finishedAt) > this.ttlMs) this.jobs.delete(id);
    }
  }

  private pump(): void {
    if (this.running || this.closed) return;
    const e = this.pending.shift();
    if (!e) return;
    this.running = true;
    this.idle = this.run(e).finally(() => { this.running = false; this.pump(); });
  }

  private async run({ job, file, params }: Entry): Promise<void> {
    job.status = 'running';
    job.startedAt = new Date().toISOString();
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = this.runner(file, (f) => { if (Number.isFinite(f)) job.progress = Math.max(job.progress, Math.min(1, Math.max(0, f))); }, params);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ApiError(503, 'job_timeout', `the video took longer than ${Math.round(this.jobTimeoutMs / 1000)} s to analyse; send a shorter clip`)), this.jobTimeoutMs);
      });
      job.result = await Promise.race([work, timeout]);
      job.status = 'done';
      job.progress = 1;
    } catch (err) {
      job.status = 'failed';
      job.error = err instanceof ApiError ? { code: err.code, message: err.message }
        : { code: 'video_failed', message: `the video could not be analysed: ${String((err as Error)?.message ?? err).split('\n')[0]}` };
    } finally {
      clearTimeout(timer);
      job.finishedAt = new Date().toISOString();
      await rm(file, { force: true });
    }
  }
}
