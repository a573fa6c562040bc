/**
 * Starting a wider network from a trained narrower one (`ferkit train --init FILE --widths ... --widen`):
 * Net2WiderNet (Chen, Goodfellow and Shlens, "Net2Net", ICLR 2016). Every new channel is a copy of an old
 * one, and the layers that read a copied channel split its old weight between the copies, so the wider
 * network computes exactly what the narrower one did and training continues from there instead of from
 * scratch. Why: on two cores a wider base costs ~8 hours from scratch; widening keeps what the narrow
 * one learned in its ~50 epochs and spends the compute on what the new channels add.
 *
 * The graph says which tensors share a channel numbering ("channel spaces"): a convolution starts a new
 * one, per-channel ops (depthwise conv, BatchNorm, ReLU, pooling, dropout) keep their input's, and a
 * residual add forces its two inputs into one. Each space gets one old-to-new channel map, so both sides
 * of every add are widened the same way.
 *
 * The split between the copies is random (positive shares that sum to one) rather than equal, the
 * function is still preserved exactly, and the copies get different gradients from the first step: with
 * equal shares copies stay identical under SGD (the paper adds noise instead, which does not preserve
 * the function).
 */
import { inferShapes, inputsOf, paramLayout, Rng, type Graph, type Weights } from '../engine/index.js';
import { tensorsToWeights, weightsToTensors } from '../engine/model-file.js';

/** The graph with every output width blanked: equal for two networks that differ only in widths. */
function shapeFreeKey(g: Graph): string {
  return JSON.stringify({ ...g, nodes: g.nodes.map((n) => ('out' in n ? { ...n, out: 0 } : n)) });
}

/** Per node, the id of its channel space (union-find over the nodes that start one). */
function channelSpaces(g: Graph): number[] {
  const parent: number[] = g.nodes.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const space: number[] = [];
  g.nodes.forEach((n, id) => {
    switch (n.op) {
      case 'input': case 'conv2d': case 'pointwise': case 'dense': space.push(id); break;
      case 'add': { const a = find(space[n.a]), b = find(space[n.b]); parent[b] = a; space.push(a); break; }
      default: space.push(space[n.input]);
    }
  });
  return space.map(find);
}

export interface WidenResult {
  weights: Weights;
  /** one line per widened channel space: where it is and its widths, for the training log */
  widened: string[];
}

/**
 * Weights for `to` that make it compute what `from` computes with `weights`. `to` must be `from` with
 * some output widths raised (never lowered) and the network's output width (the classes) unchanged.
 */
export function widenWeights(from: Graph, weights: Weights, to: Graph, seed: number): WidenResult {
  if (shapeFreeKey(from) !== shapeFreeKey(to)) {
    throw new Error('--widen: the two networks differ in more than their widths (same --units, --conv, --activation, --dropout and residual setting needed)');
  }
  const fromShapes = inferShapes(from), toShapes = inferShapes(to);
  if (fromShapes[from.output][0] !== toShapes[to.output][0]) throw new Error('--widen: the two networks have a different number of classes; widen first, then fine-tune onto new classes');
  const space = channelSpaces(from);
  const rng = new Rng(seed);
  // per space: new channel j <- old channel map[j]; count[c] = how many new channels copy old channel c
  const maps = new Map<number, { map: Int32Array; count: Int32Array }>();
  const widened: string[] = [];
  for (const s of new Set(space)) {
    const c = fromShapes[s][0], c2 = toShapes[s][0];
    if (c2 < c) throw new Error(`--widen: ${to.nodes[s].name} would go from ${c} to ${c2} channels; widening cannot remove channels`);
    const map = new Int32Array(c2), count = new Int32Array(c);
    for (let j = 0; j < c2; j++) { map[j] = j < c ? j : rng.int(c); count[map[j]]++; }
    maps.set(s, { map, count });
    if (c2 > c) widened.push(`${to.nodes[s].name}: ${c} -> ${c2} channels`);
  }
  const src = weightsToTensors(paramLayout(from), weights);
  const layout = paramLayout(to);
  const out = weightsToTensors(layout, { trainable: new Float32Array(layout.trainableSize), buffers: new Float32Array(layout.bufferSize) });
  for (const p of [...layout.trainable, ...layout.buffers]) {
    const n = to.nodes[p.node], old = src[p.name], dst = out[p.name].data;
    const suffix = p.name.slice(n.name.length + 1);
    const own = maps.get(space[p.node])!;
    if (n.op === 'dense') {
      // a dense layer flattens C x H x W: widening around one would need the spatial layout; none of ours has one
      if (old.data.length !== dst.length) throw new Error(`--widen: ${n.name} is a dense layer next to a widened tensor; only convolutional networks can be widened`);
      dst.set(old.data);
      continue;
    }
    if ((n.op === 'conv2d' || n.op === 'pointwise') && suffix === 'weight') {
      // [K', C', kh, kw] <- old [K, C, kh, kw]: output rows copied, input columns split between copies
      const inMap = maps.get(space[inputsOf(n)[0]])!;
      const [k2, c2] = p.shape, per = p.shape.slice(2).reduce((a, b) => a * b, 1), c = old.shape[1];
      for (let k = 0; k < k2; k++) {
        const ok = own.map[k];
        const share = splitShares(inMap, rng);
        for (let j = 0; j < c2; j++) {
          const oc = inMap.map[j], f = share[j];
          for (let e = 0; e < per; e++) dst[(k * c2 + j) * per + e] = old.data[(ok * c + oc) * per + e] * f;
        }
      }
    } else {
      // per-channel tensors (biases, depthwise filters, BatchNorm's four): channel j copies old channel map[j]
      const per = p.size / p.shape[0];
      for (let j = 0; j < p.shape[0]; j++) dst.set(old.data.subarray(own.map[j] * per, (own.map[j] + 1) * per), j * per);
    }
  }
  return { weights: tensorsToWeights(layout, out), widened };
}

/** Positive shares, one per new channel, summing to 1 over the copies of each old channel. */
function splitShares(m: { map: Int32Array; count: Int32Array }, rng: Rng): Float32Array {
  const share = new Float32Array(m.map.length), sum = new Float64Array(m.count.length);
  for (let j = 0; j < m.map.length; j++) {
    share[j] = m.count[m.map[j]] === 1 ? 1 : rng.uniform(0.5, 1.5);
    sum[m.map[j]] += share[j];
  }
  for (let j = 0; j < m.map.length; j++) share[j] /= sum[m.map[j]];
  return share;
}
