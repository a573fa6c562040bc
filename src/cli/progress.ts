/**
 * A one-line progress bar with ETA on stderr. Redrawn at most every 100 ms and only on a terminal, so
 * logs and pipes stay clean (and --json output is never interleaved). A dependency would do the same in
 * more code than this.
 */
export class ProgressBar {
  private last = 0;
  private readonly tty = Boolean(process.stderr.isTTY);
  constructor(private readonly enabled = true) {}

  update(fraction: number, text: string, force = false): void {
    if (!this.enabled || !this.tty) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const width = 24, filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${text}`;
    process.stderr.write(`\r${line.slice(0, (process.stderr.columns ?? 120) - 1)}\x1b[K`);
  }

  done(): void { if (this.enabled && this.tty) process.stderr.write('\r\x1b[K'); }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
