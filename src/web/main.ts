/**
 * The ferkit web app: (a) live webcam recognition in the browser (engine.ts; no frame leaves the page),
 * (b) photo analysis through POST /v1/analyze, (c) video clips through the job API with a per-face
 * timeline. The current state is mirrored into data-* attributes of each section (data-status,
 * data-faces, data-fps...) so tests and scripts can read it.
 */
import { BrowserFer, imageDataToRgb } from './engine.js';
import { FaceTracker } from './tracker.js';
import { colorOf, drawFaces } from './draw.js';
import { drawTimeline, toTracks } from './timeline.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const MAX_SIDE = 640; // frames are analysed at most this large

interface ModelsInfo { model: { name: string; labels: string[]; temperature?: number; tta?: 'none' | 'flip' }; video: boolean }
let modelsInfo: Promise<ModelsInfo> | undefined;
const models = (): Promise<ModelsInfo> => (modelsInfo ??= fetch('/v1/models').then((r) => { if (!r.ok) throw new Error(`GET /v1/models: HTTP ${r.status}`); return r.json(); }));

function setMessage(el: HTMLElement, text: string, error = false): void {
  el.textContent = text;
  el.classList.toggle('error', error);
}

async function apiError(r: Response): Promise<string> {
  try { const b = await r.json(); return b?.error?.message ?? `HTTP ${r.status}`; } catch { return `HTTP ${r.status}`; }
}

// ---------------------------------------------------------------- (a) live camera
function setupLive(): void {
  const section = $('live'), video = $<HTMLVideoElement>('cam'), overlay = $<HTMLCanvasElement>('cam-overlay');
  const button = $<HTMLButtonElement>('cam-toggle'), fpsEl = $('cam-fps'), msg = $('cam-msg'), mirror = $<HTMLInputElement>('cam-mirror');
  const placeholder = $('cam-placeholder');
  const grab = document.createElement('canvas');
  const gctx = grab.getContext('2d', { willReadFrequently: true })!;
  let engine: Promise<BrowserFer> | undefined;
  let stream: MediaStream | undefined;
  let running = false, frames = 0, fps = 0, lastT = 0;
  let tracker: FaceTracker | undefined;

  const setStatus = (s: string) => { section.dataset.status = s; };
  mirror.addEventListener('change', () => video.classList.toggle('mirror', mirror.checked));
  video.classList.toggle('mirror', mirror.checked);

  const stop = () => {
    running = false;
    stream?.getTracks().forEach((t) => t.stop());
    stream = undefined;
    video.srcObject = null;
    overlay.getContext('2d')!.clearRect(0, 0, overlay.width, overlay.height);
    button.textContent = 'Start camera';
    button.classList.remove('stop');
    placeholder.hidden = false;
    section.dataset.faces = '[]';
    fpsEl.textContent = '– fps';
    if (section.dataset.status === 'running' || section.dataset.status === 'loading') setStatus('stopped');
  };

  const loop = async () => {
    if (!running) return;
    const fer = await engine!;
    const vw = video.videoWidth, vh = video.videoHeight;
    if (vw && vh && video.readyState >= 2) {
      const s = Math.min(1, MAX_SIDE / Math.max(vw, vh));
      const w = Math.round(vw * s), h = Math.round(vh * s);
      if (grab.width !== w || grab.height !== h) { grab.width = w; grab.height = h; }
      if (overlay.width !== w || overlay.height !== h) { overlay.width = w; overlay.height = h; }
      gctx.drawImage(video, 0, 0, w, h);
      const image = imageDataToRgb(gctx.getImageData(0, 0, w, h));
      try {
        const faces = await fer.analyzeLive(image, performance.now());
        if (!running) return;
        const now = performance.now();
        const tracks = tracker!.update(faces, now);
        const ctx = overlay.getContext('2d')!;
        ctx.clearRect(0, 0, w, h);
        drawFaces(ctx, tracks, fer.labels, { mirror: mirror.checked });
        frames++;
        if (lastT) fps = fps ? 0.9 * fps + 0.1 * (1000 / (now - lastT)) : 1000 / (now - lastT);
        lastT = now;
        fpsEl.textContent = `${fps.toFixed(1)} fps`;
        const inv = 1 / s;
        section.dataset.faces = JSON.stringify(tracks.map((t) => ({ id: t.id, x: Math.round(t.box.x * inv), y: Math.round(t.box.y * inv), width: Math.round(t.box.width * inv), height: Math.round(t.box.height * inv), label: t.label, confidence: +t.confidence.toFixed(3) })));
        section.dataset.fps = fps.toFixed(1);
        section.dataset.frames = String(frames);
      } catch (e) {
        setStatus('error');
        setMessage(msg, `Recognition failed: ${(e as Error).message}`, true);
        stop();
        return;
      }
    }
    if ('requestVideoFrameCallback' in video) (video as HTMLVideoElement).requestVideoFrameCallback(() => void loop());
    else requestAnimationFrame(() => void loop());
  };

  const start = async () => {
    setMessage(msg, '');
    if (!navigator.mediaDevices?.getUserMedia) {
      setStatus('no-camera');
      setMessage(msg, 'This browser gives no camera access to this page (a camera needs a secure context: https, or http://localhost). Photos and videos below still work.', true);
      return;
    }
    button.disabled = true;
    setStatus('loading');
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' }, audio: false });
    } catch (e) {
      button.disabled = false;
      const name = (e as DOMException)?.name;
      if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
        setStatus('denied');
        setMessage(msg, 'Camera permission was denied. Allow camera access for this site (the camera icon in the address bar), then press Start camera again. Photos and videos below still work.', true);
      } else if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') {
        setStatus('no-camera');
        setMessage(msg, 'No camera was found. Connect one and press Start camera again; photos and videos below still work.', true);
      } else if (name === 'NotReadableError') {
        setStatus('error');
        setMessage(msg, 'The camera is busy (another application is using it). Close it and try again.', true);
      } else {
        setStatus('error');
        setMessage(msg, `Could not open the camera: ${(e as Error)?.message ?? name}`, true);
      }
      return;
    }
    try {
      setMessage(msg, 'Loading the models…');
      engine ??= models().then((m) => BrowserFer.create(m.model.labels, '/', { tta: m.model.tta, temperature: m.model.temperature }));
      const fer = await engine;
      tracker = new FaceTracker(fer.labels);
      video.srcObject = stream;
      await video.play();
      running = true; frames = 0; fps = 0; lastT = 0;
      section.dataset.tta = fer.info.tta;
      placeholder.hidden = true;
      button.textContent = 'Stop camera';
      button.classList.add('stop');
      setStatus('running');
      setMessage(msg, `Running in your browser (WebAssembly, ${fer.info.threads} thread${fer.info.threads > 1 ? 's' : ''}${fer.info.tta === 'flip' ? '; flip TTA: each face and its mirror image, as the server classifies' : ''}).`);
      void loop();
    } catch (e) {
      engine = undefined;
      stop();
      setStatus('error');
      setMessage(msg, `Could not start recognition: ${(e as Error).message}`, true);
    } finally {
      button.disabled = false;
    }
  };

  button.addEventListener('click', () => { if (running || stream) { stop(); setMessage(msg, 'Stopped.'); } else void start(); });
}

