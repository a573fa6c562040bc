/**
 * Small SVG charts and a self-contained HTML evaluation report. No dependencies and no scripts: every
 * chart is static SVG inlined into the page, so the report opens offline and can be attached anywhere.
 */
import type { ReliabilityBin } from './metrics.js';
import type { EvalResult } from './types.js';

/** Escapes text for XML/HTML content and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const r1 = (v: number) => Math.round(v * 10) / 10;
const pct = (v: number, digits = 1) => `${(v * 100).toFixed(digits)}%`;

/** White to dark blue: the colour of a value in [0, 1]. */
function blue(f: number): string {
  const t = Math.max(0, Math.min(1, f));
  const a = [247, 251, 255], b = [8, 48, 107];
  return `rgb(${a.map((v, i) => Math.round(v + (b[i] - v) * t)).join(',')})`;
}

const approxTextWidth = (s: string, px: number) => s.length * px * 0.6;

export interface ConfusionSvgOptions {
  /** colour and annotate cells by row-normalised fraction (default true); otherwise by count / max count */
  normalize?: boolean;
  title?: string;
  /** cell side in px (default 56) */
  cell?: number;
}

/**
 * A confusion matrix heat-map: rows are the true classes, columns the predicted ones. Each cell shows its
 * count and, when normalising, the percentage of its row (recall on the diagonal).
 */
