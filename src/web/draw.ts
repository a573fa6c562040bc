/** Canvas drawing shared by the live view and the photo view: boxes, a label, probability bars. */
export const LABEL_COLORS: Record<string, string> = {
  angry: '#e6194b', disgust: '#3cb44b', fear: '#911eb4', happy: '#f5a623', sad: '#4363d8', surprise: '#42d4f4', neutral: '#9aa0a6', contempt: '#f032e6',
};
const FALLBACK = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45'];
export const colorOf = (label: string, labels: string[]) => LABEL_COLORS[label.toLowerCase()] ?? FALLBACK[Math.max(0, labels.indexOf(label)) % FALLBACK.length];

export interface DrawFace { box: { x: number; y: number; width: number; height: number }; label: string; confidence: number; probabilities: ArrayLike<number> }

/**
 * Draws each face: its box, "label NN%" above it, and one bar per label below (or above, near the bottom
 * edge). `mirror` flips x (for a mirrored selfie video under an unmirrored canvas), `scale` sizes strokes.
 */
export function drawFaces(ctx: CanvasRenderingContext2D, faces: DrawFace[], labels: string[], o: { mirror?: boolean; bars?: boolean } = {}): void {
  const W = ctx.canvas.width, H = ctx.canvas.height;
  const unit = Math.max(W, H) / 640;
  const font = Math.round(Math.max(11, 14 * unit));
  ctx.lineWidth = Math.max(2, 2.5 * unit);
  ctx.font = `600 ${font}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  for (const f of faces) {
    const x = o.mirror ? W - f.box.x - f.box.width : f.box.x, y = f.box.y, w = f.box.width, h = f.box.height;
    const c = colorOf(f.label, labels);
    ctx.strokeStyle = c;
    ctx.strokeRect(x, y, w, h);
    const text = `${f.label} ${(f.confidence * 100).toFixed(0)}%`;
    const tw = ctx.measureText(text).width + 8, th = font + 6;
    const ty = y - th >= 0 ? y - th : y;
    ctx.fillStyle = c;
    ctx.fillRect(x - ctx.lineWidth / 2, ty, tw, th);
    ctx.fillStyle = '#fff';
    ctx.fillText(text, x + 4, ty + 3);
    if (o.bars === false) continue;
    // probability bars
    const rowH = Math.round(Math.max(9, 10 * unit)), small = Math.round(rowH * 0.9), bw = Math.max(w, 90 * unit), lw = 52 * unit;
    const panelH = labels.length * rowH + 6;
    let py = y + h + 4;
    if (py + panelH > H) py = Math.max(0, y - th - panelH - 2);
    const px = Math.min(Math.max(0, x), Math.max(0, W - bw));
    ctx.fillStyle = 'rgba(0,0,0,0.55)';
    ctx.fillRect(px, py, bw, panelH);
    ctx.font = `${small}px system-ui, sans-serif`;
    labels.forEach((l, k) => {
      const p = f.probabilities[k] ?? 0, ry = py + 3 + k * rowH;
      ctx.fillStyle = '#fff';
      ctx.fillText(l.slice(0, 8), px + 3, ry);
      ctx.fillStyle = colorOf(l, labels);
      ctx.fillRect(px + lw, ry + 1, Math.max(1, (bw - lw - 4) * p), rowH - 3);
    });
    ctx.font = `600 ${font}px system-ui, sans-serif`;
  }
}
