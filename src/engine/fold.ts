/**
 * Inference-time graph rewrite: a BatchNorm that directly follows a convolution (and is that
 * convolution's only reader) is folded into the convolution's weights and bias, using the running
 * statistics. What remains of the BatchNorm is its ReLU, if it had one. BatchNorms that follow an add
 * (the pre-activation units' first BN) cannot be folded into anything and stay, as per-channel affine.
 */
import { inputsOf, type Graph, type NodeSpec } from './graph.js';
import { paramLayout } from './params.js';
import type { Weights } from './session.js';
import { tensorsToWeights, weightsToTensors } from './model-file.js';

export function foldBatchNorm(g: Graph, w: Weights): { graph: Graph; weights: Weights } {
  const tensors = weightsToTensors(paramLayout(g), w);
  const readers = new Map<number, number>();
  g.nodes.forEach((n) => inputsOf(n).forEach((i) => readers.set(i, (readers.get(i) ?? 0) + 1)));
  const nodes: NodeSpec[] = [];
  const remap: number[] = [];
  g.nodes.forEach((n, id) => {
    const src = n.op === 'batchnorm' ? g.nodes[n.input] : undefined;
    const foldable = n.op === 'batchnorm' && src && (src.op === 'conv2d' || src.op === 'pointwise') && readers.get(n.input) === 1 && n.input !== g.output;
    if (foldable && n.op === 'batchnorm' && src && (src.op === 'conv2d' || src.op === 'pointwise')) {
      const gamma = tensors[`${n.name}.weight`].data, beta = tensors[`${n.name}.bias`].data;
      const rm = tensors[`${n.name}.running_mean`].data, rv = tensors[`${n.name}.running_var`].data;
      const wt = tensors[`${src.name}.weight`];
      const K = wt.shape[0], per = wt.data.length / K;
      const oldBias = tensors[`${src.name}.bias`]?.data;
      const bias = new Float32Array(K);
      for (let k = 0; k < K; k++) {
        const scale = gamma[k] / Math.sqrt(rv[k] + n.eps);
        for (let j = 0; j < per; j++) wt.data[k * per + j] *= scale;
        bias[k] = ((oldBias ? oldBias[k] : 0) - rm[k]) * scale + beta[k];
      }
      tensors[`${src.name}.bias`] = { shape: [K], data: bias };
      const conv = nodes[remap[n.input]] as Extract<NodeSpec, { op: 'conv2d' | 'pointwise' }>;
      conv.bias = true;
      if (n.relu) { nodes.push({ op: 'relu', name: n.name, input: remap[n.input] }); remap[id] = nodes.length - 1; }
      else remap[id] = remap[n.input];
      return;
    }
    const m = { ...n } as any;
    if ('input' in m && n.op !== 'input') m.input = remap[m.input];
    if (n.op === 'add') { m.a = remap[n.a]; m.b = remap[n.b]; }
    nodes.push(m);
    remap[id] = nodes.length - 1;
  });
  const graph: Graph = { nodes, output: remap[g.output] };
  return { graph, weights: tensorsToWeights(paramLayout(graph), tensors) };
}
