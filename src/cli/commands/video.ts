/**
 * `ferkit video <file>`: every face in a video, tracked over time, with its (smoothed) expression per
 * frame and a summary per face. Output: a summary table (default), --json (one object), or --csv (one
 * line per frame per face); optionally an annotated copy of the video and a timeline plot.
 */
import { parseArgs } from 'node:util';
import { extname } from 'node:path';
import { createRecognizer, type Recognizer } from '../../pipeline/recognizer.js';
import { CLASSIFIER_BACKENDS, type ClassifierTta } from '../../pipeline/classifier.js';
import { oneOf } from '../flags.js';
import { parseClassifierTta } from './predict.js';
import { analyzeVideo, type FrameResult, type VideoAnalysis } from '../../pipeline/video.js';
import { probeVideo } from '../../pipeline/video-decode.js';
import { TIMELINE_EXTENSIONS, writeTimeline } from '../../pipeline/timeline.js';
import { ANNOTATE_EXTENSIONS, LabelSprites, createVideoEncoder, drawFrameAnnotations, type VideoEncoder } from '../../pipeline/video-annotate.js';
import { ProgressBar, formatSeconds } from '../progress.js';

export const VIDEO_USAGE = `Usage: ferkit video <file> [options]

  --model <name|path>      expression model (default tiny)
  --backend onnx|engine    classifier runtime (default onnx)
  --tta none|flip          flip: classify each face and its mirror image, logits averaged (more accurate,
                           twice the classifier's time; default none)
  --detector auto|front|back   BlazeFace model (default auto; front: faster, for close-ups)
  --full-detect-seconds <s>    with --detector auto: seconds between full detections (front and back
                           models, default 1); in between only the front model runs while every face is
                           big, so a small face entering the frame is found within this time
  --fps <N>                analyse N frames per second (default: every frame)
  --detect-every <k>       run the face detector on every k-th analysed frame, track in between (default 1)
  --smooth <seconds>       time constant of the probability smoothing (default 0.5; 0 = off)
  --json                   one JSON object {file, width, height, fps, frames, tracks}
  --csv                    one line per frame per face: frame,time,track,label,confidence,x,y,w,h,<probabilities>
  --annotate <out.mp4>     write a copy with boxes and labels (.mp4, .mkv, .mov, .avi, .webm)
  --timeline <out.svg|out.html|out.png>   plot each face's expressions over time
`;

export interface VideoCliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const processIo = (): VideoCliIo => ({ stdout: (s) => { process.stdout.write(s); }, stderr: (s) => { process.stderr.write(s); } });

function positiveNumber(name: string, v: string | undefined, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0) || (integer && !Number.isInteger(n))) throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got '${v}'`);
  return n;
}

const f4 = (v: number) => String(Number(v.toFixed(4)));
const f1 = (v: number) => String(Number(v.toFixed(1)));

/** The CSV header and the lines of one frame. */
export function csvHeader(labels: readonly string[]): string {
  return ['frame', 'time', 'track', 'label', 'confidence', 'x', 'y', 'w', 'h', ...labels].join(',');
}
export function csvLines(f: FrameResult, labels: readonly string[]): string[] {
  return f.tracks.map((t) => [f.frame, f.time.toFixed(3), t.id, t.label, f4(t.confidence), f1(t.box.x), f1(t.box.y), f1(t.box.width), f1(t.box.height),
    ...labels.map((l) => f4(t.probabilities[l]))].join(','));
}

function summary(v: VideoAnalysis): string {
  const lines = [`${v.file}: ${v.width}x${v.height}, ${v.frameCount} frames at ${Number(v.fps.toFixed(3))} fps, ${v.tracks.length} face${v.tracks.length === 1 ? '' : 's'}`];
  for (const t of v.tracks) {
    lines.push(`  face #${t.id}  ${t.firstTime.toFixed(2)}-${t.lastTime.toFixed(2)} s  ${String(t.frames).padStart(5)} frames  mostly ${t.dominant.padEnd(9)} ` +
      v.labels.map((l) => `${l.slice(0, 3)} ${(t.meanProbabilities[l] * 100).toFixed(0)}`).join(' '));
  }
  return lines.join('\n') + '\n';
}

