/**
 * Starting weights for fine-tuning (`--init`). The same network and classes: the file's weights as they
 * are. Other classes (a user's own, or CK+ with contempt): every tensor but the classifier head's from
 * the file, and of the head the outputs of the classes the file knows by name; classes it does not know
 * (engaged/bored) keep their fresh initialisation, since nothing maps FER2013's outputs onto them.
 */
import { paramLayout, type Graph, type Weights } from '../engine/index.js';
import { tensorsToWeights, weightsToTensors } from '../engine/model-file.js';
import { widenWeights } from './widen.js';

/** Index of the last node with parameters: the classifier head, whose output width is the class count. */
function headIndex(g: Graph): number {
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const op = g.nodes[i].op;
    if (op === 'conv2d' || op === 'pointwise' || op === 'dense') return i;
  }
  return -1;
}

/** The graph as JSON with the head's output width blanked: equal for two networks that differ only in classes. */
function bodyKey(g: Graph): string {
  const h = headIndex(g);
  return JSON.stringify({ ...g, nodes: g.nodes.map((n, i) => (i === h ? { ...n, out: 0 } : n)) });
}

export interface FineTuneStart {
  weights: Weights;
  /** names of the tensors that kept their fresh initialisation (the head's, when no class carries over) */
  fresh: string[];
  /** classes whose head outputs come from the file (matched by label); the head's other outputs start fresh */
  carried: string[];
  /** with `widen`: the channel spaces that were widened (see widen.ts) */
  widened?: string[];
}

/**
 * Starting weights for training `graph` (classes `labels`) from a model file. Every tensor but the head's
 * comes from the file; the head's outputs are matched by class name, so a class the file knows keeps what
 * it learned (CK+ with contempt as an 8th class keeps the seven FER2013 outputs, a reordered class list
 * is followed) and only new classes start fresh.
 */
export function fineTuneWeights(graph: Graph, freshWeights: Weights, init: { graph: Graph; weights: Weights; labels?: string[] }, initPath: string,
  labels?: string[], widen?: { seed: number }): FineTuneStart {
  const sameLabels = !labels || !init.labels || labels.join('\n') === init.labels.join('\n');
  if (JSON.stringify(init.graph) === JSON.stringify(graph) && sameLabels) return { weights: init.weights, fresh: [], carried: labels ?? init.labels ?? [] };
  if (bodyKey(init.graph) !== bodyKey(graph)) {
    if (widen) {
      // widen to this network with the file's head (its classes), then carry the head over by class name
      const h = headIndex(graph), fileClasses = (init.graph.nodes[headIndex(init.graph)] as { out: number }).out;
      const mid: Graph = { ...graph, nodes: graph.nodes.map((n, i) => (i === h ? { ...n, out: fileClasses } as typeof n : n)) };
      const w = widenWeights(init.graph, init.weights, mid, widen.seed);
      return { ...fineTuneWeights(graph, freshWeights, { ...init, graph: mid, weights: w.weights }, initPath, labels), widened: w.widened };
    }
    throw new Error(`--init ${initPath}: that model's network differs from the one being trained (use the same --model/--widths/--units/--dropout, or leave them out to take the file's; to start a wider network from it, add --widen)`);
  }
  const from = weightsToTensors(paramLayout(init.graph), init.weights);
  const to = weightsToTensors(paramLayout(graph), freshWeights);
  const head = graph.nodes[headIndex(graph)].name + '.';
  // head output k of the new network <- output rows[k] of the file's (-1: fresh)
  const rows = (labels ?? []).map((l) => init.labels?.indexOf(l) ?? -1);
  const carried = (labels ?? []).filter((_, k) => rows[k] >= 0);
  const fresh: string[] = [];
  for (const [name, t] of Object.entries(to)) {
    const src = from[name];
    if (!src) { fresh.push(name); continue; }
    if (!name.startsWith(head)) {
      if (src.shape.join() !== t.shape.join()) throw new Error(`--init ${initPath}: tensor ${name} has shape [${src.shape}] in the file, [${t.shape}] here`);
      to[name] = src;
      continue;
    }
    if (!carried.length) { fresh.push(name); continue; }
    // output channels are the first dimension of every head tensor (weight [K, ...], bias [K])
    const per = t.data.length / t.shape[0], data = Float32Array.from(t.data);
    rows.forEach((j, k) => { if (j >= 0) data.set(src.data.subarray(j * per, (j + 1) * per), k * per); });
    to[name] = { shape: t.shape, data };
  }
  return { weights: tensorsToWeights(paramLayout(graph), to), fresh, carried };
}
