/**
 * A session owns one linear memory holding a network's parameters, gradients, optimizer state and the
 * compiled plans (one for training at a fixed batch size, some for inference), and runs them on one or
 * more threads. It is the engine's main entry point:
 *
 *   const s = await Session.create({ graph, trainBatch: 64, train: { optimizer: { type: 'adam' } }, threads: 2, spawn });
 *   s.trainInput.set(images); s.trainLabels.set(labels);
 *   const { loss, correct } = s.trainStep(1e-3);
 *   const logits = s.predict(images, count);
 */
import type { Graph } from './graph.js';
import { createRefHeap, type Heap } from './kernels/heap.js';
import { refKernels } from './kernels/index.ref.js';
import { compileKernels, createSharedMemory, instantiateKernels, type Kernels, type SimdVariant } from './kernels/wasm.js';
import { Arena } from './memory.js';
import { initParams, paramLayout, type ParamLayout } from './params.js';
import { buildPlan, Scalar, type Memory, type Op, type Plan, type TrainSpec } from './plan.js';
import { hash2 } from './rng.js';
import { foldBatchNorm } from './fold.js';
import { CTRL_WORDS, driveProgram, runOps, shutdownTeam, workerLoop } from './team.js';

/** Everything a thread needs to rebuild the same plans: plain JSON. */
export interface SessionSpec {
  graph: Graph;
  trainBatch?: number;
  train?: TrainSpec;
  /** batch sizes to compile inference plans for (default [1, 64]); predict() picks among them */
  inferBatches?: number[];
}

export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  spec: SessionSpec;
  tid: number;
  threads: number;
}

/** Starts one worker thread running `startWorker(init)`; resolves once it is waiting for work. */
export type Spawn = (init: WorkerInit) => Promise<{ terminate(): Promise<unknown> | void }>;

export interface Weights {
  trainable: Float32Array;
  buffers: Float32Array;
}

export interface SessionOptions extends SessionSpec {
  /** threads to compute on (default 1); more than 1 needs `spawn` */
  threads?: number;
  spawn?: Spawn;
  /** initial weights; otherwise initialised from `seed` */
  weights?: Weights;
  seed?: number;
  /**
   * 'wasm' (default): SIMD kernels, float32. 'reference': the scalar TypeScript kernels in float64 on one
   * thread, the oracle for gradient checks.
   */
  backend?: 'wasm' | 'reference';
  /** kernel module: 'auto' (default) uses fused multiply-add where the runtime has relaxed SIMD */
  simd?: SimdVariant;
}

const CTRL_PTR = 1024;
const SCALARS_PTR = 2048;
const ARENA_BASE = 65536;

interface Layout {
  mem: Memory;
  train?: Plan;
  infer: Plan[];
  programs: Op[][];
}

/** Lays out memory and compiles every plan. Deterministic: all threads get identical pointers. */
function layoutSession(spec: SessionSpec, k: Kernels, heap: Heap, scalars: Float64Array): Layout {
  const layout = paramLayout(spec.graph);
  const arena = new Arena(ARENA_BASE);
  const paramPtr = arena.allocF32(layout.trainableSize);
  const gradPtr = arena.allocF32(layout.trainableSize);
  const bufferPtr = arena.allocF32(layout.bufferSize);
  const mem: Memory = { k, heap, arena, scalars, layout, paramPtr, gradPtr, bufferPtr };
  const programs: Op[][] = [];
  let train: Plan | undefined;
  if (spec.trainBatch) {
    if (!spec.train) throw new Error('Session: trainBatch needs train: { optimizer }');
    train = buildPlan(mem, spec.graph, spec.trainBatch, 'train', spec.train);
    programs.push([...train.forward, ...train.update]);
  }
  const infer = (spec.inferBatches ?? [1, 64]).map((b) => buildPlan(mem, spec.graph, b, 'eval'));
  for (const p of infer) programs.push(p.forward);
  return { mem, train, infer, programs };
}

const noKernels = new Proxy({}, { get: () => () => undefined }) as Kernels;

