/**
 * Request metrics: counts per route and status, latency percentiles per route (over the last
 * SAMPLES requests of each), requests in flight. Served as JSON at GET /metrics.
 */
const SAMPLES = 2048;

interface RouteStats {
  count: number;
  byStatus: Record<string, number>;
  samples: Float64Array;
  next: number;
  filled: number;
  totalMs: number;
}

export interface MetricsSnapshot {
  uptimeSeconds: number;
  inFlight: number;
  requests: number;
  routes: Record<string, { count: number; byStatus: Record<string, number>; latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number } }>;
}

export class Metrics {
  private readonly started = Date.now();
  private readonly routes = new Map<string, RouteStats>();
  inFlight = 0;
  requests = 0;

  record(route: string, status: number, ms: number): void {
    let r = this.routes.get(route);
    if (!r) { r = { count: 0, byStatus: {}, samples: new Float64Array(SAMPLES), next: 0, filled: 0, totalMs: 0 }; this.routes.set(route, r); }
    r.count++;
    this.requests++;
    r.byStatus[status] = (r.byStatus[status] ?? 0) + 1;
    r.totalMs += ms;
    r.samples[r.next] = ms;
    r.next = (r.next + 1) % SAMPLES;
    r.filled = Math.min(SAMPLES, r.filled + 1);
  }

  snapshot(extra: Record<string, unknown> = {}): MetricsSnapshot & Record<string, unknown> {
    const routes: MetricsSnapshot['routes'] = {};
    for (const [k, r] of [...this.routes].sort(([a], [b]) => a.localeCompare(b))) {
      const s = Array.from(r.samples.subarray(0, r.filled)).sort((a, b) => a - b);
      const q = (p: number) => (s.length ? round(s[Math.min(s.length - 1, Math.floor(p * s.length))]) : 0);
      routes[k] = { count: r.count, byStatus: { ...r.byStatus }, latencyMs: { mean: round(r.totalMs / Math.max(1, r.count)), p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s.length ? round(s[s.length - 1]) : 0 } };
    }
    return { uptimeSeconds: Math.round((Date.now() - this.started) / 1000), inFlight: this.inFlight, requests: this.requests, routes, ...extra };
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
