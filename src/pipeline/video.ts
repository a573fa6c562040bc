/**
 * Facial expressions over a video: decode (ffmpeg, streamed) -> detect faces -> track them (IoU) ->
 * align and classify each tracked face -> smooth each track's probabilities over time.
 *
 *   const fer = await createRecognizer({ model: 'tiny', detector: { model: 'front' } });
 *   const v = await analyzeVideo('clip.mp4', { recognizer: fer, fps: 10 });
 *   v.tracks[0].dominant, v.frames[12].tracks[0].probabilities.happy
 *
 * With detectEvery = k > 1 the detector runs on every k-th frame only; frames in between reuse each
 * track's last box (no motion model: fine for k of 2-3 at 30 fps, faces move little) and are only
 * classified. Detection is the costly stage, so this is the cheap way to process long videos.
 *
 * With the default detector (BlazeFace, policy 'auto': the front model for big faces plus the back model
 * for small ones), detection is scene-adaptive (adaptive-detection.ts): the full plan runs on the first
 * frame and then every `fullDetectSeconds` (default 1 s of processed frames); in between, while every face
 * of the last full detection is big (longer side >= AUTO_FRONT_MIN_SIZE of the frame's longer side, or
 * no face at all), only the front model runs, and the full plan keeps running on every detection frame
 * while a small face is present. A front-only frame finding fewer faces than there are live tracks (a
 * face shrank, or is about to leave) runs the full plan at once. Faces in a video change slowly, so this
 * loses little: a small face entering the frame is found at the next full detection, within ~1 s. Why:
 * on clip1.avi (720x480, one big face) the full plan on every frame ran at 36 fps end to end, the front
 * model alone at 66 fps. Frames without detection (detectEvery) are unaffected; other detectors, and
 * BlazeFace 'front' / 'back', run as given.
 */
import { isBlazeFaceDetector, type BlazeFaceDetector, type FaceBox, type RgbImage } from '../face/index.js';
import type { FaceResult, Recognizer } from './recognizer.js';
import { decodeFrames, expectedFrames, probeVideo, type VideoInfo } from './video-decode.js';
import { IouTracker, DEFAULT_MAX_MISSED, DEFAULT_TRACK_IOU } from './tracker.js';
import { ProbabilitySmoother, DEFAULT_TIME_CONSTANT } from './smoothing.js';
import { AdaptiveDetectionPolicy, fullDetectFrames, type DetectionMode } from './adaptive-detection.js';

/** Default of AnalyzeVideoOptions.fullDetectSeconds. */
export const DEFAULT_FULL_DETECT_SECONDS = 1;

export interface TrackObservation {
  id: number;
  box: { x: number; y: number; width: number; height: number };
  /** argmax of the smoothed probabilities, and its value */
  label: string;
  confidence: number;
  /** smoothed over time (see smoothing.ts) */
  probabilities: Record<string, number>;
  /** this frame's classifier output */
  raw: Record<string, number>;
  /** the detector's score of the box (of the last detection, on frames without detection) */
  detectorScore: number;
  /** true when the box comes from this frame's detection, false when carried from an earlier frame */
  detected: boolean;
}

export interface FrameResult {
  /** index among the processed frames (at the processed fps) */
  frame: number;
  /** seconds from the start */
  time: number;
  tracks: TrackObservation[];
}

export interface TrackSummary {
  id: number;
  firstFrame: number;
  lastFrame: number;
  firstTime: number;
  lastTime: number;
  /** frames the track appears in */
  frames: number;
  /** the label with the highest mean probability */
  dominant: string;
  /** mean of the raw per-frame probabilities over the track's frames */
  meanProbabilities: Record<string, number>;
  /** frames per (smoothed) label */
  labelFrames: Record<string, number>;
}