/** Entry point of a worker thread (called by the platform adapter's worker script). */
export async function startWorker(init: WorkerInit, ready: () => void): Promise<void> {
  const k = await instantiateKernels(init.module, init.memory);
  const buf = init.memory.buffer;
  const { programs } = layoutSession(init.spec, k, { f: new Float32Array(buf), i: new Int32Array(buf) },
    new Float64Array(buf, SCALARS_PTR, Scalar.COUNT));
  workerLoop(new Int32Array(buf, CTRL_PTR, CTRL_WORDS), programs, init.tid, init.threads, ready);
}

export interface StepResult {
  /** mean (class-weighted) loss over the batch */
  loss: number;
  /** samples whose top class equals the label */
  correct: number;
}

export class Session {
  readonly layout: ParamLayout;
  readonly classes: number;
  /** write the next training batch here (NCHW float32), then call trainStep */
  readonly trainInput: Float32Array | Float64Array;
  readonly trainLabels: Int32Array;
  /** per-sample targets (batch x plan.targetWidth: classes, or label and teacher parts with a distillation temperature), read by trainStep when the spec asks for softTargets */
  readonly trainTargets: Float32Array | Float64Array;
  private step = 0;
  private closed = false;

  private constructor(
    readonly spec: SessionSpec,
    readonly threads: number,
    private readonly mem: Memory,
    private readonly trainPlan: Plan | undefined,
    private readonly inferPlans: Plan[],
    private readonly programs: Op[][],
    private readonly ctrl: Int32Array | undefined,
    private readonly workers: { terminate(): Promise<unknown> | void }[],
    private readonly seed: number,
  ) {
    this.layout = mem.layout;
    this.classes = inferPlans[0]?.classes ?? trainPlan!.classes;
    const f = mem.heap.f;
    this.trainInput = trainPlan ? f.subarray(trainPlan.input >> 2, (trainPlan.input >> 2) + trainPlan.batch * trainPlan.inputSize) : f.subarray(0, 0);
    this.trainLabels = trainPlan ? mem.heap.i.subarray(trainPlan.labels >> 2, (trainPlan.labels >> 2) + trainPlan.batch) : new Int32Array(0);
    this.trainTargets = trainPlan?.targets ? f.subarray(trainPlan.targets >> 2, (trainPlan.targets >> 2) + trainPlan.batch * trainPlan.targetWidth) : new Float32Array(0);
  }

  static async create(o: SessionOptions): Promise<Session> {
    const spec: SessionSpec = { graph: o.graph, trainBatch: o.trainBatch, train: o.train, inferBatches: o.inferBatches ?? [1, 64] };
    const threads = o.backend === 'reference' ? 1 : Math.max(1, Math.floor(o.threads ?? 1));
    if (threads > 1 && !o.spawn) throw new Error('Session: threads > 1 needs a spawn function (ferkit/engine/node provides one for Node)');
    const seed = (o.seed ?? 0) >>> 0;
    let mem: Memory, lay: Layout, ctrl: Int32Array | undefined;
    const workers: { terminate(): Promise<unknown> | void }[] = [];
    // a dry run sizes the memory, so it is created once at its final size and never grows
    const dry = layoutSession(spec, noKernels, { f: new Float32Array(0), i: new Int32Array(0) }, new Float64Array(Scalar.COUNT));
    const bytes = dry.mem.arena.end;
    if (o.backend === 'reference') {
      const heap = createRefHeap(bytes);
      const k = Object.fromEntries(Object.entries(refKernels).map(([name, fn]) =>
        [name, (...a: number[]) => (fn as (h: Heap, ...a: number[]) => void)(heap, ...a)])) as unknown as Kernels;
      lay = layoutSession(spec, k, heap, new Float64Array(Scalar.COUNT));
    } else {
      const module = await compileKernels(o.simd);
      const memory = createSharedMemory(Math.ceil(bytes / 65536));
      const k = await instantiateKernels(module, memory);
      const buf = memory.buffer;
      lay = layoutSession(spec, k, { f: new Float32Array(buf), i: new Int32Array(buf) }, new Float64Array(buf, SCALARS_PTR, Scalar.COUNT));
      if (threads > 1) {
        ctrl = new Int32Array(buf, CTRL_PTR, CTRL_WORDS);
        for (let tid = 1; tid < threads; tid++) workers.push(await o.spawn!({ module, memory, spec, tid, threads }));
      }
    }
    mem = lay.mem;
    const s = new Session(spec, threads, mem, lay.train, lay.infer, lay.programs, ctrl, workers, seed);
    s.setWeights(o.weights ?? initParams(mem.layout, seed));
    if (lay.train?.classWeights) mem.heap.f.set(spec.train!.classWeights!, lay.train.classWeights >> 2);
    return s;
  }