export function renderConfusionSvg(confusion: number[][], labels: readonly string[], opts: ConfusionSvgOptions = {}): string {
  const K = confusion.length;
  if (labels.length !== K || confusion.some((r) => r.length !== K)) throw new Error(`renderConfusionSvg: a ${K}x${K} matrix needs ${K} labels and square rows (got ${labels.length} labels)`);
  const normalize = opts.normalize ?? true, cell = opts.cell ?? 56;
  const rowSum = confusion.map((r) => r.reduce((s, v) => s + v, 0));
  const max = Math.max(1, ...confusion.flat());
  const labelW = Math.max(...labels.map((l) => approxTextWidth(l, 12)), 24);
  const left = 30 + labelW + 10, top = opts.title ? 40 : 16;
  const bottom = 30 + labelW * 0.75 + 16, right = 16;
  const W = Math.ceil(left + K * cell + right), H = Math.ceil(top + K * cell + bottom);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} role="img" aria-label="${esc(opts.title ?? 'Confusion matrix')}">`);
  if (opts.title) parts.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600">${esc(opts.title)}</text>`);
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      const v = confusion[i][j], frac = rowSum[i] ? v / rowSum[i] : 0;
      const f = normalize ? frac : v / max;
      const x = left + j * cell, y = top + i * cell, ink = f > 0.5 ? '#fff' : '#111';
      const tip = `${labels[i]} → ${labels[j]}: ${v}${rowSum[i] ? ` (${pct(frac)} of ${labels[i]})` : ''}`;
      parts.push(`<g><title>${esc(tip)}</title><rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${blue(f)}" stroke="#fff"${i === j ? ' stroke-width="1"' : ''}/>`);
      if (normalize) {
        parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 - 2}" text-anchor="middle" font-size="13" font-weight="600" fill="${ink}">${v}</text>`);
        parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 13}" text-anchor="middle" font-size="10" fill="${ink}">${rowSum[i] ? pct(frac) : '–'}</text></g>`);
      } else {
        parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 5}" text-anchor="middle" font-size="13" font-weight="600" fill="${ink}">${v}</text></g>`);
      }
    }
    // row (true class) label
    parts.push(`<text x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="12">${esc(labels[i])}</text>`);
  }
  // column (predicted class) labels, slanted so long names do not collide
  for (let j = 0; j < K; j++) {
    const x = left + j * cell + cell / 2, y = top + K * cell + 12;
    parts.push(`<text x="${x}" y="${y}" text-anchor="end" font-size="12" transform="rotate(-40 ${x} ${y})">${esc(labels[j])}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${K * cell}" height="${K * cell}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${left + (K * cell) / 2}" y="${H - 8}" text-anchor="middle" font-size="13" font-weight="600">Predicted</text>`);
  const cy = top + (K * cell) / 2;
  parts.push(`<text x="16" y="${cy}" text-anchor="middle" font-size="13" font-weight="600" transform="rotate(-90 16 ${cy})">True</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) { const d = Math.abs(min) || 1; min -= d / 2; max += d / 2; }
  const raw = (max - min) / Math.max(1, count), mag = 10 ** Math.floor(Math.log10(raw)), r = raw / mag;
  const e = 1 + 1e-9, step = (r <= e ? 1 : r <= 2 * e ? 2 : r <= 5 * e ? 5 : 10) * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number((Math.round(v / step) * step).toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

const fmtTick = (v: number) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(Number(v.toPrecision(6))));

interface Frame { x0: number; x1: number; y0: number; y1: number; left: number; top: number; w: number; h: number }
const sx = (f: Frame, x: number) => f.left + ((x - f.x0) / (f.x1 - f.x0 || 1)) * f.w;
const sy = (f: Frame, y: number) => f.top + f.h - ((y - f.y0) / (f.y1 - f.y0 || 1)) * f.h;

/** Axes, grid lines, tick labels and axis titles of a plot frame. */
function axes(f: Frame, xt: number[], yt: number[], xLabel: string, yLabel: string): string[] {
  const p: string[] = [];
  for (const v of yt) {
    const y = r1(sy(f, v));
    p.push(`<line x1="${f.left}" y1="${y}" x2="${f.left + f.w}" y2="${y}" stroke="#e5e5e5"/>`);
    p.push(`<text x="${f.left - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="#444">${esc(fmtTick(v))}</text>`);
  }
  for (const v of xt) {
    const x = r1(sx(f, v));
    p.push(`<line x1="${x}" y1="${f.top}" x2="${x}" y2="${f.top + f.h}" stroke="#f0f0f0"/>`);
    p.push(`<text x="${x}" y="${f.top + f.h + 16}" text-anchor="middle" font-size="11" fill="#444">${esc(fmtTick(v))}</text>`);
  }
  p.push(`<rect x="${f.left}" y="${f.top}" width="${f.w}" height="${f.h}" fill="none" stroke="#888"/>`);
  p.push(`<text x="${f.left + f.w / 2}" y="${f.top + f.h + 36}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  const cy = f.top + f.h / 2;
  p.push(`<text x="14" y="${cy}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${cy})">${esc(yLabel)}</text>`);
  return p;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf', '#bcbd22'];

export interface CurveSeries { name: string; points: [number, number][] }
export interface CurvesOptions { xLabel: string; yLabel: string; title?: string; width?: number; height?: number; yMin?: number; yMax?: number }

/**
 * A line chart of one or more series (e.g. train and validation loss per epoch), with a legend. Points
 * that are not finite are skipped (the line is broken there).
 */
export function renderCurvesSvg(series: readonly CurveSeries[], opts: CurvesOptions): string {
  const W = opts.width ?? 560, H = opts.height ?? 320;
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const xt = pts.length ? niceTicks(Math.min(...xs), Math.max(...xs), 6) : [0, 1];
  const yt = niceTicks(opts.yMin ?? (pts.length ? Math.min(...ys) : 0), opts.yMax ?? (pts.length ? Math.max(...ys) : 1), 5);
  const top = opts.title ? 36 : 14;
  const f: Frame = { x0: xt[0], x1: xt[xt.length - 1], y0: yt[0], y1: yt[yt.length - 1], left: 58, top, w: W - 58 - 16, h: H - top - 48 };
  const p: string[] = [];
  p.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} role="img" aria-label="${esc(opts.title ?? opts.yLabel)}">`);
  if (opts.title) p.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${esc(opts.title)}</text>`);
  p.push(...axes(f, xt, yt, opts.xLabel, opts.yLabel));
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    // split at non-finite points
    const runs: string[][] = [[]];
    for (const [x, y] of s.points) {
      if (Number.isFinite(x) && Number.isFinite(y)) runs[runs.length - 1].push(`${r1(sx(f, x))},${r1(sy(f, y))}`);
      else if (runs[runs.length - 1].length) runs.push([]);
    }
    p.push(`<g><title>${esc(s.name)}</title>`);
    for (const run of runs) if (run.length) p.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${run.join(' ')}"/>`);
    if (s.points.length <= 60) {
      for (const [x, y] of s.points) if (Number.isFinite(x) && Number.isFinite(y)) p.push(`<circle cx="${r1(sx(f, x))}" cy="${r1(sy(f, y))}" r="2.5" fill="${color}"/>`);
    }
    p.push('</g>');
  });
  // legend, top right inside the frame
  const lw = Math.max(...series.map((s) => approxTextWidth(s.name, 11)), 20) + 34;
  const lx = f.left + f.w - lw - 8, ly = f.top + 8;
  if (series.length) p.push(`<rect x="${r1(lx)}" y="${ly}" width="${r1(lw)}" height="${series.length * 18 + 6}" fill="#fff" fill-opacity="0.85" stroke="#ccc"/>`);
  series.forEach((s, i) => {
    const y = ly + 14 + i * 18, color = PALETTE[i % PALETTE.length];
    p.push(`<line x1="${r1(lx + 8)}" y1="${y - 4}" x2="${r1(lx + 26)}" y2="${y - 4}" stroke="${color}" stroke-width="2"/>`);
    p.push(`<text x="${r1(lx + 30)}" y="${y}" font-size="11">${esc(s.name)}</text>`);
  });
  p.push('</svg>');
  return p.join('\n');
}

/**
 * A reliability diagram: per confidence bin, the accuracy (bars) against the bin's mean confidence (the
 * perfectly calibrated diagonal is dashed). Empty bins have no bar; hover a bar for its numbers.
 */