export interface VideoAnalysis {
  file: string;
  width: number;
  height: number;
  /** the processed frame rate (the sampling rate, or the video's own) */
  fps: number;
  sourceFps: number;
  duration: number;
  labels: string[];
  /** processed frames */
  frameCount: number;
  /** per processed frame (empty when keepFrames is false) */
  frames: FrameResult[];
  tracks: TrackSummary[];
}

export interface AnalyzeVideoOptions {
  recognizer: Recognizer;
  /** sample the video at this rate (frames per second); default: every frame */
  fps?: number;
  /** run the face detector on every k-th processed frame, track in between (default 1: every frame) */
  detectEvery?: number;
  /**
   * With a BlazeFace 'auto' detector (the default): seconds between full detections (front and back
   * models); in between, only the front model runs while every face is big (see the top of this file).
   * Rounded to processed frames, at least 1: a value under one frame's duration runs the full plan on every
   * detection frame. Default 1 (round(fps) frames). Ignored with other detectors.
   */
  fullDetectSeconds?: number;
  /** tracker IoU threshold (default 0.3) */
  iouThreshold?: number;
  /** frames (at the processed rate) a face may go undetected before its track ends (default 10) */
  maxMissed?: number;
  /** smoothing time constant in seconds (default 0.5; 0 = none) */
  timeConstant?: number;
  /** keep every frame's results in the returned `frames` (default true; false for very long videos) */
  keepFrames?: boolean;
  /** called after each frame, with its pixels; awaited (e.g. to encode an annotated copy) */
  onFrame?: (frame: FrameResult, image: RgbImage) => void | Promise<void>;
  /** called after each frame; total is an estimate from the video's duration (NaN if unknown) */
  onProgress?: (done: number, total: number) => void;
  /** a probeVideo result, to skip probing again */
  info?: VideoInfo;
  signal?: AbortSignal;
}

const faceBoxOf = (r: FaceResult): FaceBox => ({ ...r.box, score: r.detectorScore, keypoints: r.keypoints });