// ---------------------------------------------------------------- (b) photo
interface ServerFace { box: { x: number; y: number; width: number; height: number }; label: string; confidence: number; probabilities: Record<string, number> }

function setupPhoto(): void {
  const section = $('photo'), input = $<HTMLInputElement>('photo-input'), drop = $('photo-drop'), msg = $('photo-msg');
  const result = $('photo-result'), canvas = $<HTMLCanvasElement>('photo-canvas'), list = $('photo-faces');

  const analyze = async (file: File) => {
    section.dataset.status = 'loading';
    section.dataset.faces = '[]';
    setMessage(msg, `Analysing ${file.name}…`);
    try {
      const [{ model }, bitmap] = await Promise.all([models(), createImageBitmap(file, { imageOrientation: 'from-image' }).catch(() => null)]);
      const form = new FormData();
      form.append('image', file, file.name);
      const r = await fetch('/v1/analyze', { method: 'POST', body: form });
      if (!r.ok) throw new Error(await apiError(r));
      const b = (await r.json()) as { faces: ServerFace[]; width: number; height: number; ms: number };
      const labels = model.labels;
      canvas.width = b.width; canvas.height = b.height;
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = '#eee';
      ctx.fillRect(0, 0, b.width, b.height);
      if (bitmap) ctx.drawImage(bitmap, 0, 0, b.width, b.height);
      const faces = b.faces.map((f) => ({ ...f, probabilities: labels.map((l) => f.probabilities[l] ?? 0) }));
      drawFaces(ctx, faces, labels, { bars: false });
      // numbered markers, matching the cards below
      ctx.font = `700 ${Math.max(12, Math.round(Math.max(b.width, b.height) / 45))}px system-ui, sans-serif`;
      ctx.textBaseline = 'bottom';
      faces.forEach((f, i) => { ctx.fillStyle = '#fff'; ctx.fillText(`#${i + 1}`, f.box.x + 3, f.box.y + f.box.height - 3); });
      list.replaceChildren(...faces.map((f, i) => faceCard(i + 1, f, labels)));
      result.hidden = false;
      section.dataset.faces = JSON.stringify(b.faces.map((f) => ({ x: Math.round(f.box.x), y: Math.round(f.box.y), width: Math.round(f.box.width), height: Math.round(f.box.height), label: f.label, confidence: +f.confidence.toFixed(3) })));
      section.dataset.status = 'done';
      setMessage(msg, `${b.faces.length} face${b.faces.length === 1 ? '' : 's'} in ${b.width}×${b.height} (${b.ms} ms on the server).`);
    } catch (e) {
      section.dataset.status = 'error';
      result.hidden = true;
      setMessage(msg, `Could not analyse ${file.name}: ${(e as Error).message}`, true);
    }
  };

  input.addEventListener('change', () => { const f = input.files?.[0]; if (f) void analyze(f); input.value = ''; });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) void analyze(f);
  });
}

