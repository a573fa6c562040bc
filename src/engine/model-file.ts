/**
 * A model file is a safetensors file: every parameter and running statistic under its PyTorch-style name,
 * plus `__metadata__.ferkit_graph` (the graph JSON) and any string facts the caller adds (labels,
 * calibration temperature, training record). Loading checks that names and shapes match the graph.
 */
import type { Graph } from './graph.js';
import { paramLayout, type ParamLayout } from './params.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor, type StoredDtype } from './safetensors.js';
import type { Weights } from './session.js';

export interface ModelData {
  graph: Graph;
  weights: Weights;
  metadata: Record<string, string>;
  /** how the file stores its values (F16: half the size); a loaded model is saved back the same way */
  storedAs?: StoredDtype;
}

export function weightsToTensors(layout: ParamLayout, w: Weights): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const p of [...layout.trainable, ...layout.buffers]) {
    const src = p.kind === 'buffer' ? w.buffers : w.trainable;
    out[p.name] = { shape: p.shape, data: src.slice(p.offset, p.offset + p.size) };
  }
  return out;
}

export function tensorsToWeights(layout: ParamLayout, t: Record<string, NamedTensor>): Weights {
  const w: Weights = { trainable: new Float32Array(layout.trainableSize), buffers: new Float32Array(layout.bufferSize) };
  for (const p of [...layout.trainable, ...layout.buffers]) {
    const x = t[p.name];
    if (!x) throw new Error(`model file lacks parameter ${p.name}`);
    if (x.shape.join() !== p.shape.join()) throw new Error(`parameter ${p.name} has shape [${x.shape}], the graph needs [${p.shape}]`);
    (p.kind === 'buffer' ? w.buffers : w.trainable).set(x.data, p.offset);
  }
  return w;
}

/** The model as a safetensors file; `dtype: 'F16'` halves it (weights rounded to half precision). */
export function encodeModel(m: ModelData, dtype: StoredDtype = m.storedAs ?? 'F32'): Uint8Array {
  const layout = paramLayout(m.graph);
  return encodeSafetensors(weightsToTensors(layout, m.weights), { ...m.metadata, ferkit_graph: JSON.stringify(m.graph) }, dtype);
}

export function decodeModel(bytes: Uint8Array): ModelData {
  const { tensors, metadata, dtypes } = decodeSafetensors(bytes);
  if (!metadata.ferkit_graph) throw new Error('not a ferkit model file: its metadata has no ferkit_graph');
  const graph = JSON.parse(metadata.ferkit_graph) as Graph;
  const { ferkit_graph: _g, ...rest } = metadata;
  // a BF16 file would be saved back as F32: F16 cannot hold BF16's range
  const storedAs: StoredDtype = dtypes.length === 1 && dtypes[0] === 'F16' ? 'F16' : 'F32';
  return { graph, weights: tensorsToWeights(paramLayout(graph), tensors), metadata: rest, storedAs };
}