export async function analyzeVideo(file: string, o: AnalyzeVideoOptions): Promise<VideoAnalysis> {
  const detectEvery = o.detectEvery ?? 1;
  if (!(Number.isInteger(detectEvery) && detectEvery >= 1)) throw new RangeError(`analyzeVideo: detectEvery must be a positive integer, got ${detectEvery}`);
  const fullDetectSeconds = o.fullDetectSeconds ?? DEFAULT_FULL_DETECT_SECONDS;
  if (!(Number.isFinite(fullDetectSeconds) && fullDetectSeconds > 0)) {
    throw new RangeError(`analyzeVideo: fullDetectSeconds must be a positive number of seconds, got ${fullDetectSeconds}`);
  }
  const info = o.info ?? (await probeVideo(file));
  const labels = o.recognizer.labels;
  const tracker = new IouTracker<FaceBox>({ iouThreshold: o.iouThreshold ?? DEFAULT_TRACK_IOU, maxMissed: o.maxMissed ?? DEFAULT_MAX_MISSED });
  const smoother = new ProbabilitySmoother(o.timeConstant ?? DEFAULT_TIME_CONSTANT);
  const keepFrames = o.keepFrames ?? true;
  const total = expectedFrames(info, o.fps);
  const frames: FrameResult[] = [];
  interface Acc { summary: TrackSummary; sum: Float64Array }
  const acc = new Map<number, Acc>();
  // on frames without detection: the tracks matched at the last detection, with their boxes and scores
  let carried: { id: number; face: FaceBox }[] = [];
  let count = 0;

  // Scene-adaptive 'auto' (see the top of this file): faces in a video change slowly, so while the last full
  // detection found only big faces the front model alone is enough; a small face entering the frame is
  // found at the next full detection (every fullDetectSeconds, ~1 s by default), and a front-only frame
  // that misses a live track runs the full plan at once.
  const detector = o.recognizer.detector;
  const blaze: BlazeFaceDetector | undefined = isBlazeFaceDetector(detector) && detector.policy === 'auto' ? detector : undefined;
  const policy = blaze ? new AdaptiveDetectionPolicy({ fullEvery: fullDetectFrames(fullDetectSeconds, o.fps ?? (info.fps > 0 ? info.fps : 25)) }) : undefined;
  const detectAdaptive = async (det: BlazeFaceDetector, p: AdaptiveDetectionPolicy, image: RgbImage, index: number): Promise<FaceResult[]> => {
    const live = tracker.tracks.filter((t) => index - t.lastFrame - 1 <= tracker.maxMissed).length;
    const run = (mode: DetectionMode) => det.detect(image, mode === 'front' ? { models: ['front'] } : {});
    const mode = p.decide(index);
    let faces = await run(mode);
    if (p.observe(index, mode, faces, image.width, image.height, live)) {
      faces = await run('full');
      p.observe(index, 'full', faces, image.width, image.height, live);
    }
    return o.recognizer.classifyFaces(image, faces);
  };

  for await (const { index, time, image } of decodeFrames(file, { fps: o.fps, info, signal: o.signal })) {
    let items: { id: number; face: FaceBox; result: FaceResult; detected: boolean }[];
    if (index % detectEvery === 0) {
      const found = blaze && policy ? await detectAdaptive(blaze, policy, image, index) : await o.recognizer.analyze(image);
      const matches = tracker.update(found.map(faceBoxOf), index);
      items = matches.map((m) => ({ id: m.id, face: m.track.last, result: found[m.detection], detected: true }));
      carried = items.map(({ id, face }) => ({ id, face }));
      smoother.retain(tracker.tracks.map((t) => t.id));
    } else {
      const results = await o.recognizer.classifyFaces(image, carried.map((c) => c.face));
      items = carried.map((c, i) => ({ ...c, result: results[i], detected: false }));
    }
    const tracks: TrackObservation[] = items.map(({ id, face, result, detected }) => {
      const sm = smoother.update(id, time, labels.map((l) => result.probabilities[l] ?? 0));
      let best = 0;
      for (let k = 1; k < sm.length; k++) if (sm[k] > sm[best]) best = k;
      const probabilities: Record<string, number> = {};
      labels.forEach((l, k) => { probabilities[l] = sm[k]; });
      return { id, box: { x: face.x, y: face.y, width: face.width, height: face.height }, label: labels[best], confidence: sm[best],
        probabilities, raw: result.probabilities, detectorScore: face.score, detected };
    }).sort((a, b) => a.id - b.id);
    for (const t of tracks) {
      let a = acc.get(t.id);
      if (!a) {
        a = { sum: new Float64Array(labels.length), summary: { id: t.id, firstFrame: index, lastFrame: index, firstTime: time, lastTime: time, frames: 0,
          dominant: '', meanProbabilities: {}, labelFrames: Object.fromEntries(labels.map((l) => [l, 0])) } };
        acc.set(t.id, a);
      }
      a.summary.lastFrame = index; a.summary.lastTime = time; a.summary.frames++;
      a.summary.labelFrames[t.label]++;
      labels.forEach((l, k) => { a!.sum[k] += t.raw[l] ?? 0; });
    }
    const fr: FrameResult = { frame: index, time, tracks };
    if (keepFrames) frames.push(fr);
    count = index + 1;
    if (o.onFrame) await o.onFrame(fr, image);
    o.onProgress?.(count, total);
  }

  const tracks = [...acc.values()].map(({ summary, sum }) => {
    let best = 0;
    labels.forEach((l, k) => {
      summary.meanProbabilities[l] = sum[k] / summary.frames;
      if (sum[k] > sum[best]) best = k;
    });
    summary.dominant = labels[best];
    return summary;
  }).sort((a, b) => a.id - b.id);
  return { file, width: info.width, height: info.height, fps: o.fps ?? info.fps, sourceFps: info.fps, duration: info.duration, labels,
    frameCount: count, frames, tracks };
}
