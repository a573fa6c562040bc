/**
 * Exports a graph and its weights as a standard ONNX model (opset 13), for onnxruntime in Node and the
 * browser and any other ONNX runtime. BatchNorms that follow a convolution are folded first; the others
 * become BatchNormalization. Outputs: `logits` [N, K] and `probabilities` = softmax(logits / T), where T
 * is the calibration temperature (1 when the model has none).
 *
 * With `int8` (activation ranges from calibration), the export is in onnxruntime's QDQ format: every
 * activation passes through QuantizeLinear/DequantizeLinear (uint8, per tensor), every convolution's
 * weights are int8 per output channel behind a DequantizeLinear, and the remaining BatchNorms become 1x1
 * depthwise convolutions so that they too are quantized. onnxruntime fuses DQ -> Conv -> Q into its integer
 * QLinearConv kernels (and DQ -> Add -> Q into QLinearAdd); a ReLU whose output has zero point 0 is dropped.
 * Any other runtime reads the same file as a float model with fake quantization.
 */
import { inferShapes, inputsOf, type Graph } from './graph.js';
import { foldBatchNorm } from './fold.js';
import { weightsToTensors } from './model-file.js';
import { paramLayout } from './params.js';
import { Pb, attrFloat, attrInt, attrInts, tensor, valueInfo } from './onnx-proto.js';
import { quantizeBias, quantizeWeights, uint8Params, type QParams, type Range } from './quantize.js';
import type { Weights } from './session.js';

/** Activation ranges [min, max] by node name ('input' for the network's input), as `exposeActivations` names them. */
export type ActivationRanges = Record<string, Range>;

export interface OnnxExportOptions {
  /** softmax temperature for the `probabilities` output (default 1) */
  temperature?: number;
  /** free-form key/value metadata (labels, ...) stored in the model */
  metadata?: Record<string, string>;
  producerVersion?: string;
  /** quantize to int8 (QDQ) with these calibrated activation ranges (measure them with `exposeActivations`) */
  int8?: ActivationRanges;
  /**
   * int8: bits of the weights (default 7, which every x86 CPU computes exactly; 8 is exact only on CPUs
   * with VNNI and on ARM, see quantizeWeights)
   */
  weightBits?: 7 | 8;
  /** also output every activation that int8 needs a range for, as `act/<node name>` (for calibration) */
  exposeActivations?: boolean;
}

/** Prefix of the extra outputs that `exposeActivations` adds: `act/<node name>`. */
export const ACTIVATION_PREFIX = 'act/';

/**
 * The nodes (of the BatchNorm-folded graph) whose outputs an int8 export quantizes with a range of their
 * own: the input, convolutions not followed only by a ReLU, ReLUs, BatchNorms and adds. Max-pooling keeps
 * its input's parameters (it commutes with a monotonic quantization); pooling to a vector, dense layers
 * and the network's output stay float.
 */
function ownRange(g: Graph, readers: number[][], id: number): boolean {
  const n = g.nodes[id];
  if (id === g.output) return false;
  switch (n.op) {
    case 'input': case 'relu': case 'batchnorm': case 'add': return true;
    case 'conv2d': case 'pointwise': case 'dwconv3x3':
      return !(readers[id].length === 1 && g.nodes[readers[id][0]].op === 'relu');
    default: return false;
  }
}

