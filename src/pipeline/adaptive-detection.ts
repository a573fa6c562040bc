/**
 * Scene-adaptive use of BlazeFace's 'auto' policy on video: which detection to run on each frame that
 * gets one.
 *
 * 'auto' runs the front model (128 px input, big faces) and the back model (256 px input, small faces),
 * which costs about twice the front model alone; on a typical close-up video every face is big and the
 * back pass finds nothing the front pass does not. Faces in a video change slowly, so the choice can be
 * made from the last full detection:
 *  - the FULL plan runs on the first detection frame, and again once `fullEvery` frames have passed since
 *    the last full detection (a refresh: a small face entering the frame is found then, within ~1 s with
 *    analyzeVideo's default);
 *  - between refreshes, when every face of the last full detection is front-sized (longer side >=
 *    `frontMinSize` * the image's longer side, AUTO_FRONT_MIN_SIZE: what the front pass of 'auto' keeps),
 *    including when it found no face at all, only the FRONT pass runs; otherwise the full plan keeps
 *    running on every detection frame (a small face is present: only the back model sees it);
 *  - when a front-only detection finds fewer faces than there are live tracks (a face may have shrunk
 *    below the front pass's minimum size, or turned away), the full plan runs again at once, on the same
 *    frame.
 *
 * Pure and synchronous (frame indices in, decisions out), so the policy is tested without models or video.
 * A "frame" is any non-decreasing integer clock: analyzeVideo passes processed-frame indices, the browser's
 * webcam loop (src/web/engine.ts) passes the frame time in milliseconds with fullEvery = 1000.
 */
import { AUTO_FRONT_MIN_SIZE } from '../face/plan.js';

/** 'full': every pass of the detector's plan; 'front': the front model's pass only. */
export type DetectionMode = 'full' | 'front';

export interface AdaptiveDetectionOptions {
  /** run the full plan when this many frames have passed since the last full detection (positive integer) */
  fullEvery: number;
  /** faces at least this fraction of the image's longer side count as front-sized (default AUTO_FRONT_MIN_SIZE) */
  frontMinSize?: number;
}

/** A detected box: only its size matters here. */
export interface SizedBox { width: number; height: number }

export class AdaptiveDetectionPolicy {
  readonly fullEvery: number;
  readonly frontMinSize: number;
  private lastFull = -Infinity;
  /** whether every face of the last full detection was front-sized (false until the first one) */
  private allFrontSized = false;
  private lastFrame = -Infinity;

  constructor(o: AdaptiveDetectionOptions) {
    this.fullEvery = o.fullEvery;
    this.frontMinSize = o.frontMinSize ?? AUTO_FRONT_MIN_SIZE;
    if (!(Number.isInteger(this.fullEvery) && this.fullEvery >= 1)) throw new RangeError(`AdaptiveDetectionPolicy: fullEvery must be a positive integer, got ${this.fullEvery}`);
    if (!(this.frontMinSize >= 0 && this.frontMinSize <= 1)) throw new RangeError(`AdaptiveDetectionPolicy: frontMinSize must be in [0, 1], got ${this.frontMinSize}`);
  }

  /** The detection to run on detection frame `frame` (frames must not decrease; gaps are allowed). */
  decide(frame: number): DetectionMode {
    if (!(frame >= this.lastFrame)) throw new RangeError(`AdaptiveDetectionPolicy.decide: frame ${frame} is before the previous frame ${this.lastFrame}`);
    this.lastFrame = frame;
    if (frame - this.lastFull >= this.fullEvery) return 'full'; // first frame (lastFull = -Infinity) or refresh
    return this.allFrontSized ? 'front' : 'full';
  }

  /**
   * Reports the faces a detection of `mode` found on `frame`, in an image of `width` x `height`, while
   * `liveTracks` tracks were alive. Returns true when a front-only result is not to be trusted (fewer faces
   * than live tracks) and the full plan must run on this frame now; report that run too.
   */
  observe(frame: number, mode: DetectionMode, faces: readonly SizedBox[], width: number, height: number, liveTracks: number): boolean {
    if (mode === 'front') return faces.length < liveTracks;
    this.lastFull = frame;
    const min = this.frontMinSize * Math.max(width, height);
    this.allFrontSized = faces.every((f) => Math.max(f.width, f.height) >= min);
    return false;
  }
}

/** Frames between full detections for a refresh period in seconds at a processed rate: round(seconds * fps), at least 1. */
export function fullDetectFrames(seconds: number, fps: number): number {
  return Math.max(1, Math.round(seconds * fps));
}