export async function videoCommand(argv: string[], io: VideoCliIo = processIo()): Promise<number> {
  let a, file: string, tta: ClassifierTta;
  let fps: number | undefined, detectEvery: number | undefined, smooth: number | undefined, fullDetectSeconds: number | undefined;
  try {
    const p = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {
      model: { type: 'string', default: 'tiny' }, backend: { type: 'string' }, tta: { type: 'string', default: 'none' }, detector: { type: 'string', default: 'auto' },
      fps: { type: 'string' }, 'detect-every': { type: 'string' }, 'full-detect-seconds': { type: 'string' }, smooth: { type: 'string' },
      json: { type: 'boolean', default: false }, csv: { type: 'boolean', default: false },
      annotate: { type: 'string' }, timeline: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
    a = p.values;
    if (a.help) { io.stdout(VIDEO_USAGE); return 0; }
    if (p.positionals.length !== 1) throw new Error(p.positionals.length ? `give one video file, got ${p.positionals.length}` : 'give a video file');
    file = p.positionals[0];
    if (a.json && a.csv) throw new Error('--json and --csv are exclusive');
    if (a.backend) oneOf('backend', a.backend, CLASSIFIER_BACKENDS);
    tta = parseClassifierTta(a.tta!);
    oneOf('detector', a.detector, ['auto', 'front', 'back']);
    fps = positiveNumber('--fps', a.fps);
    detectEvery = positiveNumber('--detect-every', a['detect-every'], true);
    fullDetectSeconds = positiveNumber('--full-detect-seconds', a['full-detect-seconds']);
    if (a.smooth !== undefined) {
      smooth = Number(a.smooth);
      if (!(Number.isFinite(smooth) && smooth >= 0)) throw new Error(`--smooth must be a number of seconds >= 0, got '${a.smooth}'`);
    }
    if (a.annotate && !ANNOTATE_EXTENSIONS.includes(extname(a.annotate).toLowerCase())) throw new Error(`--annotate: unknown video format '${extname(a.annotate)}' (use ${ANNOTATE_EXTENSIONS.join(', ')})`);
    if (a.timeline && !TIMELINE_EXTENSIONS.includes(extname(a.timeline).toLowerCase())) throw new Error(`--timeline: unknown format '${extname(a.timeline)}' (use .svg, .html or .png)`);
  } catch (err: any) {
    io.stderr(`ferkit video: ${err.message}\n\n${VIDEO_USAGE}`);
    return 2;
  }

  let fer: Recognizer | undefined, encoder: VideoEncoder | undefined;
  const bar = new ProgressBar(!a.json && !a.csv);
  // `ferkit video x.mp4 --csv | head`: a closed stdout stops the analysis quietly instead of crashing
  const stop = new AbortController();
  const onStdoutError = (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') stop.abort(); };
  process.stdout.on('error', onStdoutError);
  try {
    const info = await probeVideo(file); // fails fast (missing file, no video stream) before loading models
    fer = await createRecognizer({ model: a.model, backend: a.backend as 'onnx' | 'engine' | undefined, tta, detector: { model: a.detector as 'auto' | 'front' | 'back' } });
    const labels = fer.labels;
    if (a.annotate) encoder = await createVideoEncoder(a.annotate, { width: info.width, height: info.height, fps: fps ?? (info.fps > 0 ? info.fps : 25) });
    const sprites = new LabelSprites(Math.max(12, Math.round(Math.max(info.width, info.height) / 45)));
    if (a.csv) io.stdout(csvHeader(labels) + '\n');
    const t0 = Date.now();
    const result = await analyzeVideo(file, {
      recognizer: fer, info, fps, detectEvery, fullDetectSeconds, timeConstant: smooth, signal: stop.signal,
      keepFrames: !a.csv || !!a.timeline,
      onFrame: async (frame, image) => {
        if (a.csv && frame.tracks.length) io.stdout(csvLines(frame, labels).join('\n') + '\n');
        if (encoder) {
          await drawFrameAnnotations(image, frame, sprites);
          await encoder.write(image);
        }
      },
      onProgress: (done, total) => {
        const s = (Date.now() - t0) / 1000, rate = done / Math.max(s, 1e-3);
        const known = Number.isFinite(total) && total > 0;
        bar.update(known ? Math.min(1, done / total) : 0,
          `frame ${done}${known ? `/${total}` : ''}  ${rate.toFixed(1)} fps  ${known ? `ETA ${formatSeconds(Math.max(0, total - done) / rate)}` : ''}`);
      },
    });
    bar.done();
    if (encoder) { await encoder.finish(); encoder = undefined; }
    if (a.timeline) await writeTimeline(a.timeline, result);
    if (a.json) {
      io.stdout(JSON.stringify({ file: result.file, width: result.width, height: result.height, fps: result.fps, sourceFps: result.sourceFps,
        duration: Number.isFinite(result.duration) ? result.duration : null, frameCount: result.frameCount, labels: result.labels,
        frames: result.frames, tracks: result.tracks }) + '\n');
    } else if (!a.csv) {
      io.stdout(summary(result));
      const secs = (Date.now() - t0) / 1000;
      io.stderr(`${result.frameCount} frames in ${secs.toFixed(1)} s (${(result.frameCount / Math.max(secs, 1e-3)).toFixed(1)} fps)` +
        `${a.annotate ? `; annotated video: ${a.annotate}` : ''}${a.timeline ? `; timeline: ${a.timeline}` : ''}\n`);
    }
    return 0;
  } catch (err: any) {
    bar.done();
    if (stop.signal.aborted) return 0; // the reader went away: nothing left to report to
    const msg = String(err?.message ?? err);
    io.stderr(`ferkit video: ${msg.includes(file) ? msg : `${file}: ${msg}`}\n`);
    return 1;
  } finally {
    process.stdout.off('error', onStdoutError);
    encoder?.abort();
    await fer?.close();
  }
}
