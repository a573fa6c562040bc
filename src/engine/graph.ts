/**
 * A network is a plain-JSON list of nodes (like a tiny ONNX graph): every thread rebuilds the same plan
 * from it, it is stored in the weights file, and exporters walk it. Shapes are per-sample [C, H, W];
 * the batch size belongs to a plan, not to the graph.
 */
export type NodeSpec =
  | { op: 'input'; name: string; shape: Shape }
  | { op: 'conv2d'; name: string; input: number; out: number; k: number; stride: number; pad: number; bias: boolean }
  | { op: 'dwconv3x3'; name: string; input: number }
  | { op: 'pointwise'; name: string; input: number; out: number; bias: boolean }
  | { op: 'batchnorm'; name: string; input: number; relu: boolean; momentum: number; eps: number }
  | { op: 'relu'; name: string; input: number }
  | { op: 'maxpool'; name: string; input: number; k: number; stride: number; pad: number }
  | { op: 'gap'; name: string; input: number }
  | { op: 'dense'; name: string; input: number; out: number; bias: boolean }
  | { op: 'dropout'; name: string; input: number; p: number }
  | { op: 'add'; name: string; a: number; b: number };

export type OpName = NodeSpec['op'];
/** Per-sample shape [C, H, W]; dense outputs are [O, 1, 1]. */
export type Shape = [number, number, number];

export interface Graph {
  nodes: NodeSpec[];
  /** index of the node whose output is the network's output (logits) */
  output: number;
}

/** The node ids a node reads. */
export function inputsOf(n: NodeSpec): number[] {
  switch (n.op) {
    case 'input': return [];
    case 'add': return [n.a, n.b];
    default: return [n.input];
  }
}

export function convOut(size: number, k: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

/** Output shape of every node, validating the graph as it goes (clear errors for wrong wiring). */
export function inferShapes(g: Graph): Shape[] {
  const shapes: Shape[] = [];
  g.nodes.forEach((n, id) => {
    for (const i of inputsOf(n)) {
      if (!(i >= 0 && i < id)) throw new Error(`graph: node ${id} (${n.name}) reads node ${i}, which is not an earlier node`);
    }
    const s = (i: number) => shapes[i];
    let out: Shape;
    switch (n.op) {
      case 'input': out = [...n.shape]; break;
      case 'conv2d': {
        const [, h, w] = s(n.input);
        out = [n.out, convOut(h, n.k, n.stride, n.pad), convOut(w, n.k, n.stride, n.pad)];
        if (out[1] < 1 || out[2] < 1) throw new Error(`graph: ${n.name}: a ${n.k}x${n.k} conv does not fit a ${h}x${w} input`);
        break;
      }
      case 'dwconv3x3': case 'batchnorm': case 'relu': case 'dropout': out = [...s(n.input)]; break;
      case 'pointwise': { const [, h, w] = s(n.input); out = [n.out, h, w]; break; }
      case 'maxpool': {
        const [c, h, w] = s(n.input);
        out = [c, convOut(h, n.k, n.stride, n.pad), convOut(w, n.k, n.stride, n.pad)];
        break;
      }
      case 'gap': out = [s(n.input)[0], 1, 1]; break;
      case 'dense': out = [n.out, 1, 1]; break;
      case 'add': {
        const a = s(n.a), b = s(n.b);
        if (a.join() !== b.join()) throw new Error(`graph: ${n.name}: cannot add shapes [${a}] and [${b}]`);
        out = [...a];
        break;
      }
    }
    shapes.push(out);
  });
  return shapes;
}

export const numel = (s: Shape): number => s[0] * s[1] * s[2];

/** Fluent builder: `const b = new GraphBuilder([1,48,48]); let h = b.conv2d(b.inputId, {...}, 'stem.conv1')`. */
export class GraphBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly inputId: number;
  constructor(inputShape: Shape) {
    this.inputId = this.push({ op: 'input', name: 'input', shape: inputShape });
  }
  private push(n: NodeSpec): number { this.nodes.push(n); return this.nodes.length - 1; }

  conv2d(input: number, o: { out: number; k: number; stride?: number; pad?: number; bias?: boolean }, name: string): number {
    return this.push({ op: 'conv2d', name, input, out: o.out, k: o.k, stride: o.stride ?? 1, pad: o.pad ?? 0, bias: o.bias ?? false });
  }
  dwconv3x3(input: number, name: string): number { return this.push({ op: 'dwconv3x3', name, input }); }
  pointwise(input: number, out: number, name: string, bias = false): number {
    return this.push({ op: 'pointwise', name, input, out, bias });
  }
  batchnorm(input: number, name: string, o: { relu?: boolean; momentum?: number; eps?: number } = {}): number {
    return this.push({ op: 'batchnorm', name, input, relu: o.relu ?? false, momentum: o.momentum ?? 0.1, eps: o.eps ?? 1e-5 });
  }
  relu(input: number, name: string): number { return this.push({ op: 'relu', name, input }); }
  maxpool(input: number, name: string, k = 3, stride = 2, pad = 1): number {
    return this.push({ op: 'maxpool', name, input, k, stride, pad });
  }
  gap(input: number, name: string): number { return this.push({ op: 'gap', name, input }); }
  dense(input: number, out: number, name: string, bias = true): number { return this.push({ op: 'dense', name, input, out, bias }); }
  dropout(input: number, p: number, name: string): number { return this.push({ op: 'dropout', name, input, p }); }
  add(a: number, b: number, name: string): number { return this.push({ op: 'add', name, a, b }); }

  build(output = this.nodes.length - 1): Graph {
    const g = { nodes: this.nodes.map((n) => ({ ...n })), output };
    inferShapes(g);
    return g;
  }
}
