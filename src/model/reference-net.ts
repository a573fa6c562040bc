/**
 * The paper's network (Tian et al. 2022) as specified in the project's PyTorch reference: a stem, stages
 * of pre-activation residual units built from depthwise separable convolutions, and a convolutional head
 * with global average pooling. Widths and units per stage are parameters; the variants switch off one
 * idea at a time for the ablation (standard convolutions, post-activation units, no shortcuts).
 */
import { GraphBuilder, type Graph } from '../engine/graph.js';

export interface NetConfig {
  widths: number[];
  /** units per stage: one downsampling unit, then units-1 identity units */
  units: number;
  classes: number;
  /** input image side (square, one channel) */
  inputSize: number;
  /** stem width (8 in the reference) */
  stem: number;
  /** 'sepconv' (the paper): depthwise 3x3 + pointwise 1x1; 'conv': a standard 3x3 convolution */
  conv: 'sepconv' | 'conv';
  /** 'pre' (the paper): BN-ReLU before each convolution; 'post': conv-BN-ReLU */
  activation: 'pre' | 'post';
  /** residual shortcuts on (the paper) or off */
  residual: boolean;
  /** dropout before the head (0 = none, as in the reference) */
  dropout: number;
}

export const TINY: Readonly<NetConfig> = {
  widths: [16, 32, 64, 128], units: 1, classes: 7, inputSize: 48, stem: 8,
  conv: 'sepconv', activation: 'pre', residual: true, dropout: 0,
};

export function netConfig(o: Partial<NetConfig> = {}): NetConfig {
  const c = { ...TINY, ...o, widths: [...(o.widths ?? TINY.widths)] };
  if (!c.widths.length || c.widths.some((w) => !(Number.isInteger(w) && w > 0))) throw new Error(`widths must be positive integers, got ${c.widths}`);
  if (!(Number.isInteger(c.units) && c.units >= 1)) throw new Error(`units must be an integer >= 1, got ${c.units}`);
  return c;
}

/** Builds the graph. Node names match the PyTorch reference's parameter names where the structure does. */
export function buildReferenceNet(cfg: Partial<NetConfig> = {}): Graph {
  const c = netConfig(cfg);
  const b = new GraphBuilder([1, c.inputSize, c.inputSize]);
  const conv3 = (x: number, cout: number, name: string) =>
    c.conv === 'sepconv' ? b.pointwise(b.dwconv3x3(x, `${name}.0`), cout, `${name}.1`) : b.conv2d(x, { out: cout, k: 3, pad: 1 }, name);

  let h = b.conv2d(b.inputId, { out: c.stem, k: 3, pad: 1 }, 'stem.0');
  h = b.batchnorm(h, 'stem.1', { relu: true });
  h = b.conv2d(h, { out: c.stem, k: 3, pad: 1 }, 'stem.3');
  let cin = c.stem;
  let idx = 0;
  for (const w of c.widths) {
    for (let u = 0; u < c.units; u++, idx++) {
      const name = `body.${idx}`;
      const down = u === 0;
      const cout = w;
      if (c.activation === 'pre') {
        // pre-activation: a = ReLU(BN(x)); y = conv(ReLU(BN(conv(a))))
        const a = b.batchnorm(h, `${name}.bn1`, { relu: true });
        let y = conv3(a, cout, `${name}.c1`);
        y = b.batchnorm(y, `${name}.bn2`, { relu: true });
        y = conv3(y, cout, `${name}.c2`);
        if (down) {
          y = b.maxpool(y, `${name}.pool`);
          h = c.residual ? b.add(y, b.conv2d(a, { out: cout, k: 1, stride: 2 }, `${name}.proj`), `${name}.add`) : y;
        } else {
          h = c.residual ? b.add(h, y, `${name}.add`) : y;
        }
      } else {
        // post-activation (original ResNet order): y = BN(conv(ReLU(BN(conv(x))))); out = ReLU(y + shortcut)
        let y = conv3(h, cout, `${name}.c1`);
        y = b.batchnorm(y, `${name}.bn1`, { relu: true });
        y = conv3(y, cout, `${name}.c2`);
        y = b.batchnorm(y, `${name}.bn2`);
        if (down) {
          y = b.maxpool(y, `${name}.pool`);
          const s = c.residual ? b.add(y, b.conv2d(h, { out: cout, k: 1, stride: 2 }, `${name}.proj`), `${name}.add`) : y;
          h = b.relu(s, `${name}.relu`);
        } else {
          h = b.relu(c.residual ? b.add(h, y, `${name}.add`) : y, `${name}.relu`);
        }
      }
      cin = cout;
    }
  }
  void cin;
  if (c.activation === 'pre') h = b.batchnorm(h, 'bn', { relu: true });
  if (c.dropout > 0) h = b.dropout(h, c.dropout, 'dropout');
  h = b.conv2d(h, { out: c.classes, k: 3, pad: 1, bias: true }, 'head');
  h = b.gap(h, 'pool');
  return b.build();
}