function faceCard(n: number, f: { label: string; confidence: number; probabilities: number[] }, labels: string[]): HTMLElement {
  const card = document.createElement('div');
  card.className = 'face';
  const h = document.createElement('h3');
  h.textContent = `#${n} ${f.label} ${(f.confidence * 100).toFixed(0)}%`;
  card.append(h);
  labels.forEach((l, k) => {
    const row = document.createElement('div'); row.className = 'bar';
    const name = document.createElement('span'); name.textContent = l;
    const track = document.createElement('span'); track.className = 'track';
    const fill = document.createElement('span'); fill.className = 'fill';
    fill.style.display = 'block';
    fill.style.width = `${(f.probabilities[k] * 100).toFixed(1)}%`;
    fill.style.background = colorOf(l, labels);
    track.append(fill);
    const pct = document.createElement('span'); pct.className = 'pct'; pct.textContent = `${(f.probabilities[k] * 100).toFixed(0)}%`;
    row.append(name, track, pct);
    card.append(row);
  });
  return card;
}

// ---------------------------------------------------------------- (c) video
function setupVideo(): void {
  const section = $('video'), input = $<HTMLInputElement>('video-input'), progress = $<HTMLProgressElement>('video-progress');
  const msg = $('video-msg'), canvas = $<HTMLCanvasElement>('timeline'), legend = $('legend');
  const FPS = 5;

  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    section.dataset.status = 'uploading';
    canvas.hidden = true;
    legend.replaceChildren();
    progress.hidden = false; progress.removeAttribute('value');
    setMessage(msg, `Uploading ${file.name}…`);
    try {
      const form = new FormData();
      form.append('video', file, file.name);
      const r = await fetch(`/v1/analyze/video?fps=${FPS}`, { method: 'POST', body: form });
      if (!r.ok) throw new Error(await apiError(r));
      const { id } = (await r.json()) as { id: string };
      section.dataset.status = 'running';
      for (;;) {
        await new Promise((res) => setTimeout(res, 500));
        const jr = await fetch(`/v1/jobs/${encodeURIComponent(id)}`);
        if (!jr.ok) throw new Error(await apiError(jr));
        const job = await jr.json();
        progress.value = job.progress ?? 0;
        setMessage(msg, `Analysing: ${Math.round((job.progress ?? 0) * 100)}%`);
        if (job.status === 'failed') throw new Error(job.error?.message ?? 'the job failed');
        if (job.status === 'done') {
          const { model } = await models();
          const tracks = toTracks(job.result, FPS);
          canvas.hidden = false;
          drawTimeline(canvas, tracks, model.labels, typeof job.result?.duration === 'number' ? job.result.duration : undefined);
          legend.replaceChildren(...model.labels.map((l) => { const s = document.createElement('span'); const i = document.createElement('i'); i.style.background = colorOf(l, model.labels); s.append(i, l); return s; }));
          section.dataset.status = 'done';
          section.dataset.tracks = String(tracks.length);
          progress.hidden = true;
          setMessage(msg, `${tracks.length} face track${tracks.length === 1 ? '' : 's'} in ${file.name}.`);
          return;
        }
      }
    } catch (e) {
      section.dataset.status = 'error';
      progress.hidden = true;
      setMessage(msg, `Could not analyse the video: ${(e as Error).message}`, true);
    }
  });
}

function init(): void {
  models().then((m) => { $('model-name').textContent = m.model.name; }, () => { $('model-name').textContent = 'unavailable'; });
  setupLive();
  setupPhoto();
  setupVideo();
  document.body.dataset.ready = 'true';
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
