/**
 * Starting weights for fine-tuning (`--init`). The same network: the file's weights as they are. The same
 * network with another number of classes (a user's own classes on top of the FER2013 model): every
 * tensor but the classifier head's, which keeps its fresh initialisation, since there is no meaningful
 * mapping from FER2013's seven outputs onto classes such as engaged/bored.
 */
import { paramLayout, type Graph, type Weights } from '../engine/index.js';
import { tensorsToWeights, weightsToTensors } from '../engine/model-file.js';

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
  /** names of the tensors that kept their fresh initialisation (the head's, when the classes differ) */
  fresh: string[];
}

export function fineTuneWeights(graph: Graph, freshWeights: Weights, init: { graph: Graph; weights: Weights }, initPath: string): FineTuneStart {
  if (JSON.stringify(init.graph) === JSON.stringify(graph)) return { weights: init.weights, fresh: [] };
  if (bodyKey(init.graph) !== bodyKey(graph)) {
    throw new Error(`--init ${initPath}: that model's network differs from the one being trained (use the same --model/--widths/--units/--dropout, or leave them out to take the file's)`);
  }
  const from = weightsToTensors(paramLayout(init.graph), init.weights);
  const to = weightsToTensors(paramLayout(graph), freshWeights);
  const fresh: string[] = [];
  for (const [name, t] of Object.entries(to)) {
    const src = from[name];
    if (src && src.shape.join() === t.shape.join()) to[name] = src;
    else fresh.push(name);
  }
  return { weights: tensorsToWeights(paramLayout(graph), to), fresh };
}
