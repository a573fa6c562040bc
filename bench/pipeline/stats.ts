/** Small helpers of bench:pipeline: statistics, the machine, formatting. */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

export const median = (v: number[]): number => {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const quantile = (v: number[], q: number): number => {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** `order` rotated left by r: round r of an interleaved measurement starts with a different contender. */
export const rotated = <T>(order: T[], r: number): T[] => order.map((_, i) => order[(i + r) % order.length]);

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1-minute load averages at the start and the end of the run */
  loadStart: number[];
  loadEnd?: number[];
  /** speedProbe() in ms at the start and the end of the run */
  probeStartMs: number;
  probeEndMs?: number;
}

/** The probe's loop, run by speedProbe() in a fresh Node process; prints its best time in ms. */
const PROBE = `(() => { // in a function: top-level bindings of a script are globals, several times slower
  const a = new Float64Array(1 << 16).map((_, i) => i % 97); let best = Infinity, sink = 0;
  for (let r = 0; r < 21; r++) { const t = performance.now();
    for (let k = 0; k < 300; k++) for (let i = 0; i < a.length; i++) sink += a[i] * 1.0000001;
    best = Math.min(best, performance.now() - t); }
  console.log(sink < 0 ? -1 : best.toFixed(1)); })();`;

/**
 * How fast this machine is right now: the best of 21 runs (about half a second) of a fixed floating-point
 * loop, in ms (lower is faster). The load average cannot see it, but this virtual machine's speed drifts
 * by up to 2x between hours with nothing else running on it (22 ms and 44 ms were both measured on
 * 2026-11-29), and every absolute time in the report moves with it; the ratios between contenders
 * measured together do not. It runs in a fresh process, so what the bench's own process has done (heap,
 * compiled code) does not weigh on it.
 */
export function speedProbe(): number {
  const r = spawnSync(process.execPath, ['-e', PROBE], { encoding: 'utf8' });
  const ms = Number(r.stdout.trim());
  return r.status === 0 && ms > 0 ? ms : NaN;
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpu: c[0]?.model?.trim() ?? 'unknown', cores: c.length, memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version, platform: `${process.platform} ${process.arch}`, loadStart: loadavg().map((x) => +x.toFixed(2)),
    probeStartMs: speedProbe(),
  };
}

export const fmt = (x: number | undefined, digits = 1): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));
export const pct = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : `${(100 * x).toFixed(1)}%`);
/** milliseconds with 3 significant digits */
export const ms = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : x < 1 ? x.toFixed(3) : x < 10 ? x.toFixed(2) : x.toFixed(1));

/** A markdown table. */
export function table(head: string[], rows: (string | number)[][], align?: ('l' | 'r')[]): string {
  const a = align ?? head.map((_, i) => (i === 0 ? 'l' : 'r'));
  return [
    `| ${head.join(' | ')} |`,
    `| ${a.map((x) => (x === 'l' ? ':---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
