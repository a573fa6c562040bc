import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { videoCommand, csvHeader, csvLines, type VideoCliIo } from '../../src/cli/commands/video.js';
import { probeVideo, decodeFrames } from '../../src/pipeline/video-decode.js';
import { saveTinyModel } from '../eval/fixtures.js';
import { CLIP1, audioOnly, tempDir, testClip } from './video-fixtures.test.js';

const LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];

function collect(): VideoCliIo & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (s: string) => { io.out += s; }, stderr: (s: string) => { io.err += s; } };
  return io;
}

async function fixtures(tag: string) {
  const t = await tempDir(tag);
  const model = join(t.dir, 'tiny.safetensors');
  await saveTinyModel(model, 7);
  return { ...t, model };
}

test('video cli: usage errors exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [[], /give a video file/],
    [['a.mp4', 'b.mp4'], /give one video file, got 2/],
    [['a.mp4', '--json', '--csv'], /--json and --csv are exclusive/],
    [['a.mp4', '--fps', 'x'], /--fps must be a positive number, got 'x'/],
    [['a.mp4', '--detect-every', '1.5'], /--detect-every must be a positive integer/],
    [['a.mp4', '--detector', 'side'], /--detector must be one of auto, front, back; got 'side'/],
    [['a.mp4', '--full-detect-seconds', '0'], /--full-detect-seconds must be a positive number, got '0'/],
    [['a.mp4', '--full-detect-seconds', 'soon'], /--full-detect-seconds must be a positive number, got 'soon'/],
    [['a.mp4', '--timeline', 't.jpg'], /--timeline: unknown format '.jpg'/],
    [['a.mp4', '--annotate', 'a.gif'], /--annotate: unknown video format '.gif'/],
    [['a.mp4', '--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [argv, re] of cases) {
    const io = collect();
    assert.equal(await videoCommand(argv, io), 2, argv.join(' '));
    assert.match(io.err, re);
    assert.match(io.err, /Usage: ferkit video/);
  }
  const help = collect();
  assert.equal(await videoCommand(['--help'], help), 0);
  assert.match(help.out, /--timeline/);
  assert.match(help.out, /--detector auto\|front\|back +BlazeFace model \(default auto/);
  assert.match(help.out, /--full-detect-seconds <s> +with --detector auto: seconds between full detections/);
});

test('video cli: a file without a video stream, or missing, exits 1 naming the file', async (t) => {
  const { dir, cleanup } = await tempDir('cli-err');
  t.after(cleanup);
  const wav = await audioOnly(join(dir, 'tone.mkv'));
  const io = collect();
  assert.equal(await videoCommand([wav, '--json'], io), 1);
  assert.equal(io.err, `ferkit video: ${wav} has no video stream\n`);
  assert.equal(io.out, '');
  const io2 = collect();
  assert.equal(await videoCommand([join(dir, 'nope.mp4')], io2), 1);
  assert.match(io2.err, /nope\.mp4: no such file/);
});

test('video cli: --json, --csv and --annotate on a generated clip without faces', async (t) => {
  const { dir, cleanup, model } = await fixtures('cli');
  t.after(cleanup);
  const clip = await testClip(join(dir, 'clip.avi'), '160x120', 10, 1);

  const io = collect();
  assert.equal(await videoCommand([clip, '--model', model, '--json'], io), 0, io.err);
  const j = JSON.parse(io.out);
  assert.deepEqual(Object.keys(j).slice(0, 4), ['file', 'width', 'height', 'fps']);
  assert.deepEqual([j.file, j.width, j.height, j.fps, j.frameCount], [clip, 160, 120, 10, 10]);
  assert.deepEqual(j.labels, LABELS);
  assert.equal(j.frames.length, 10);
  assert.deepEqual(j.frames[4], { frame: 4, time: 0.4, tracks: [] });
  assert.deepEqual(j.tracks, []);
  assert.equal(io.err, '', 'no progress or chatter with --json');

  const csv = collect();
  const ann = join(dir, 'out', 'annotated.mp4');
  assert.equal(await videoCommand([clip, '--model', model, '--csv', '--fps', '5', '--annotate', ann], csv), 0, csv.err);
  assert.equal(csv.out, 'frame,time,track,label,confidence,x,y,w,h,angry,disgust,fear,happy,sad,surprise,neutral\n');
  const info = await probeVideo(ann);
  assert.deepEqual([info.width, info.height, info.fps], [160, 120, 5]);
  let n = 0;
  for await (const _ of decodeFrames(ann, { info })) n++;
  assert.equal(n, 5);
  assert.deepEqual(readdirSync(join(dir, 'out')), ['annotated.mp4'], 'no temp file left');

  const plain = collect();
  assert.equal(await videoCommand([clip, '--model', model, '--detect-every', '2', '--full-detect-seconds', '0.3'], plain), 0, plain.err);
  assert.match(plain.out, /160x120, 10 frames at 10 fps, 0 faces/);
});

test('video cli: csv lines of a frame with faces', () => {
  const probs = { angry: 0.1, disgust: 0, fear: 0, happy: 0.6, sad: 0.1, surprise: 0.1, neutral: 0.1 };
  const lines = csvLines({ frame: 3, time: 0.1, tracks: [{ id: 2, box: { x: 10.04, y: 20, width: 30.26, height: 30 }, label: 'happy', confidence: 0.6,
    probabilities: probs, raw: probs, detectorScore: 0.9, detected: true }] }, LABELS);
  assert.deepEqual(lines, ['3,0.100,2,happy,0.6,10,20,30.3,30,0.1,0,0,0.6,0.1,0.1,0.1']);
  assert.equal(csvHeader(LABELS).split(',').length, lines[0].split(',').length);
});

test('video cli: clip1.avi has one face tracked through most frames, and a timeline', async (t) => {
  if (!existsSync(CLIP1)) { t.skip(`${CLIP1} is not available (shared media not mounted)`); return; }
  const { dir, cleanup, model } = await fixtures('clip1');
  t.after(cleanup);
  const svg = join(dir, 'timeline.svg');
  const io = collect();
  // 10 fps keeps the test short (22 frames); the detector runs on each
  assert.equal(await videoCommand([CLIP1, '--model', model, '--fps', '10', '--json', '--timeline', svg], io), 0, io.err);
  const j = JSON.parse(io.out);
  assert.deepEqual([j.width, j.height, j.fps, j.sourceFps], [720, 480, 10, 30]);
  assert.ok(j.frameCount >= 20 && j.frameCount <= 24, `frames ${j.frameCount}`);
  const withOne = j.frames.filter((f: any) => f.tracks.length === 1).length;
  assert.ok(withOne >= 0.8 * j.frameCount, `one face in ${withOne}/${j.frameCount} frames`);
  const main = j.tracks.reduce((a: any, b: any) => (b.frames > a.frames ? b : a));
  assert.ok(main.frames >= 0.8 * j.frameCount, `longest track ${main.frames} frames`);
  const f = j.frames.find((x: any) => x.tracks.length)!.tracks[0];
  assert.ok(f.box.width > 100 && f.box.width < 480, `face box ${JSON.stringify(f.box)}`);
  assert.ok(Math.abs(Object.values(f.probabilities as Record<string, number>).reduce((s, v) => s + v, 0) - 1) < 1e-6);
  const text = readFileSync(svg, 'utf8');
  assert.match(text, /^<svg /);
  assert.match(text, new RegExp(`face #${main.id}`));
});