export function renderReliabilitySvg(bins: readonly ReliabilityBin[], opts: { title?: string; size?: number } = {}): string {
  const S = opts.size ?? 320, top = opts.title ? 36 : 14;
  const f: Frame = { x0: 0, x1: 1, y0: 0, y1: 1, left: 58, top, w: S, h: S };
  const W = f.left + S + 16, H = top + S + 48;
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const p: string[] = [];
  p.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} role="img" aria-label="${esc(opts.title ?? 'Reliability diagram')}">`);
  if (opts.title) p.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${esc(opts.title)}</text>`);
  p.push(...axes(f, ticks, ticks, 'Confidence', 'Accuracy'));
  for (const b of bins) {
    if (!b.count) continue;
    const x = r1(sx(f, b.lo)), w = r1(sx(f, b.hi) - sx(f, b.lo)), ya = r1(sy(f, b.accuracy)), yc = r1(sy(f, b.confidence));
    const tip = `confidence ${b.lo.toFixed(3)}–${b.hi.toFixed(3)}: ${b.count} samples, accuracy ${pct(b.accuracy)}, mean confidence ${pct(b.confidence)}`;
    p.push(`<g><title>${esc(tip)}</title>`);
    p.push(`<rect x="${x}" y="${ya}" width="${w}" height="${r1(f.top + f.h - ya)}" fill="#1f77b4" fill-opacity="0.8" stroke="#fff"/>`);
    // the gap to the bin's mean confidence
    p.push(`<rect x="${x}" y="${Math.min(ya, yc)}" width="${w}" height="${r1(Math.abs(yc - ya))}" fill="#d62728" fill-opacity="0.25"/>`);
    p.push('</g>');
  }
  p.push(`<line x1="${f.left}" y1="${f.top + f.h}" x2="${f.left + f.w}" y2="${f.top}" stroke="#555" stroke-dasharray="5 4"/>`);
  // legend, top left (where a reasonable model's bars are short)
  const lx = f.left + 8, ly = f.top + 8;
  p.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="#1f77b4" fill-opacity="0.8"/><text x="${lx + 14}" y="${ly + 9}" font-size="11">accuracy</text>`);
  p.push(`<rect x="${lx}" y="${ly + 16}" width="10" height="10" fill="#d62728" fill-opacity="0.25"/><text x="${lx + 14}" y="${ly + 25}" font-size="11">gap to mean confidence</text>`);
  p.push('</svg>');
  return p.join('\n');
}

export interface ReportMeta {
  title?: string;
  /** model file or name */
  model?: string;
  /** dataset description, e.g. 'fer2013 /data/fer2013 (test)' */
  data?: string;
  tta?: string;
  /** when the report was made (default: now, ISO) */
  date?: string;
  /** further key/value lines for the summary table */
  extra?: Record<string, string | number>;
}

const CSS = `body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:980px;color:#111;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.3rem .7rem;text-align:right}
th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:2rem;align-items:flex-start}.note{color:#555;font-size:.9rem}`;

/** A self-contained HTML page: summary, per-class table, confusion matrix and reliability diagram. */
export function renderReportHtml(result: EvalResult, meta: ReportMeta = {}): string {
  const title = meta.title ?? 'ferkit evaluation report';
  const summary: [string, string][] = [];
  if (meta.model) summary.push(['Model', meta.model]);
  if (meta.data) summary.push(['Data', meta.data]);
  if (meta.tta) summary.push(['Test-time augmentation', meta.tta]);
  summary.push(
    ['Images', String(result.n)],
    ['Accuracy', pct(result.accuracy, 2)],
    ['Accuracy, 95% interval (Wilson)', `${pct(result.accuracyInterval[0], 2)} to ${pct(result.accuracyInterval[1], 2)}`],
    ['Macro-F1', result.macroF1.toFixed(4)],
    ['ECE (15 bins)', result.ece.toFixed(4)],
    ['NLL', result.nll.toFixed(4)],
    ['Temperature', String(Number(result.temperature.toPrecision(6)))],
  );
  for (const [k, v] of Object.entries(meta.extra ?? {})) summary.push([k, String(v)]);
  summary.push(['Generated', meta.date ?? new Date().toISOString()]);
  const rows = result.labels.map((l) => {
    const c = result.perClass[l];
    return `<tr><td>${esc(l)}</td><td>${c.precision.toFixed(4)}</td><td>${c.recall.toFixed(4)}</td><td>${c.f1.toFixed(4)}</td><td>${c.support}</td></tr>`;
  });
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<h2>Summary</h2>
<table>
${summary.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n')}
</table>
<p class="note">Macro-F1 is the mean F1 over the classes present in the data (support &gt; 0). ECE and NLL use the model's softmax temperature.</p>
<h2>Per class</h2>
<table>
<tr><th>Class</th><th>Precision</th><th>Recall</th><th>F1</th><th>Support</th></tr>
${rows.join('\n')}
</table>
<h2>Confusion matrix and calibration</h2>
<div class="charts">
<figure>${renderConfusionSvg(result.confusion, result.labels, { normalize: true, title: 'Confusion matrix (row %)' })}</figure>
<figure>${renderReliabilitySvg(result.reliability, { title: `Reliability (ECE ${result.ece.toFixed(3)})` })}</figure>
</div>
</body>
</html>
`;
}
