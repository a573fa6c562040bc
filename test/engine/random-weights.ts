// Weights that look trained for a given graph: random parameters, BatchNorm running statistics away from
// their (0, 1) start and norm scales away from 1, so that exporters that fold or quantize them are tested
// on values that matter.
import { Session, type Graph, type Weights } from '../../src/engine/index.js';
import { randomFill } from './kernel-harness.js';

export async function trainedLikeWeights(graph: Graph, seed = 4): Promise<Weights> {
  const s = await Session.create({ graph, seed, inferBatches: [1] });
  const w = s.getWeights();
  randomFill(w.buffers, 8, 0.3);
  for (const p of s.layout.buffers) if (p.name.endsWith('running_var')) for (let i = 0; i < p.size; i++) w.buffers[p.offset + i] = 0.5 + Math.abs(w.buffers[p.offset + i]);
  for (const p of s.layout.trainable) if (p.kind === 'norm') randomFill(w.trainable.subarray(p.offset, p.offset + p.size), p.offset + 3, 1);
  await s.close();
  return w;
}
