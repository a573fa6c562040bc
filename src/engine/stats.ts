// Cost of a network: multiply-accumulates per image (forward), the usual "FLOPs" of papers (1 MAC = 1 FLOP
// in that convention; we report MACs and say so).
import { inferShapes, numel, type Graph } from './graph.js';

export function macsPerImage(g: Graph): number {
  const shapes = inferShapes(g);
  let macs = 0;
  g.nodes.forEach((n, id) => {
    const [K, OH, OW] = shapes[id];
    switch (n.op) {
      case 'conv2d': macs += K * OH * OW * shapes[n.input][0] * n.k * n.k; break;
      case 'dwconv3x3': macs += K * OH * OW * 9; break;
      case 'pointwise': macs += K * OH * OW * shapes[n.input][0]; break;
      case 'dense': macs += K * numel(shapes[n.input]); break;
      default: break;
    }
  });
  return macs;
}
