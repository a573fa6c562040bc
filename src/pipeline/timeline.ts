/**
 * Timeline of each tracked face's expression over a video: one panel per track, the smoothed
 * probabilities of all labels stacked (they sum to 1, so the stack fills the panel wherever the face is
 * visible and the thickness of a band is that label's probability), time on a shared x axis, a legend on
 * top. As SVG, as a self-contained HTML page (inline SVG plus a per-track summary table, no scripts, no
 * external resources) or as PNG (the SVG rendered by sharp).
 */
import { extname } from 'node:path';
import { esc, niceTicks } from '../eval/report.js';
import { writeFileAtomic } from '../engine/node/files.js';
import type { VideoAnalysis } from './video.js';

/** A colour per expression (the usual associations), others from a fallback palette. */
const EXPRESSION_COLORS: Record<string, string> = {
  angry: '#d62728', disgust: '#2ca02c', fear: '#9467bd', happy: '#ffbf00', sad: '#1f77b4', surprise: '#17becf', neutral: '#a0a0a0', contempt: '#8c564b',
};
const FALLBACK = ['#e377c2', '#bcbd22', '#ff7f0e', '#7f7f7f', '#8c564b'];
export function labelColor(label: string, i: number): string { return EXPRESSION_COLORS[label] ?? FALLBACK[i % FALLBACK.length]; }

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const r1 = (v: number) => Math.round(v * 10) / 10;

export interface TimelineOptions {
  /** total width in px (default 900) */
  width?: number;
  /** height of one track's panel in px (default 110) */
  panelHeight?: number;
  title?: string;
}

