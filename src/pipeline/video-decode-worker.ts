/**
 * Worker-thread side of decodeFrames (video-decode.ts): runs ffmpeg and reads its raw RGB24 output.
 *
 * Why a thread: the consumer of decodeFrames runs face detection and classification with
 * onnxruntime-node, whose `run` blocks the main thread for milliseconds per frame. Read on the main
 * thread, the pipe is not drained during inference, the OS pipe buffer (64 KiB, a small fraction of a
 * frame) fills and ffmpeg stalls, so decoding and inference hardly overlap. Here the pipe is drained
 * whatever the main thread is doing, so ffmpeg decodes the next frames while the current one is analysed.
 *
 * Protocol (messages to the main thread, in order):
 *   { type: 'pid', pid }                          ffmpeg started (for a last-resort kill)
 *   ArrayBuffer                                   one whole frame, transferred (no copy)
 *   { type: 'end', code, stderr, fill }           ffmpeg closed after the last frame; `fill` = bytes of a
 *                                                 trailing partial frame (0 when none)
 *   { type: 'error', message }                    ffmpeg could not be started
 * From the main thread:
 *   { type: 'credit', n }                         the main thread consumed n frames: send n more
 *   { type: 'stop' }                              kill ffmpeg, wait until it is reaped, exit the thread
 *
 * Backpressure is credit-based: the worker starts with `credit` frames (workerData) and sends a frame only
 * while it has credit; at zero it pauses ffmpeg's stdout, the pipe fills and ffmpeg blocks. So at most
 * `credit` decoded frames wait ahead of the consumer, however slow it is.
 */
import { spawn } from 'node:child_process';
import { parentPort, workerData } from 'node:worker_threads';

export interface DecodeWorkerData {
  ffmpeg: string;
  args: string[];
  frameBytes: number;
  /** frames the worker may send before the main thread acknowledges any */
  credit: number;
}

export type DecodeWorkerMessage =
  | ArrayBuffer
  | { type: 'pid'; pid: number }
  | { type: 'end'; code: number | null; stderr: string; fill: number }
  | { type: 'error'; message: string };

export type DecodeWorkerCommand = { type: 'credit'; n: number } | { type: 'stop' };

if (!parentPort) throw new Error('video-decode-worker.js runs as a worker thread (started by decodeFrames)');
const port = parentPort;
const { ffmpeg, args, frameBytes } = workerData as DecodeWorkerData;
let credit = (workerData as DecodeWorkerData).credit;

const proc = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
if (proc.pid !== undefined) port.postMessage({ type: 'pid', pid: proc.pid } satisfies DecodeWorkerMessage);
let stderr = '';
proc.stderr.setEncoding('utf8');
proc.stderr.on('data', (s: string) => { if (stderr.length < 1 << 16) stderr += s; });

let frame = new Uint8Array(frameBytes), fill = 0;
/** chunks (or the unsent rest of one) read while out of credit */
const pending: Buffer[] = [];
/** ffmpeg's exit code once it closed (undefined while running) */
let closed: { code: number | null } | undefined;
let failed = false, stopping = false, endSent = false;

/** Cuts `pending` into frames while there is credit; sends 'end' once ffmpeg closed and all is sent. */
function drain(): void {
  while (pending.length && credit > 0) {
    const chunk = pending[0];
    let off = 0;
    while (off < chunk.length && credit > 0) {
      const n = Math.min(frameBytes - fill, chunk.length - off);
      frame.set(chunk.subarray(off, off + n), fill);
      fill += n; off += n;
      if (fill === frameBytes) {
        const buf = frame.buffer as ArrayBuffer;
        port.postMessage(buf satisfies DecodeWorkerMessage, [buf]);
        credit--;
        frame = new Uint8Array(frameBytes); fill = 0;
      }
    }
    if (off === chunk.length) pending.shift(); else pending[0] = chunk.subarray(off);
  }
  if (pending.length) { proc.stdout.pause(); return; }
  if (closed && !failed && !endSent) {
    endSent = true;
    port.postMessage({ type: 'end', code: closed.code, stderr, fill } satisfies DecodeWorkerMessage);
  } else if (!closed) {
    // out of credit: stop reading now rather than after one more chunk
    if (credit > 0) proc.stdout.resume(); else proc.stdout.pause();
  }
}

proc.stdout.on('data', (chunk: Buffer) => {
  pending.push(chunk);
  drain();
});
proc.on('error', (err) => {
  if (proc.pid !== undefined) return; // a failed kill of a running ffmpeg: 'close' still follows
  failed = true;
  port.postMessage({ type: 'error', message: `cannot run ffmpeg (${ffmpeg}): ${err.message}` } satisfies DecodeWorkerMessage);
  if (stopping) process.exit(0);
});
proc.on('close', (code, sig) => {
  closed = { code: code ?? (sig ? -1 : null) };
  if (stopping) process.exit(0); // ffmpeg is reaped: nothing is left behind
  drain();
});

port.on('message', (m: DecodeWorkerCommand) => {
  if (m.type === 'credit') {
    credit += m.n;
    if (!stopping) drain();
  } else if (m.type === 'stop') {
    stopping = true;
    pending.length = 0;
    if (closed || failed) process.exit(0);
    proc.kill('SIGKILL');
    proc.stdout.destroy(); // a paused stdout would otherwise hold back 'close'
  }
});
