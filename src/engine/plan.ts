/**
 * A plan is a graph compiled for one batch size and one mode: every buffer laid out in the arena, and
 * the forward (and, for training, loss + backward + optimizer) work as a flat list of ops. An op is a
 * closure over kernel arguments plus a count of independent work units; executors split the units over
 * threads and put a barrier between ops. Building a plan is deterministic, so every thread builds the
 * same one over the same shared memory and gets the same pointers.
 */
import { inferShapes, numel, type Graph, type NodeSpec } from './graph.js';
import type { Kernels } from './kernels/wasm.js';
import type { Heap } from './kernels/heap.js';
import type { Arena } from './memory.js';
import type { ParamLayout, ParamInfo } from './params.js';

export interface Op {
  name: string;
  units: number;
  /** split boundaries are rounded to a multiple of this (keeps SIMD loops on whole vectors) */
  grain: number;
  run(s: number, e: number): void;
}

/** Per-step scalars, written by the driving thread before a program runs and read by ops. */
export const enum Scalar { LR = 0, BC1 = 1, BC2 = 2, GRAD_SCALE = 3, SEED = 4, DAMPENING = 5, COUNT = 8 }

export interface Memory {
  k: Kernels;
  heap: Heap;
  arena: Arena;
  scalars: Float64Array;
  layout: ParamLayout;
  /** byte offsets of the trainable block, its gradient block and the buffers block */
  paramPtr: number;
  gradPtr: number;
  bufferPtr: number;
}

