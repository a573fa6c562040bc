/**
 * Exports a graph and its weights as a standard ONNX model (opset 13), for onnxruntime in Node and the
 * browser and any other ONNX runtime. BatchNorms that follow a convolution are folded first; the others
 * become BatchNormalization. Outputs: `logits` [N, K] and `probabilities` = softmax(logits / T), where T
 * is the calibration temperature (1 when the model has none).
 *
 * The protobuf encoding is written by hand (the ONNX schema needs five message types and three wire
 * types): a protobuf library plus the ONNX .proto would be larger than this file.
 */
import { inferShapes, type Graph } from './graph.js';
import { foldBatchNorm } from './fold.js';
import { weightsToTensors } from './model-file.js';
import { paramLayout } from './params.js';
import type { Weights } from './session.js';

// ---- minimal protobuf writer ----
class Pb {
  private parts: Uint8Array[] = [];
  private len = 0;
  private push(b: Uint8Array) { this.parts.push(b); this.len += b.length; }
  private varint(v: number | bigint) {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do { let byte = Number(x & 0x7fn); x >>= 7n; if (x) byte |= 0x80; out.push(byte); } while (x);
    this.push(Uint8Array.from(out));
  }
  private key(field: number, wire: number) { this.varint((field << 3) | wire); }
  int(field: number, v: number) { this.key(field, 0); this.varint(v); return this; }
  float(field: number, v: number) { this.key(field, 5); const b = new Uint8Array(4); new DataView(b.buffer).setFloat32(0, v, true); this.push(b); return this; }
  bytes(field: number, b: Uint8Array) { this.key(field, 2); this.varint(b.length); this.push(b); return this; }
  str(field: number, s: string) { return this.bytes(field, new TextEncoder().encode(s)); }
  msg(field: number, m: Pb) { return this.bytes(field, m.finish()); }
  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const p of this.parts) { out.set(p, o); o += p.length; }
    return out;
  }
}

const FLOAT = 1;
const attrInt = (name: string, v: number) => new Pb().str(1, name).int(3, v).int(20, 2);
const attrFloat = (name: string, v: number) => new Pb().str(1, name).float(2, v).int(20, 1);
const attrInts = (name: string, v: number[]) => { const p = new Pb().str(1, name); for (const x of v) p.int(8, x); return p.int(20, 7); };

function tensor(name: string, dims: number[], data: Float32Array): Pb {
  const p = new Pb();
  for (const d of dims) p.int(1, d);
  p.int(2, FLOAT).str(8, name);
  const raw = new Uint8Array(data.length * 4);
  const dv = new DataView(raw.buffer);
  data.forEach((v, i) => dv.setFloat32(4 * i, v, true));
  return p.bytes(9, raw);
}

function valueInfo(name: string, dims: (number | string)[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().str(2, d));
  return new Pb().str(1, name).msg(2, new Pb().msg(1, new Pb().int(1, FLOAT).msg(2, shape)));
}