export function exportOnnx(graph: Graph, weights: Weights, o: OnnxExportOptions = {}): Uint8Array {
  const f = foldBatchNorm(graph, weights);
  const g = f.graph;
  const t = weightsToTensors(paramLayout(g), f.weights);
  const shapes = inferShapes(g);
  const readers: number[][] = g.nodes.map(() => []);
  g.nodes.forEach((n, id) => inputsOf(n).forEach((i) => readers[i].push(id)));
  const nodes: Pb[] = [];
  const inits: Pb[] = [];
  const exposed: Pb[] = [];
  const name = (id: number) => (id === 0 ? 'input' : `t${id}`);
  /** the tensor that readers of node id read (a DequantizeLinear's output when quantized) */
  const out: string[] = [];
  /** the uint8 parameters of out[id], when quantized */
  const qp: (QParams | undefined)[] = [];
  const node = (op: string, inputs: string[], output: string, nm: string, attrs: Pb[] = []) => {
    const p = new Pb();
    for (const i of inputs) p.str(1, i);
    p.str(2, output).str(3, nm).str(4, op);
    for (const a of attrs) p.msg(5, a);
    nodes.push(p);
  };
  const init = (key: string) => { inits.push(tensor(key, t[key].shape, t[key].data)); return key; };
  const int8 = o.int8;
  const rangeOf = (id: number) => {
    const r = int8?.[g.nodes[id].name];
    if (!r) throw new Error(`exportOnnx: int8 needs a calibrated range for activation "${g.nodes[id].name}"; measure the ranges on a model export with exposeActivations`);
    return r;
  };
  /** Q -> DQ after tensor y of node id; readers then read the DQ output */
  const qdq = (id: number, y: string, p: QParams) => {
    inits.push(tensor(`${y}.scale`, [], Float32Array.of(p.scale)), tensor(`${y}.zero_point`, [], Uint8Array.of(p.zeroPoint)));
    node('QuantizeLinear', [y, `${y}.scale`, `${y}.zero_point`], `${y}.q`, `${y}.quantize`);
    node('DequantizeLinear', [`${y}.q`, `${y}.scale`, `${y}.zero_point`], `${y}.dq`, `${y}.dequantize`);
    out[id] = `${y}.dq`;
    qp[id] = p;
  };
  /** a convolution's weight and bias inputs: float initializers, or int8/int32 behind DequantizeLinear */
  const convParams = (key: string, w: Float32Array, wShape: number[], bias: Float32Array | undefined, input: QParams | undefined): string[] => {
    if (!input) {
      inits.push(tensor(`${key}.weight`, wShape, w));
      if (bias) inits.push(tensor(`${key}.bias`, [bias.length], bias));
      return bias ? [`${key}.weight`, `${key}.bias`] : [`${key}.weight`];
    }
    const K = wShape[0];
    const qw = quantizeWeights(w, K, o.weightBits ?? 7);
    inits.push(tensor(`${key}.weight_q`, wShape, qw.q), tensor(`${key}.weight_scale`, [K], qw.scales), tensor(`${key}.weight_zero_point`, [K], new Int8Array(K)));
    node('DequantizeLinear', [`${key}.weight_q`, `${key}.weight_scale`, `${key}.weight_zero_point`], `${key}.weight`, `${key}.weight.dequantize`, [attrInt('axis', 0)]);
    if (!bias) return [`${key}.weight`];
    const qb = quantizeBias(bias, input.scale, qw.scales);
    inits.push(tensor(`${key}.bias_q`, [K], qb.q), tensor(`${key}.bias_scale`, [K], qb.scales), tensor(`${key}.bias_zero_point`, [K], new Int32Array(K)));
    node('DequantizeLinear', [`${key}.bias_q`, `${key}.bias_scale`, `${key}.bias_zero_point`], `${key}.bias`, `${key}.bias.dequantize`, [attrInt('axis', 0)]);
    return [`${key}.weight`, `${key}.bias`];
  };
  g.nodes.forEach((n, id) => {
    const y = name(id);
    out[id] = y;
    switch (n.op) {
      case 'input': break;
      case 'conv2d': case 'pointwise': case 'dwconv3x3': {
        const k = n.op === 'conv2d' ? n.k : n.op === 'pointwise' ? 1 : 3;
        const pad = n.op === 'conv2d' ? n.pad : n.op === 'pointwise' ? 0 : 1;
        const stride = n.op === 'conv2d' ? n.stride : 1;
        const w = t[`${n.name}.weight`];
        const bias = n.op !== 'dwconv3x3' && n.bias ? t[`${n.name}.bias`].data : undefined;
        const ins = [out[n.input], ...convParams(n.name, w.data, w.shape, bias, int8 && qp[n.input])];
        const attrs = [attrInts('kernel_shape', [k, k]), attrInts('pads', [pad, pad, pad, pad]), attrInts('strides', [stride, stride])];
        if (n.op === 'dwconv3x3') attrs.push(attrInt('group', shapes[n.input][0]));
        node('Conv', ins, y, n.name, attrs);
        break;
      }
      case 'batchnorm': {
        const bn = n.relu ? `${y}_bn` : y;
        if (int8 && qp[n.input]) {
          // per-channel affine as a 1x1 depthwise convolution, so that the integer kernels take it too
          const C = shapes[n.input][0];
          const gamma = t[`${n.name}.weight`].data, beta = t[`${n.name}.bias`].data;
          const mean = t[`${n.name}.running_mean`].data, variance = t[`${n.name}.running_var`].data;
          const a = new Float32Array(C), b = new Float32Array(C);
          for (let c = 0; c < C; c++) { a[c] = gamma[c] / Math.sqrt(variance[c] + n.eps); b[c] = beta[c] - mean[c] * a[c]; }
          node('Conv', [out[n.input], ...convParams(n.name, a, [C, 1, 1, 1], b, qp[n.input])], bn, n.name,
            [attrInts('kernel_shape', [1, 1]), attrInt('group', C)]);
        } else {
          node('BatchNormalization', [out[n.input], init(`${n.name}.weight`), init(`${n.name}.bias`), init(`${n.name}.running_mean`), init(`${n.name}.running_var`)],
            bn, n.name, [attrFloat('epsilon', n.eps)]);
        }
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
        // Unsqueeze in opset 13 takes its axes as an int64 tensor
        inits.push(tensor(`${n.name}.axes`, [2], BigInt64Array.of(2n, 3n)));
        break;
      }
      case 'dropout': out[id] = out[n.input]; return;
      case 'add': node('Add', [out[n.a], out[n.b]], y, n.name); break;
    }
    if (o.exposeActivations && ownRange(g, readers, id)) {
      node('Identity', [y], `${ACTIVATION_PREFIX}${n.name}`, `${n.name}.expose`);
      exposed.push(valueInfo(`${ACTIVATION_PREFIX}${n.name}`, ['N', ...shapes[id]]));
    }
    if (!int8) return;
    if (ownRange(g, readers, id)) qdq(id, y, uint8Params(rangeOf(id)));
    else if (n.op === 'maxpool' && qp[n.input] && id !== g.output) qdq(id, y, qp[n.input]!);
  });
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
  for (const e of exposed) graphPb.msg(12, e);
  const model = new Pb().int(1, 8).str(2, 'ferkit').str(3, o.producerVersion ?? '0').msg(7, graphPb).msg(8, new Pb().str(1, '').int(2, 13));
  for (const [k, v] of Object.entries(o.metadata ?? {})) model.msg(14, new Pb().str(1, k).str(2, v));
  return model.finish();
}