/** The timeline as a standalone SVG document. */
export function renderTimelineSvg(v: VideoAnalysis, opts: TimelineOptions = {}): string {
  const W = opts.width ?? 900, ph = opts.panelHeight ?? 110, gap = 26;
  const legendY = (opts.title ? 36 : 10) + 12;
  const left = 64, right = 16, top = legendY + 30, plotW = W - left - right;
  const tracks = v.tracks;
  const nPanels = Math.max(1, tracks.length);
  const H = top + nPanels * (ph + gap) + 30;
  const frameDt = v.fps > 0 ? 1 / v.fps : 0;
  const end = Math.max(Number.isFinite(v.duration) ? v.duration : 0, v.frames.length ? v.frames[v.frames.length - 1].time + frameDt : 0, 1e-3);
  const xt = niceTicks(0, end, 8).filter((t) => t <= end + 1e-9);
  const sx = (t: number) => left + (t / end) * plotW;
  const p: string[] = [];
  p.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} role="img" aria-label="${esc(opts.title ?? 'Expression timeline')}">`);
  p.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  if (opts.title) p.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600">${esc(opts.title)}</text>`);
  // legend
  let lx = left;
  const ly = legendY;
  v.labels.forEach((l, i) => {
    p.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${labelColor(l, i)}"/><text x="${lx + 16}" y="${ly}" font-size="12">${esc(l)}</text>`);
    lx += 16 + l.length * 7 + 16;
  });
  // observations per track, in frame order
  const byTrack = new Map<number, { frame: number; time: number; probs: number[] }[]>();
  for (const f of v.frames) for (const t of f.tracks) {
    let a = byTrack.get(t.id);
    if (!a) byTrack.set(t.id, (a = []));
    a.push({ frame: f.frame, time: f.time, probs: v.labels.map((l) => t.probabilities[l] ?? 0) });
  }
  if (!tracks.length) {
    p.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${ph}" fill="#fafafa" stroke="#888"/>`);
    p.push(`<text x="${left + plotW / 2}" y="${top + ph / 2 + 5}" text-anchor="middle" font-size="13" fill="#666">no faces found</text>`);
  }
  tracks.forEach((tr, ti) => {
    const y0 = top + ti * (ph + gap);
    const sy = (v01: number) => y0 + ph - v01 * ph;
    p.push(`<g><title>${esc(`face #${tr.id}: ${tr.firstTime.toFixed(2)}–${tr.lastTime.toFixed(2)} s, mostly ${tr.dominant}`)}</title>`);
    p.push(`<rect x="${left}" y="${y0}" width="${plotW}" height="${ph}" fill="#f4f4f4"/>`);
    const obs = byTrack.get(tr.id) ?? [];
    // runs of consecutive frames; each observation covers [time, time + frame interval)
    const runs: typeof obs[] = [];
    for (const o of obs) {
      const run = runs[runs.length - 1];
      if (run && o.frame === run[run.length - 1].frame + 1) run.push(o); else runs.push([o]);
    }
    for (const run of runs) {
      const xs = run.map((o) => o.time);
      xs.push(run[run.length - 1].time + frameDt);
      const cum = run.map(() => 0);
      v.labels.forEach((l, k) => {
        const lower = cum.slice();
        run.forEach((o, i) => { cum[i] += o.probs[k]; });
        // step-wise band: each frame's value holds until the next frame
        const upperPts: string[] = [], lowerPts: string[] = [];
        run.forEach((_, i) => {
          upperPts.push(`${r1(sx(xs[i]))},${r1(sy(cum[i]))}`, `${r1(sx(xs[i + 1]))},${r1(sy(cum[i]))}`);
          lowerPts.push(`${r1(sx(xs[i]))},${r1(sy(lower[i]))}`, `${r1(sx(xs[i + 1]))},${r1(sy(lower[i]))}`);
        });
        p.push(`<polygon fill="${labelColor(l, k)}" points="${upperPts.join(' ')} ${lowerPts.reverse().join(' ')}"/>`);
      });
    }
    p.push('</g>');
    for (const t of [0, 0.5, 1]) {
      p.push(`<text x="${left - 6}" y="${r1(sy(t) + 4)}" text-anchor="end" font-size="10" fill="#444">${t}</text>`);
      if (t === 0.5) p.push(`<line x1="${left}" y1="${r1(sy(t))}" x2="${left + plotW}" y2="${r1(sy(t))}" stroke="#fff" stroke-opacity="0.6" stroke-dasharray="3 3"/>`);
    }
    p.push(`<rect x="${left}" y="${y0}" width="${plotW}" height="${ph}" fill="none" stroke="#888"/>`);
    p.push(`<text x="${left}" y="${y0 - 5}" font-size="12" font-weight="600">${esc(`face #${tr.id}`)}<tspan dx="8" font-weight="400" fill="#555">${esc(`${tr.firstTime.toFixed(2)}–${tr.lastTime.toFixed(2)} s, ${tr.frames} frames, mostly ${tr.dominant} (${(tr.meanProbabilities[tr.dominant] * 100).toFixed(0)}%)`)}</tspan></text>`);
    for (const t of xt) p.push(`<line x1="${r1(sx(t))}" y1="${y0 + ph}" x2="${r1(sx(t))}" y2="${y0 + ph + 4}" stroke="#888"/>`);
  });
  const axisY = top + nPanels * (ph + gap) - gap + 16;
  for (const t of xt) p.push(`<text x="${r1(sx(t))}" y="${axisY}" text-anchor="middle" font-size="11" fill="#444">${Number(t.toPrecision(6))}</text>`);
  p.push(`<text x="${left + plotW / 2}" y="${axisY + 18}" text-anchor="middle" font-size="12">time (s)</text>`);
  const cy = top + (nPanels * (ph + gap) - gap) / 2;
  p.push(`<text x="14" y="${cy}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${cy})">probability (smoothed)</text>`);
  p.push('</svg>');
  return p.join('\n');
}

/** A self-contained HTML page: the timeline and a table of the tracks. */
export function renderTimelineHtml(v: VideoAnalysis, opts: TimelineOptions = {}): string {
  const title = opts.title ?? `Expressions in ${v.file}`;
  const rows = v.tracks.map((t) => `<tr><td>#${t.id}</td><td>${t.firstTime.toFixed(2)}–${t.lastTime.toFixed(2)} s</td><td>${t.frames}</td><td><b>${esc(t.dominant)}</b></td>` +
    v.labels.map((l) => `<td>${(t.meanProbabilities[l] * 100).toFixed(1)}%</td>`).join('') + '</tr>').join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#111}
table{border-collapse:collapse;margin-top:16px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}.meta{color:#555}</style></head><body>
<h1>${esc(title)}</h1>
<p class="meta">${v.width}x${v.height}, ${Number(v.fps.toFixed(3))} fps processed (source ${Number(v.sourceFps.toFixed(3))} fps), ${v.frameCount} frames, ${v.tracks.length} face${v.tracks.length === 1 ? '' : 's'} tracked.</p>
${renderTimelineSvg(v, { ...opts, title: undefined })}
<table><thead><tr><th>face</th><th>seen</th><th>frames</th><th>dominant</th>${v.labels.map((l) => `<th>${esc(l)}</th>`).join('')}</tr></thead>
<tbody>
${rows || `<tr><td colspan="${4 + v.labels.length}">no faces found</td></tr>`}
</tbody></table>
<p class="meta">Mean probabilities are over the frames each face was seen in; the plot shows probabilities smoothed over time.</p>
</body></html>
`;
}

/** Writes the timeline as .svg, .html/.htm or .png (by the extension), atomically. */
export async function writeTimeline(path: string, v: VideoAnalysis, opts: TimelineOptions = {}): Promise<void> {
  const ext = extname(path).toLowerCase();
  if (ext === '.svg') writeFileAtomic(path, renderTimelineSvg(v, opts));
  else if (ext === '.html' || ext === '.htm') writeFileAtomic(path, renderTimelineHtml(v, opts));
  else if (ext === '.png') {
    const { default: sharp } = await import('sharp');
    writeFileAtomic(path, await sharp(Buffer.from(renderTimelineSvg(v, opts))).png().toBuffer());
  } else throw new Error(`timeline ${path}: unknown format '${ext}' (use .svg, .html or .png)`);
}

export const TIMELINE_EXTENSIONS = ['.svg', '.html', '.htm', '.png'];