  /** When set (see profile()), per-op wall times of the training program accumulate here. */
  private times?: Float64Array;

  private run(prog: number): void {
    if (this.closed) throw new Error('Session is closed');
    const times = prog === 0 ? this.times : undefined;
    if (this.ctrl) driveProgram(this.ctrl, this.programs, prog, this.threads, times);
    else runOps(this.programs[prog], undefined, 0, 1, times);
  }

  /** Runs `steps` training steps at learning rate 0 and returns each op's mean wall time in ms. */
  profile(steps: number): { name: string; ms: number }[] {
    const ops = this.programs[0];
    this.times = new Float64Array(ops.length);
    try { for (let i = 0; i < steps; i++) this.trainStep(0); } finally { /* keep times */ }
    const t = this.times;
    this.times = undefined;
    return ops.map((o, i) => ({ name: o.name, ms: t[i] / steps }));
  }

  /** Number of optimizer steps taken (drives Adam's bias correction and dropout seeds). */
  get steps(): number { return this.step; }
  set steps(t: number) { this.step = t; }

  /**
   * One optimizer step on the batch in trainInput/trainLabels: forward, loss, backward, update.
   * Allocates nothing on the JS heap.
   */
  trainStep(lr: number): StepResult {
    const p = this.trainPlan;
    if (!p) throw new Error('Session: this session has no training plan (pass trainBatch and train)');
    const { heap, scalars } = this.mem;
    const opt = this.spec.train!.optimizer;
    const t = ++this.step;
    const b1 = opt.beta1 ?? 0.9, b2 = opt.beta2 ?? 0.999;
    scalars[Scalar.LR] = lr;
    scalars[Scalar.BC1] = 1 - Math.pow(b1, t);
    scalars[Scalar.BC2] = 1 - Math.pow(b2, t);
    scalars[Scalar.SEED] = hash2(this.seed, t);
    scalars[Scalar.DAMPENING] = 0;
    const labels = this.trainLabels, K = p.classes;
    let wsum = 0;
    for (let n = 0; n < p.batch; n++) {
      const y = labels[n];
      if (!(y >= 0 && y < K)) throw new Error(`trainStep: label ${y} at batch index ${n} is not a class index in [0, ${K})`);
      wsum += p.classWeights ? heap.f[(p.classWeights >> 2) + y] : 1;
    }
    scalars[Scalar.GRAD_SCALE] = 1 / wsum;
    this.run(0);
    let loss = 0, correct = 0;
    const f = heap.f, lo = p.lossOut >> 2, po = p.prob >> 2;
    for (let n = 0; n < p.batch; n++) {
      loss += f[lo + n];
      let best = 0;
      for (let c = 1; c < K; c++) if (f[po + n * K + c] > f[po + n * K + best]) best = c;
      if (best === labels[n]) correct++;
    }
    return { loss: loss / wsum, correct };
  }

  /** Logits for `count` samples (NCHW float32, count * C*H*W values), in inference mode (running stats). */
  predict(input: ArrayLike<number>, count: number, out = new Float32Array(count * this.classes)): Float32Array {
    const first = this.trainPlan ? 1 : 0;
    const sizes = this.inferPlans.map((p) => p.batch);
    const per = this.inferPlans[0].inputSize, K = this.classes;
    if (input.length < count * per) throw new Error(`predict: expected ${count} x ${per} input values, got ${input.length}`);
    const f = this.mem.heap.f;
    let done = 0;
    while (done < count) {
      const left = count - done;
      // the largest plan that is filled completely, else the smallest that takes all that is left:
      // never computes more padding than the smallest plan's batch
      let pi = -1;
      for (let i = 0; i < sizes.length; i++) if (sizes[i] <= left && (pi < 0 || sizes[i] > sizes[pi])) pi = i;
      if (pi < 0) for (let i = 0; i < sizes.length; i++) if (pi < 0 || sizes[i] < sizes[pi]) pi = i;
      const p = this.inferPlans[pi];
      const n = Math.min(left, p.batch);
      const src = (input as Float32Array).subarray
        ? (input as Float32Array).subarray(done * per, (done + n) * per)
        : Array.prototype.slice.call(input, done * per, (done + n) * per);
      f.set(src, p.input >> 2);
      if (n < p.batch) f.fill(0, (p.input >> 2) + n * per, (p.input >> 2) + p.batch * per);
      this.run(first + pi);
      out.set(f.subarray(p.logits >> 2, (p.logits >> 2) + n * K), done * K);
      done += n;
    }
    return out;
  }