export interface OnnxExportOptions {
  /** softmax temperature for the `probabilities` output (default 1) */
  temperature?: number;
  /** free-form key/value metadata (labels, ...) stored in the model */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

export function exportOnnx(graph: Graph, weights: Weights, o: OnnxExportOptions = {}): Uint8Array {
  const f = foldBatchNorm(graph, weights);
  const g = f.graph;
  const t = weightsToTensors(paramLayout(g), f.weights);
  const shapes = inferShapes(g);
  const nodes: Pb[] = [];
  const inits: Pb[] = [];
  const name = (id: number) => (id === 0 ? 'input' : `t${id}`);
  const out: string[] = [];
  const node = (op: string, inputs: string[], output: string, nm: string, attrs: Pb[] = []) => {
    const p = new Pb();
    for (const i of inputs) p.str(1, i);
    p.str(2, output).str(3, nm).str(4, op);
    for (const a of attrs) p.msg(5, a);
    nodes.push(p);
  };
  const init = (key: string) => { inits.push(tensor(key, t[key].shape, t[key].data)); return key; };
  g.nodes.forEach((n, id) => {
    if (n.op === 'input') { out[id] = 'input'; return; }
    const y = name(id);
    out[id] = y;
    switch (n.op) {
      case 'conv2d': case 'pointwise': case 'dwconv3x3': {
        const k = n.op === 'conv2d' ? n.k : n.op === 'pointwise' ? 1 : 3;
        const pad = n.op === 'conv2d' ? n.pad : n.op === 'pointwise' ? 0 : 1;
        const stride = n.op === 'conv2d' ? n.stride : 1;
        const ins = [out[n.input], init(`${n.name}.weight`)];
        if (n.op !== 'dwconv3x3' && n.bias) ins.push(init(`${n.name}.bias`));
        const attrs = [attrInts('kernel_shape', [k, k]), attrInts('pads', [pad, pad, pad, pad]), attrInts('strides', [stride, stride])];
        if (n.op === 'dwconv3x3') attrs.push(attrInt('group', shapes[n.input][0]));
        node('Conv', ins, y, n.name, attrs);
        break;
      }
      case 'batchnorm': {
        const bn = n.relu ? `${y}_bn` : y;
        node('BatchNormalization', [out[n.input], init(`${n.name}.weight`), init(`${n.name}.bias`), init(`${n.name}.running_mean`), init(`${n.name}.running_var`)],
          bn, n.name, [attrFloat('epsilon', n.eps)]);
        if (n.relu) node('Relu', [bn], y, `${n.name}.relu`);
        break;
      }
      case 'relu': node('Relu', [out[n.input]], y, n.name); break;
      case 'maxpool': node('MaxPool', [out[n.input]], y, n.name, [attrInts('kernel_shape', [n.k, n.k]), attrInts('strides', [n.stride, n.stride]), attrInts('pads', [n.pad, n.pad, n.pad, n.pad])]); break;
      case 'gap': node('GlobalAveragePool', [out[n.input]], y, n.name); break;
      case 'dense': {
        node('Flatten', [out[n.input]], `${y}_flat`, `${n.name}.flatten`, [attrInt('axis', 1)]);
        const ins = [`${y}_flat`, init(`${n.name}.weight`)];
        if (n.bias) ins.push(init(`${n.name}.bias`));
        node('Gemm', ins, `${y}_2d`, n.name, [attrInt('transB', 1)]);
        // keep the engine's [N, K, 1, 1] layout so later nodes see the same rank
        node('Unsqueeze', [`${y}_2d`, `${n.name}.axes`], y, `${n.name}.unsqueeze`);
        break;
      }
      case 'dropout': out[id] = out[n.input]; break;
      case 'add': node('Add', [out[n.a], out[n.b]], y, n.name); break;
    }
  });
  // Unsqueeze in opset 13 takes int64 axes: add them as int64 tensors
  for (const n of g.nodes) {
    if (n.op === 'dense') {
      const axes = new Pb().int(1, 2).int(2, 7 /* INT64 */).str(8, `${n.name}.axes`);
      const raw = new Uint8Array(16); const dv = new DataView(raw.buffer); dv.setBigInt64(0, 2n, true); dv.setBigInt64(8, 3n, true);
      inits.push(axes.bytes(9, raw));
    }
  }
  const K = shapes[g.output][0];
  node('Flatten', [out[g.output]], 'logits', 'logits', [attrInt('axis', 1)]);
  const T = o.temperature ?? 1;
  inits.push(tensor('temperature', [], Float32Array.from([T])));
  node('Div', ['logits', 'temperature'], 'scaled_logits', 'temperature_scale');
  node('Softmax', ['scaled_logits'], 'probabilities', 'softmax', [attrInt('axis', 1)]);

  const [C, H, W] = shapes[0];
  const graphPb = new Pb();
  for (const n of nodes) graphPb.msg(1, n);
  graphPb.str(2, 'ferkit');
  for (const i of inits) graphPb.msg(5, i);
  graphPb.msg(11, valueInfo('input', ['N', C, H, W]));
  graphPb.msg(12, valueInfo('logits', ['N', K]));
  graphPb.msg(12, valueInfo('probabilities', ['N', K]));
  const model = new Pb().int(1, 8).str(2, 'ferkit').str(3, o.producerVersion ?? '0').msg(7, graphPb).msg(8, new Pb().str(1, '').int(2, 13));
  for (const [k, v] of Object.entries(o.metadata ?? {})) model.msg(14, new Pb().str(1, k).str(2, v));
  return model.finish();
}
