/**
 * Per-face smoothing across video frames: detections are matched to tracks by box overlap (IoU), and each
 * track keeps an exponential moving average of its box and of its probabilities, with time constants in
 * milliseconds (so smoothing does not depend on the frame rate). A track not seen for `maxAgeMs` is dropped.
 */
import { iou } from '../face/nms.js';
import type { BrowserFace } from './engine.js';

export interface Track {
  id: number;
  box: { x: number; y: number; width: number; height: number };
  probabilities: Float32Array;
  label: string;
  confidence: number;
  lastSeen: number;
  hits: number;
}

export class FaceTracker {
  private tracks: Track[] = [];
  private nextId = 1;
  private last = -1;

  constructor(private readonly labels: string[], private readonly boxTauMs = 60, private readonly probTauMs = 250, private readonly maxAgeMs = 400) {}

  update(faces: BrowserFace[], now: number): Track[] {
    const dt = this.last < 0 ? 1000 : Math.max(1, now - this.last);
    this.last = now;
    const aBox = 1 - Math.exp(-dt / this.boxTauMs), aProb = 1 - Math.exp(-dt / this.probTauMs);
    const free = new Set(this.tracks);
    for (const f of faces) {
      let best: Track | undefined, bestIou = 0.25;
      for (const t of free) { const o = iou(t.box, f.box); if (o > bestIou) { bestIou = o; best = t; } }
      if (!best) {
        this.tracks.push({ id: this.nextId++, box: { ...f.box }, probabilities: Float32Array.from(f.probabilities), label: f.label, confidence: f.confidence, lastSeen: now, hits: 1 });
        continue;
      }
      free.delete(best);
      const b = best.box;
      b.x += aBox * (f.box.x - b.x); b.y += aBox * (f.box.y - b.y);
      b.width += aBox * (f.box.width - b.width); b.height += aBox * (f.box.height - b.height);
      for (let k = 0; k < best.probabilities.length; k++) best.probabilities[k] += aProb * (f.probabilities[k] - best.probabilities[k]);
      let top = 0;
      for (let k = 1; k < best.probabilities.length; k++) if (best.probabilities[k] > best.probabilities[top]) top = k;
      best.label = this.labels[top];
      best.confidence = best.probabilities[top];
      best.lastSeen = now;
      best.hits++;
    }
    this.tracks = this.tracks.filter((t) => now - t.lastSeen <= this.maxAgeMs);
    return this.tracks;
  }

  reset(): void { this.tracks = []; this.last = -1; }
}