  /** A copy of the current weights. */
  getWeights(): Weights {
    const { heap, layout, paramPtr } = this.mem;
    return { trainable: Float32Array.from(heap.f.subarray(paramPtr >> 2, (paramPtr >> 2) + layout.trainableSize)), buffers: this.getBuffers() };
  }

  /** A copy of the non-trained state alone (BatchNorm running statistics), laid out like `getWeights().buffers`. */
  getBuffers(): Float32Array {
    const { heap, layout, bufferPtr } = this.mem;
    return Float32Array.from(heap.f.subarray(bufferPtr >> 2, (bufferPtr >> 2) + layout.bufferSize));
  }

  /** Replaces the BatchNorm running statistics alone (laid out like `getBuffers()`), the trainable weights untouched. */
  setBuffers(buffers: Float32Array): void {
    const { heap, layout, bufferPtr } = this.mem;
    if (buffers.length !== layout.bufferSize) throw new Error(`setBuffers: expected ${layout.bufferSize} values, got ${buffers.length}`);
    heap.f.set(buffers, bufferPtr >> 2);
  }

  setWeights(w: Weights): void {
    const { heap, layout, paramPtr, bufferPtr } = this.mem;
    if (w.trainable.length !== layout.trainableSize || w.buffers.length !== layout.bufferSize) {
      throw new Error(`setWeights: expected ${layout.trainableSize} trainable and ${layout.bufferSize} buffer values, ` +
        `got ${w.trainable.length} and ${w.buffers.length} (weights from a different architecture?)`);
    }
    heap.f.set(w.trainable, paramPtr >> 2);
    heap.f.set(w.buffers, bufferPtr >> 2);
  }

  /** Gradients of the last trainStep (a copy), laid out like `getWeights().trainable`. */
  getGradients(): Float32Array {
    const { heap, layout, gradPtr } = this.mem;
    return Float32Array.from(heap.f.subarray(gradPtr >> 2, (gradPtr >> 2) + layout.trainableSize));
  }

  /** Optimizer state (momentum / Adam moments) and step count, for exact resume. */
  getOptimizerState(): { step: number; state: Float32Array[] } {
    const p = this.trainPlan;
    if (!p) return { step: this.step, state: [] };
    const n = this.layout.trainableSize, f = this.mem.heap.f;
    return { step: this.step, state: p.state.map((ptr) => Float32Array.from(f.subarray(ptr >> 2, (ptr >> 2) + n))) };
  }

  setOptimizerState(s: { step: number; state: Float32Array[] }): void {
    const p = this.trainPlan;
    if (!p) throw new Error('setOptimizerState: this session has no training plan');
    if (s.state.length !== p.state.length) throw new Error(`setOptimizerState: expected ${p.state.length} state arrays, got ${s.state.length} (different optimizer?)`);
    s.state.forEach((a, i) => this.mem.heap.f.set(a, p.state[i] >> 2));
    this.step = s.step;
  }

  /** Per-op names and unit counts of a program (0 = training step when there is one), for profiling. */
  programOps(prog = 0): readonly Op[] { return this.programs[prog]; }

  /** Bytes of linear memory the session uses. */
  get memoryBytes(): number { return this.mem.arena.end; }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ctrl) shutdownTeam(this.ctrl);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * A session for inference only, with every BatchNorm that follows a convolution folded into it (fewer
 * passes over memory). Outputs equal the unfolded network's in eval mode up to float rounding.
 */
export async function createInferenceSession(o: Omit<SessionOptions, 'trainBatch' | 'train' | 'seed'> & { weights: Weights }): Promise<Session> {
  const folded = foldBatchNorm(o.graph, o.weights);
  return Session.create({ ...o, graph: folded.graph, weights: folded.weights });
}
