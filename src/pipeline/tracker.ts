/**
 * A minimal IoU tracker for faces in video: no motion model, no appearance features. Each frame's
 * detections are matched greedily to the live tracks by IoU with the track's last box (best pair first,
 * pairs under the threshold never match); an unmatched detection starts a new track; a track not matched
 * for more than `maxMissed` frames is dropped, and a face that comes back after that gets a new id.
 *
 * Faces in a video move little between consecutive frames (at 30 fps a face rarely moves more than a
 * fraction of its width), so the overlap with the last box is a strong and cheap identity cue. Greedy
 * best-first matching is what SORT-style trackers do in practice when boxes of different faces barely
 * overlap; it only differs from the optimal (Hungarian) assignment when two faces overlap each other
 * more than either overlaps its own previous box.
 *
 * Pure and synchronous: the caller says which frame each update belongs to, so frames without detection
 * (see analyzeVideo's detectEvery) simply are not passed in, and `maxMissed` stays in frames.
 */
import { iou, type Rect } from '../face/index.js';

export interface TrackerOptions {
  /** minimum IoU between a detection and a track's last box to continue the track (default 0.3) */
  iouThreshold?: number;
  /** drop a track once it has gone unmatched for more than this many frames (default 10) */
  maxMissed?: number;
  /** first id handed out (default 1) */
  firstId?: number;
}

export const DEFAULT_TRACK_IOU = 0.3;
export const DEFAULT_MAX_MISSED = 10;

export interface Track<T extends Rect = Rect> {
  readonly id: number;
  /** the last matched detection */
  last: T;
  /** frame of the first and the last match */
  firstFrame: number;
  lastFrame: number;
  /** number of frames it was matched in */
  hits: number;
}

export interface TrackMatch<T extends Rect = Rect> {
  /** index of the detection in the update's input */
  detection: number;
  id: number;
  /** true when this detection started the track */
  isNew: boolean;
  track: Track<T>;
}

export class IouTracker<T extends Rect = Rect> {
  readonly iouThreshold: number;
  readonly maxMissed: number;
  private nextId: number;
  private live: Track<T>[] = [];
  private lastFrame = -Infinity;

  constructor(o: TrackerOptions = {}) {
    this.iouThreshold = o.iouThreshold ?? DEFAULT_TRACK_IOU;
    this.maxMissed = o.maxMissed ?? DEFAULT_MAX_MISSED;
    this.nextId = o.firstId ?? 1;
    if (!(this.iouThreshold > 0 && this.iouThreshold <= 1)) throw new RangeError(`IouTracker: iouThreshold must be in (0, 1], got ${this.iouThreshold}`);
    if (!(Number.isInteger(this.maxMissed) && this.maxMissed >= 0)) throw new RangeError(`IouTracker: maxMissed must be a non-negative integer, got ${this.maxMissed}`);
  }

  /** The live tracks (matched within the last maxMissed frames), oldest first. */
  get tracks(): readonly Track<T>[] { return this.live; }

  /**
   * Feeds the detections of frame `frame` (frames must increase; gaps are allowed). Returns one match per
   * detection, in the input's order.
   */
  update(detections: readonly T[], frame: number = Number.isFinite(this.lastFrame) ? this.lastFrame + 1 : 0): TrackMatch<T>[] {
    if (!(frame > this.lastFrame)) throw new RangeError(`IouTracker.update: frame ${frame} is not after the previous frame ${this.lastFrame}`);
    this.lastFrame = frame;
    // frames a track has missed before this one: frame - lastFrame - 1. More than maxMissed: it is gone
    // (dropped before matching, so a face reappearing later gets a new id)
    this.live = this.live.filter((t) => frame - t.lastFrame - 1 <= this.maxMissed);
    const pairs: [number, number, number][] = [];
    for (let t = 0; t < this.live.length; t++) {
      for (let d = 0; d < detections.length; d++) {
        const v = iou(this.live[t].last, detections[d]);
        if (v >= this.iouThreshold) pairs.push([v, t, d]);
      }
    }
    // best overlap first; ties by older track, then by detection order (deterministic)
    pairs.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
    const out: (TrackMatch<T> | undefined)[] = new Array(detections.length);
    const usedTrack = new Set<number>();
    for (const [, t, d] of pairs) {
      if (usedTrack.has(t) || out[d]) continue;
      usedTrack.add(t);
      const track = this.live[t];
      track.last = detections[d]; track.lastFrame = frame; track.hits++;
      out[d] = { detection: d, id: track.id, isNew: false, track };
    }
    for (let d = 0; d < detections.length; d++) {
      if (out[d]) continue;
      const track: Track<T> = { id: this.nextId++, last: detections[d], firstFrame: frame, lastFrame: frame, hits: 1 };
      this.live.push(track);
      out[d] = { detection: d, id: track.id, isNew: true, track };
    }
    // tracks that have now missed more than maxMissed frames (this one included) end here
    this.live = this.live.filter((t) => frame - t.lastFrame <= this.maxMissed);
    return out as TrackMatch<T>[];
  }

  /** Tracks matched in the most recent update (what a frame without detection would carry forward). */
  current(): Track<T>[] {
    return this.live.filter((t) => t.lastFrame === this.lastFrame);
  }
}
