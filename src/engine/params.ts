// Where every parameter lives. Trainable parameters form one contiguous block (decayed weights first,
// then norms and biases, which by default get no weight decay), so an optimizer step is one kernel call
// per group; running statistics form a second block. Names follow PyTorch (`stem.conv1.weight`).
import { inferShapes, numel, type Graph, type NodeSpec, type Shape } from './graph.js';
import { Rng } from './rng.js';

export type ParamKind = 'weight' | 'bias' | 'norm' | 'buffer';

export interface ParamInfo {
  name: string;
  node: number;
  /** PyTorch shape, e.g. [K, C, kh, kw] */
  shape: number[];
  size: number;
  kind: ParamKind;
  /** fan-in used by the initialiser */
  fanIn: number;
  /** element offset inside its block (trainable or buffers) */
  offset: number;
}

export interface ParamLayout {
  trainable: ParamInfo[];
  buffers: ParamInfo[];
  trainableSize: number;
  /** trainable[0 .. decaySize) get weight decay */
  decaySize: number;
  bufferSize: number;
  byName: Map<string, ParamInfo>;
  /** per node: its params by suffix ('weight', 'bias', 'running_mean', ...) */
  ofNode: Map<number, Record<string, ParamInfo>>;
}

function nodeParams(n: NodeSpec, inShape: Shape | undefined): Omit<ParamInfo, 'offset' | 'node'>[] {
  const p = (suffix: string, shape: number[], kind: ParamKind, fanIn: number) =>
    ({ name: `${n.name}.${suffix}`, shape, size: shape.reduce((a, b) => a * b, 1), kind, fanIn });
  const c = inShape ? inShape[0] : 0;
  switch (n.op) {
    case 'conv2d': return [p('weight', [n.out, c, n.k, n.k], 'weight', c * n.k * n.k),
      ...(n.bias ? [p('bias', [n.out], 'bias', c * n.k * n.k)] : [])];
    case 'dwconv3x3': return [p('weight', [c, 1, 3, 3], 'weight', 9)];
    case 'pointwise': return [p('weight', [n.out, c, 1, 1], 'weight', c), ...(n.bias ? [p('bias', [n.out], 'bias', c)] : [])];
    case 'dense': {
      const i = numel(inShape!);
      return [p('weight', [n.out, i], 'weight', i), ...(n.bias ? [p('bias', [n.out], 'bias', i)] : [])];
    }
    case 'batchnorm': return [p('weight', [c], 'norm', 1), p('bias', [c], 'norm', 1),
      p('running_mean', [c], 'buffer', 1), p('running_var', [c], 'buffer', 1)];
    default: return [];
  }
}

export function paramLayout(g: Graph): ParamLayout {
  const shapes = inferShapes(g);
  const all: ParamInfo[] = [];
  g.nodes.forEach((n, id) => {
    const inShape = n.op === 'input' || n.op === 'add' ? undefined : shapes[n.input];
    for (const p of nodeParams(n, inShape)) all.push({ ...p, node: id, offset: 0 });
  });
  const decayed = all.filter((p) => p.kind === 'weight');
  const undecayed = all.filter((p) => p.kind === 'bias' || p.kind === 'norm');
  const buffers = all.filter((p) => p.kind === 'buffer');
  let off = 0;
  for (const p of [...decayed, ...undecayed]) { p.offset = off; off += p.size; }
  let boff = 0;
  for (const p of buffers) { p.offset = boff; boff += p.size; }
  const byName = new Map(all.map((p) => [p.name, p]));
  if (byName.size !== all.length) throw new Error('graph: two nodes share a name, so their parameters would collide');
  const ofNode = new Map<number, Record<string, ParamInfo>>();
  for (const p of all) {
    const rec = ofNode.get(p.node) ?? {};
    rec[p.name.slice(g.nodes[p.node].name.length + 1)] = p;
    ofNode.set(p.node, rec);
  }
  return { trainable: [...decayed, ...undecayed], buffers, trainableSize: off, decaySize: decayed.reduce((a, p) => a + p.size, 0),
    bufferSize: boff, byName, ofNode };
}

/** Number of trainable parameters (what PyTorch's `sum(p.numel() for p in net.parameters())` prints). */
export function countParams(g: Graph): number { return paramLayout(g).trainableSize; }

/**
 * Initial values: He-normal (fan-in) for convolution weights, which suits ReLU networks; PyTorch's
 * uniform(+-1/sqrt(fan_in)) for dense weights; zero biases; BatchNorm gamma 1, beta 0, running var 1.
 */
export function initParams(layout: ParamLayout, seed: number): { trainable: Float32Array; buffers: Float32Array } {
  const rng = new Rng(seed);
  const trainable = new Float32Array(layout.trainableSize);
  const buffers = new Float32Array(layout.bufferSize);
  for (const p of layout.trainable) {
    const v = trainable.subarray(p.offset, p.offset + p.size);
    if (p.kind === 'weight' && p.shape.length === 4) {
      const std = Math.sqrt(2 / p.fanIn);
      for (let i = 0; i < v.length; i++) v[i] = rng.normal() * std;
    } else if (p.kind === 'weight') {
      const b = 1 / Math.sqrt(p.fanIn);
      for (let i = 0; i < v.length; i++) v[i] = rng.uniform(-b, b);
    } else if (p.kind === 'norm' && p.name.endsWith('.weight')) v.fill(1);
  }
  for (const p of layout.buffers) if (p.name.endsWith('running_var')) buffers.fill(1, p.offset, p.offset + p.size);
  return { trainable, buffers };
}