export interface OptimizerSpec {
  type: 'sgd' | 'adam' | 'adamw';
  momentum?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** also decay BatchNorm parameters and biases (PyTorch's default is to decay everything) */
  decayAll?: boolean;
}

export interface TrainSpec {
  optimizer: OptimizerSpec;
  labelSmoothing?: number;
  /** per-class loss weights (length = number of classes) */
  classWeights?: number[];
  /**
   * train against a target distribution per sample, written into the session's `trainTargets` before each
   * step (labelSmoothing is then the caller's to mix in), instead of against the labels alone
   */
  softTargets?: boolean;
  /**
   * with softTargets: distillation at this temperature T (Hinton et al. 2015). Each sample's target is then
   * 2 x classes values, a label part and a teacher part (the teacher's softmax at T), each already weighted;
   * the teacher part is matched by softmax(logits / T) with the loss scaled by T^2 (softmax_ce_distill).
   * Unset: one target distribution per sample at T = 1 (softmax_ce_soft).
   */
  distillTemperature?: number;
}

export interface Plan {
  batch: number;
  mode: 'train' | 'eval';
  forward: Op[];
  /** loss, backward and optimizer ops (train plans only) */
  update: Op[];
  /** byte offsets */
  input: number;
  logits: number;
  labels: number;
  prob: number;
  lossOut: number;
  classWeights: number;
  /** float[N][targetWidth] targets (train plans with softTargets; 0 otherwise) */
  targets: number;
  /** values per sample in `targets`: classes, or 2 x classes with a distillation temperature (TrainSpec) */
  targetWidth: number;
  inputSize: number;
  classes: number;
  /** optimizer state blocks (train plans) */
  state: number[];
}

/** A 1x1, unpadded, strided convolution (the residual projections): run as subsample + GEMM. */
const isStridedPointwise = (n: Extract<NodeSpec, { op: 'conv2d' }>) => n.k === 1 && n.pad === 0 && n.stride > 1;

const ptrOf = (m: Memory, p: ParamInfo) => (p.kind === 'buffer' ? m.bufferPtr : m.paramPtr) + 4 * p.offset;
const gradOf = (m: Memory, p: ParamInfo) => m.gradPtr + 4 * p.offset;

/**
 * Same-size free lists over the arena: a buffer given back is handed out again for the next request of
 * exactly its size. Gradients reuse buffers once their producer's backward has consumed them; an eval
 * plan's activations once their last reader has run.
 */
class BufferPool {
  private free = new Map<number, number[]>();
  constructor(private arena: Arena) {}
  take(floats: number): number { return this.free.get(floats)?.pop() ?? this.arena.allocF32(floats); }
  give(floats: number, ptr: number): void { (this.free.get(floats) ?? this.free.set(floats, []).get(floats)!).push(ptr); }
}

/** The nodes whose outputs `n` reads. */
const inputsOf = (n: NodeSpec): number[] => (n.op === 'input' ? [] : n.op === 'add' ? (n.a === n.b ? [n.a] : [n.a, n.b]) : [n.input]);

/**
 * Buffer lifetimes at inference. `owner[id]`: the node whose buffer holds node id's output (dropout is the
 * identity there, so it owns nothing and aliases its input). `last[owner]`: the last node that reads that
 * buffer; the graph's output is read after the plan, so it stays live.
 */
function inferenceLifetimes(g: Graph): { owner: number[]; last: number[] } {
  const last: number[] = [];
  const owner: number[] = [];
  g.nodes.forEach((n, id) => {
    owner[id] = n.op === 'dropout' ? owner[n.input] : id;
    for (const i of inputsOf(n)) last[owner[i]] = id;
  });
  last[owner[g.output]] = Infinity;
  return { owner, last };
}

export function buildPlan(m: Memory, g: Graph, batch: number, mode: 'train' | 'eval', train?: TrainSpec): Plan {
  const { k, arena } = m;
  const N = batch;
  const shapes = inferShapes(g);
  const size = (id: number) => N * numel(shapes[id]);
  const act: number[] = [];
  const forward: Op[] = [];
  const op = (name: string, units: number, run: (s: number, e: number) => void, grain = 1) =>
    ({ name, units, run, grain });
  const params = (id: number) => m.layout.ofNode.get(id) ?? {};
  const isTrain = mode === 'train';
  // forward-time state the backward pass needs
  const saved: Record<number, { mean?: number; invstd?: number; idx?: number; mask?: number; xs?: number }> = {};
  // A training plan keeps every activation for the backward pass. An eval plan needs a node's output only
  // until its last reader has run, so its buffer goes back to a pool then and a later node of the same size
  // takes it: the memory of a batch-256 plan is then a few layers' worth instead of the whole network's.
  const { owner, last: lastRead } = isTrain ? { owner: [], last: [] } : inferenceLifetimes(g);
  const activations = new BufferPool(arena);

  g.nodes.forEach((n, id) => {
    const [C, H, W] = n.op === 'input' ? n.shape : n.op === 'add' ? shapes[n.a] : shapes[n.input];
    const [K, OH, OW] = shapes[id];
    const P = H * W;
    const x = n.op === 'input' || n.op === 'add' ? 0 : act[n.input];
    const p = params(id);
    if (n.op === 'dropout' && !isTrain) { act[id] = x; return; } // identity at inference
    const y = isTrain ? arena.allocF32(size(id)) : activations.take(size(id));
    act[id] = y;
    // inputs whose last reader is this node are free once it has run; y was taken first, so it never
    // shares memory with its own inputs (ops run in order, a barrier after each)
    if (!isTrain) for (const i of inputsOf(n)) if (lastRead[owner[i]] === id && owner[i] !== 0) activations.give(size(owner[i]), act[owner[i]]);
    const nm = `${n.op}:${n.name}`;
    switch (n.op) {
      case 'input': break;
      case 'conv2d': {
        const w = ptrOf(m, p.weight), b = p.bias ? ptrOf(m, p.bias) : 0;
        if (isStridedPointwise(n)) {
          // 1x1 stride s = subsample, then the (much faster) pointwise GEMM
          const xs = arena.allocF32(N * C * OH * OW);
          saved[id] = { xs };
          forward.push(op(`${nm}:subsample`, N * C, (s, e) => k.subsample_fwd(x, xs, N, C, H, W, OH, OW, n.stride, s, e)));
          forward.push(op(nm, N * K, (s, e) => k.pw_fwd(xs, w, b, y, N, C, K, OH * OW, s, e)));
          break;
        }
        forward.push(op(nm, N * K, (s, e) => k.conv2d_fwd(x, w, b, y, N, C, H, W, K, n.k, n.k, n.stride, n.pad, OH, OW, s, e)));
        break;
      }
      case 'dwconv3x3': {
        const w = ptrOf(m, p.weight);
        forward.push(op(nm, N * C, (s, e) => k.dw3x3_fwd(x, w, y, N, C, H, W, s, e)));
        break;
      }
      case 'pointwise': {
        const w = ptrOf(m, p.weight), b = p.bias ? ptrOf(m, p.bias) : 0;
        forward.push(op(nm, N * K, (s, e) => k.pw_fwd(x, w, b, y, N, C, K, P, s, e)));
        break;
      }
      case 'batchnorm': {
        const gamma = ptrOf(m, p.weight), beta = ptrOf(m, p.bias);
        const rm = ptrOf(m, p.running_mean), rv = ptrOf(m, p.running_var);
        const relu = n.relu ? 1 : 0;
        if (isTrain) {
          const mean = arena.allocF32(C), invstd = arena.allocF32(C);
          saved[id] = { mean, invstd };
          forward.push(op(`${nm}:stats`, C, (s, e) => k.bn_stats(x, mean, invstd, rm, rv, N, C, P, n.momentum, n.eps, s, e)));
          forward.push(op(nm, N * C, (s, e) => k.bn_act_fwd(x, mean, invstd, gamma, beta, y, N, C, P, relu, s, e)));
        } else {
          const invstd = arena.allocF32(C);
          const f = m.heap.f, io = invstd >> 2, vo = rv >> 2;
          forward.push(op(`${nm}:eval-stats`, C, (s, e) => { for (let c = s; c < e; c++) f[io + c] = 1 / Math.sqrt(f[vo + c] + n.eps); }));
          forward.push(op(nm, N * C, (s, e) => k.bn_act_fwd(x, rm, invstd, gamma, beta, y, N, C, P, relu, s, e)));
        }
        break;
      }
      case 'relu': {
        const len = size(id);
        forward.push(op(nm, len, (s, e) => k.relu_fwd(x, y, len, s, e), 16));
        break;
      }
      case 'maxpool': {
        const idx = arena.alloc(4 * size(id));
        saved[id] = { idx };
        forward.push(op(nm, N * C, (s, e) => k.maxpool_fwd(x, y, idx, N, C, H, W, OH, OW, n.k, n.stride, n.pad, s, e)));
        break;
      }
      case 'gap': forward.push(op(nm, N * C, (s, e) => k.gap_fwd(x, y, N, C, P, s, e))); break;
      case 'dense': {
        const I = numel(shapes[n.input]), w = ptrOf(m, p.weight), b = p.bias ? ptrOf(m, p.bias) : 0;
        forward.push(op(nm, N * K, (s, e) => k.dense_fwd(x, w, b, y, N, I, K, s, e)));
        break;
      }
      case 'dropout': {
        const len = size(id), mask = arena.allocF32(len), sc = m.scalars;
        saved[id] = { mask };
        const salt = Math.imul(id + 1, 0x9e3779b9) >>> 0;
        forward.push(op(nm, len, (s, e) => k.dropout_fwd(x, y, mask, len, n.p, (sc[Scalar.SEED] ^ salt) >>> 0, s, e), 16));
        break;
      }
      case 'add': {
        const a = act[n.a], b = act[n.b], len = size(id);
        forward.push(op(nm, len, (s, e) => k.add_fwd(a, b, y, len, s, e), 16));
        break;
      }
    }
  });

  const out = shapes[g.output];
  const classes = numel(out);
  const plan: Plan = {
    batch: N, mode, forward, update: [], input: act[0], logits: act[g.output], labels: 0, prob: 0, lossOut: 0,
    classWeights: 0, targets: 0, targetWidth: 0, inputSize: numel(shapes[0]), classes, state: [],
  };
  if (!isTrain) return plan;
  if (!train) throw new Error('buildPlan: a train plan needs a TrainSpec');
  if (out[1] !== 1 || out[2] !== 1) throw new Error(`graph: the output must be a vector of class scores, got [${out}]`);

  // ---- loss ----
  const update: Op[] = plan.update;
  const pool = new BufferPool(arena);
  const grad: (number | undefined)[] = [];
  plan.labels = arena.alloc(4 * N);
  plan.prob = arena.allocF32(N * classes);
  plan.lossOut = arena.allocF32(N);
  if (train.classWeights) {
    if (train.classWeights.length !== classes) throw new Error(`classWeights has ${train.classWeights.length} entries for ${classes} classes`);
    plan.classWeights = arena.allocF32(classes); // filled by the session once memory exists
  }
  const dlogits = pool.take(size(g.output));
  grad[g.output] = dlogits;
  const T = train.softTargets ? train.distillTemperature : undefined;
  if (T !== undefined && !(T > 0)) throw new Error(`distillTemperature must be > 0, got ${T}`);
  if (train.softTargets) {
    plan.targetWidth = T === undefined ? classes : 2 * classes;
    plan.targets = arena.allocF32(N * plan.targetWidth);
  }
  {
    const { logits, labels, prob, lossOut, classWeights, targets } = plan;
    const smoothing = train.labelSmoothing ?? 0, sc = m.scalars;
    update.push(T !== undefined
      ? op('softmax_ce_distill', N, (s, e) => k.softmax_ce_distill(logits, targets, labels, classWeights, prob, dlogits, lossOut, N, classes, 1 / T, sc[Scalar.GRAD_SCALE], s, e))
      : train.softTargets
        ? op('softmax_ce_soft', N, (s, e) => k.softmax_ce_soft(logits, targets, labels, classWeights, prob, dlogits, lossOut, N, classes, sc[Scalar.GRAD_SCALE], s, e))
        : op('softmax_ce', N, (s, e) => k.softmax_ce(logits, labels, classWeights, prob, dlogits, lossOut, N, classes, smoothing, sc[Scalar.GRAD_SCALE], s, e)));
  }

  // ---- backward, in reverse node order ----
  /** where the gradient for node `t` goes: a fresh buffer (overwrite) or the existing one (accumulate) */
  const target = (t: number): [number, number] | undefined => {
    if (g.nodes[t].op === 'input') return undefined; // nobody needs d(loss)/d(image)
    const have = grad[t];
    if (have !== undefined) return [have, 1];
    const ptr = pool.take(size(t));
    grad[t] = ptr;
    return [ptr, 0];
  };
  for (let id = g.nodes.length - 1; id > 0; id--) {
    const n = g.nodes[id] as Exclude<NodeSpec, { op: 'input' }>;
    const dy = grad[id];
    if (dy === undefined) {
      if (m.layout.ofNode.has(id)) throw new Error(`graph: ${n.name} does not reach the output, so its parameters get no gradient`);
      continue;
    }
    const [C, H, W] = n.op === 'add' ? shapes[n.a] : shapes[n.input];
    const [K, OH, OW] = shapes[id];
    const P = H * W;
    const x = n.op === 'add' ? 0 : act[n.input];
    const y = act[id];
    const p = params(id);
    const nm = `${n.op}:${n.name}:bwd`;
    let released = false;
    switch (n.op) {
      case 'conv2d': {
        const w = ptrOf(m, p.weight), dw = gradOf(m, p.weight), db = p.bias ? gradOf(m, p.bias) : 0;
        if (isStridedPointwise(n)) {
          const xs = saved[id].xs!, Q = OH * OW;
          update.push(op(`${nm}:w`, K, (s, e) => k.pw_bwd_weight(xs, dy, dw, db, N, C, K, Q, s, e)));
          const t = target(n.input);
          if (t) {
            const [dx, acc] = t, dxs = pool.take(N * C * Q);
            update.push(op(`${nm}:gemm`, N * C, (s, e) => k.pw_bwd_data(dy, w, dxs, N, C, K, Q, 0, s, e)));
            update.push(op(nm, N * C, (s, e) => k.subsample_bwd(dxs, dx, N, C, H, W, OH, OW, n.stride, acc, s, e)));
            pool.give(N * C * Q, dxs);
          }
          break;
        }
        update.push(op(`${nm}:w`, K * C, (s, e) => k.conv2d_bwd_weight(x, dy, dw, db, N, C, H, W, K, n.k, n.k, n.stride, n.pad, OH, OW, s, e)));
        const t = target(n.input);
        if (t) { const [dx, acc] = t; update.push(op(nm, N * C, (s, e) => k.conv2d_bwd_data(dy, w, dx, N, C, H, W, K, n.k, n.k, n.stride, n.pad, OH, OW, acc, s, e))); }
        break;
      }
      case 'dwconv3x3': {
        const w = ptrOf(m, p.weight), dw = gradOf(m, p.weight);
        update.push(op(`${nm}:w`, C, (s, e) => k.dw3x3_bwd_weight(x, dy, dw, N, C, H, W, s, e)));
        const t = target(n.input);
        if (t) { const [dx, acc] = t; update.push(op(nm, N * C, (s, e) => k.dw3x3_bwd_data(dy, w, dx, N, C, H, W, acc, s, e))); }
        break;
      }
      case 'pointwise': {
        const w = ptrOf(m, p.weight), dw = gradOf(m, p.weight), db = p.bias ? gradOf(m, p.bias) : 0;
        update.push(op(`${nm}:w`, K, (s, e) => k.pw_bwd_weight(x, dy, dw, db, N, C, K, P, s, e)));
        const t = target(n.input);
        if (t) { const [dx, acc] = t; update.push(op(nm, N * C, (s, e) => k.pw_bwd_data(dy, w, dx, N, C, K, P, acc, s, e))); }
        break;
      }
      case 'batchnorm': {
        const gamma = ptrOf(m, p.weight), beta = ptrOf(m, p.bias);
        const dgamma = gradOf(m, p.weight), dbeta = gradOf(m, p.bias);
        const { mean, invstd } = saved[id] as { mean: number; invstd: number };
        const relu = n.relu ? 1 : 0;
        update.push(op(`${nm}:reduce`, C, (s, e) => k.bn_act_bwd_reduce(x, dy, mean, invstd, gamma, beta, dgamma, dbeta, N, C, P, relu, s, e)));
        const t = target(n.input);
        if (t) {
          const [dx, acc] = t;
          update.push(op(nm, N * C, (s, e) => k.bn_act_bwd_data(x, dy, mean, invstd, gamma, beta, dgamma, dbeta, dx, N, C, P, relu, acc, s, e)));
        }
        break;
      }
      case 'relu': {
        const t = target(n.input), len = size(id);
        if (t) { const [dx, acc] = t; update.push(op(nm, len, (s, e) => k.relu_bwd(y, dy, dx, acc, len, s, e), 16)); }
        break;
      }
      case 'maxpool': {
        const t = target(n.input), idx = saved[id].idx!;
        if (t) { const [dx, acc] = t; update.push(op(nm, N * C, (s, e) => k.maxpool_bwd(dy, idx, dx, N, C, H, W, OH, OW, acc, s, e))); }
        break;
      }
      case 'gap': {
        const t = target(n.input);
        if (t) { const [dx, acc] = t; update.push(op(nm, N * C, (s, e) => k.gap_bwd(dy, dx, N, C, P, acc, s, e))); }
        break;
      }
      case 'dense': {
        const I = numel(shapes[n.input]), w = ptrOf(m, p.weight), dw = gradOf(m, p.weight), db = p.bias ? gradOf(m, p.bias) : 0;
        update.push(op(`${nm}:w`, K, (s, e) => k.dense_bwd_weight(x, dy, dw, db, N, I, K, s, e)));
        const t = target(n.input);
        if (t) { const [dx, acc] = t; update.push(op(nm, N * I, (s, e) => k.dense_bwd_data(dy, w, dx, N, I, K, acc, s, e))); }
        break;
      }
      case 'dropout': {
        const t = target(n.input), len = size(id), mask = saved[id].mask!;
        if (t) { const [dx, acc] = t; update.push(op(nm, len, (s, e) => k.mul_bwd(dy, mask, dx, acc, len, s, e), 16)); }
        break;
      }
      case 'add': {
        // d(a+b) passes dy to both inputs. The first input that has no gradient yet simply takes over
        // dy's buffer (no copy); the other one gets a copy or an accumulation.
        const len = size(id);
        for (const src of [n.a, n.b]) {
          if (g.nodes[src].op === 'input') continue;
          if (grad[src] === undefined && !released) { grad[src] = dy; released = true; continue; }
          const [dx, acc] = target(src)!;
          update.push(op(`${nm}:${src}`, len, (s, e) => k.copy_acc(dy, dx, acc, len, s, e), 16));
        }
        break;
      }
    }
    if (!released) pool.give(size(id), dy);
  }

  // ---- optimizer ----
  const opt = train.optimizer;
  const L = m.layout;
  const sc = m.scalars;
  const groups: [number, number, number][] = opt.decayAll
    ? [[0, L.trainableSize, opt.weightDecay ?? 0]]
    : [[0, L.decaySize, opt.weightDecay ?? 0], [L.decaySize, L.trainableSize, 0]];
  if (opt.type === 'sgd') {
    const v = arena.allocF32(L.trainableSize);
    plan.state = [v];
    const mom = opt.momentum ?? 0, nest = opt.nesterov ? 1 : 0;
    for (const [a, b, wd] of groups) {
      if (b <= a) continue;
      const pp = m.paramPtr + 4 * a, gp = m.gradPtr + 4 * a, vp = v + 4 * a, len = b - a;
      update.push(op('sgd', len, (s, e) => k.sgd_step(pp, gp, vp, len, sc[Scalar.LR], mom, sc[Scalar.DAMPENING], wd, nest, s, e), 16));
    }
  } else {
    const mm = arena.allocF32(L.trainableSize), vv = arena.allocF32(L.trainableSize);
    plan.state = [mm, vv];
    const b1 = opt.beta1 ?? 0.9, b2 = opt.beta2 ?? 0.999, eps = opt.eps ?? 1e-8, dec = opt.type === 'adamw' ? 1 : 0;
    for (const [a, b, wd] of groups) {
      if (b <= a) continue;
      const pp = m.paramPtr + 4 * a, gp = m.gradPtr + 4 * a, mp = mm + 4 * a, vp = vv + 4 * a, len = b - a;
      update.push(op(opt.type, len, (s, e) => k.adam_step(pp, gp, mp, vp, len, sc[Scalar.LR], b1, b2, eps, wd, dec, sc[Scalar.BC1], sc[Scalar.BC2], s, e), 16));
    }
  }
  return plan;
}
