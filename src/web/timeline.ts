/**
 * The per-face timeline of a video job: one lane per track, time along x, each sample a column split into
 * the labels' probabilities (stacked, in label colours), or a single colour block when only the label is
 * known. Accepts the few shapes a video analyser may return (tracks with frames/detections/samples).
 */
import { colorOf } from './draw.js';

export interface Sample { t: number; label?: string; confidence?: number; probabilities?: Record<string, number> }
export interface TrackSeries { id: string; samples: Sample[] }

const num = (...v: unknown[]) => { for (const x of v) if (typeof x === 'number' && Number.isFinite(x)) return x; return undefined; };

/** Normalises a job result to tracks of time-stamped samples (seconds). */
export function toTracks(result: unknown, fps = 5): TrackSeries[] {
  const r = result as Record<string, unknown> | unknown[] | null;
  // ferkit's analyzeVideo: frames[] of { time, tracks: [{ id, label, confidence, probabilities }] } -> one series per track id
  if (r && !Array.isArray(r) && Array.isArray(r.frames) && (r.frames as Record<string, unknown>[]).some((f) => Array.isArray(f?.tracks))) {
    const byId = new Map<string, Sample[]>();
    for (const f of r.frames as { time?: number; frame?: number; tracks?: Record<string, unknown>[] }[]) {
      const t = num(f.time) ?? (num(f.frame) ?? 0) / fps;
      for (const tr of f.tracks ?? []) {
        const id = String(tr.id);
        if (!byId.has(id)) byId.set(id, []);
        byId.get(id)!.push({ t, label: tr.label as string, confidence: num(tr.confidence), probabilities: tr.probabilities as Record<string, number> | undefined });
      }
    }
    return [...byId].map(([id, samples]) => ({ id, samples }));
  }
  const list = Array.isArray(r) ? r : Array.isArray(r?.tracks) ? r.tracks : Array.isArray(r?.faces) ? r.faces : [];
  return (list as Record<string, unknown>[]).map((tr, i) => {
    const raw = (['frames', 'detections', 'samples', 'timeline', 'points'].map((k) => tr[k]).find(Array.isArray) ?? []) as Record<string, unknown>[];
    const samples = raw.map((s, j) => {
      const frameT = num(s.frame, s.frameIndex) !== undefined ? num(s.frame, s.frameIndex)! / fps : j / fps;
      let t = num(s.t, s.time, s.timestamp, s.seconds) ?? (num(s.ms, s.timeMs) !== undefined ? num(s.ms, s.timeMs)! / 1000 : frameT);
      if (t > 1e5) t /= 1000;
      const face = (s.face ?? s) as Record<string, unknown>;
      return { t, label: (face.label as string) ?? (s.label as string), confidence: num(face.confidence, s.confidence), probabilities: (face.probabilities ?? s.probabilities) as Record<string, number> | undefined };
    }).filter((s) => Number.isFinite(s.t)).sort((a, b) => a.t - b.t);
    return { id: String(tr.id ?? tr.track ?? tr.trackId ?? i + 1), samples };
  }).filter((t) => t.samples.length > 0);
}

export function drawTimeline(canvas: HTMLCanvasElement, tracks: TrackSeries[], labels: string[], duration?: number): void {
  const dpr = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || 600, laneH = 56, top = 8, left = 64, bottom = 26;
  const cssH = top + Math.max(1, tracks.length) * (laneH + 10) + bottom;
  canvas.width = Math.round(cssW * dpr); canvas.height = Math.round(cssH * dpr);
  canvas.style.height = `${cssH}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  const tMax = Math.max(duration ?? 0, ...tracks.flatMap((t) => t.samples.map((s) => s.t)), 0.001);
  const plotW = cssW - left - 8;
  const X = (t: number) => left + (t / tMax) * plotW;
  if (!tracks.length) { ctx.fillStyle = '#666'; ctx.fillText('no faces were found in this video', left, top + laneH / 2); }
  tracks.forEach((tr, i) => {
    const y0 = top + i * (laneH + 10);
    ctx.fillStyle = '#f1f3f4';
    ctx.fillRect(left, y0, plotW, laneH);
    ctx.fillStyle = '#202124';
    ctx.fillText(`face ${tr.id}`, 4, y0 + laneH / 2);
    const dtDefault = tr.samples.length > 1 ? (tr.samples[tr.samples.length - 1].t - tr.samples[0].t) / (tr.samples.length - 1) : tMax / 20;
    tr.samples.forEach((s, j) => {
      const next = tr.samples[j + 1]?.t;
      const w = Math.max(1, X(next !== undefined && next - s.t < 3 * dtDefault ? next : s.t + dtDefault) - X(s.t));
      if (s.probabilities) {
        let y = y0 + laneH;
        for (const l of labels) {
          const h = (s.probabilities[l] ?? 0) * laneH;
          ctx.fillStyle = colorOf(l, labels);
          ctx.fillRect(X(s.t), y - h, w, h);
          y -= h;
        }
      } else if (s.label) {
        ctx.globalAlpha = 0.35 + 0.65 * (s.confidence ?? 1);
        ctx.fillStyle = colorOf(s.label, labels);
        ctx.fillRect(X(s.t), y0, w, laneH);
        ctx.globalAlpha = 1;
      }
    });
  });
  // time axis
  const yAxis = top + Math.max(1, tracks.length) * (laneH + 10);
  ctx.fillStyle = '#5f6368';
  ctx.textBaseline = 'top';
  const step = tMax > 60 ? 10 : tMax > 20 ? 5 : tMax > 5 ? 1 : 0.5;
  for (let t = 0; t <= tMax + 1e-9; t += step) {
    ctx.fillRect(X(t), yAxis - 6, 1, 5);
    ctx.fillText(`${+t.toFixed(1)} s`, Math.min(X(t) - 8, cssW - 36), yAxis);
  }
}
