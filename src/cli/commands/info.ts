/**
 * `ferkit info`: what a network or a model file is: parameters, multiply-adds, layers; for a file also its
 * labels, calibration temperature, how its values are stored and what its training record says.
 */
import { parseArgs } from 'node:util';
import { statSync } from 'node:fs';
import { countParams, macsPerImage, type Graph } from '../../engine/index.js';
import { loadModel } from '../../engine/node/index.js';
import { buildReferenceNet } from '../../model/reference-net.js';
import { resolveModelPath } from '../../model/registry.js';
import { positiveInt } from '../flags.js';
import { ttaCalibrations } from '../../eval/labels.js';

/** Temperatures fitted per test-time augmentation; info shows a file as it is, so unreadable metadata is shown, not thrown. */
function ttaTemperatures(md: Record<string, string>): Record<string, number | string> {
  try {
    return Object.fromEntries(Object.entries(ttaCalibrations(md)).map(([tta, c]) => [tta, c!.temperature]));
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const USAGE = `Usage: ferkit info [--widths 16,32,64,128] [--units 1] [--stem 8] [--json]   a network built from these settings
       ferkit info --model <name|path> [--json]                     a model file (bundled name or .safetensors)
`;

const describeGraph = (g: Graph) => ({ params: countParams(g), macs: macsPerImage(g), layers: g.nodes.length });

export async function infoCommand(argv: string[]): Promise<number> {
  let a;
  let widths: number[] = [];
  let units = 1;
  let stem = 8;
  try {
    a = parseArgs({ args: argv, strict: true, options: { widths: { type: 'string' }, units: { type: 'string' }, stem: { type: 'string' }, model: { type: 'string' },
      json: { type: 'boolean' }, help: { type: 'boolean' } } }).values;
    if (a.help) { process.stdout.write(USAGE); return 0; }
    if (a.model && (a.widths || a.units || a.stem)) throw new Error('--model describes a file; --widths, --units and --stem describe a network to build: give one or the other');
    const list = a.widths;
    widths = (list ?? '16,32,64,128').split(',').map((w) => positiveInt(w, `--widths must be positive integers separated by commas, got '${list}'`));
    units = positiveInt(a.units ?? '1', `--units must be a positive integer, got '${a.units}'`);
    stem = positiveInt(a.stem ?? '8', `--stem must be a positive integer, got '${a.stem}'`);
  } catch (err: any) {
    console.error(`ferkit info: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (!a.model) {
    const info = { widths, units, stem, ...describeGraph(buildReferenceNet({ widths, units, stem })) };
    console.log(a.json ? JSON.stringify(info) : Object.entries(info).map(([k, v]) => `${k}: ${v}`).join('\n'));
    return 0;
  }
  let path: string;
  let m;
  try {
    path = resolveModelPath(a.model);
    m = loadModel(path);
  } catch (err: any) {
    console.error(`ferkit info: ${err.message}`);
    return 1;
  }
  const md = m.metadata;
  const parse = (s: string | undefined) => { try { return s ? JSON.parse(s) : undefined; } catch { return s; } };
  const info = {
    path,
    bytes: statSync(path).size,
    storedAs: m.storedAs ?? 'F32',
    network: parse(md.netConfig) ?? null,
    ...describeGraph(m.graph),
    labels: parse(md.labels) ?? null,
    temperature: md.temperature !== undefined ? Number(md.temperature) : null,
    /** temperatures fitted for test-time augmentations (ferkit calibrate --tta) */
    ttaTemperatures: ttaTemperatures(md),
    trainedEpochs: parse(md.trainConfig)?.epochs ?? null,
    bestEpoch: md.epoch !== undefined ? Number(md.epoch) : null,
    valAccuracy: md.valAcc !== undefined ? Number(md.valAcc) : null,
    /** which images its BatchNorm statistics are of: 'clean' (un-augmented training images) or 'augmented' (null: not recorded) */
    bnStats: md.bnStats ?? null,
  };
  if (a.json) { console.log(JSON.stringify(info)); return 0; }
  const rows: [string, unknown][] = [
    ['file', `${path} (${(info.bytes / 1024).toFixed(0)} KiB, values stored as ${info.storedAs})`],
    ['network', info.network ? JSON.stringify(info.network) : '(not recorded)'],
    ['parameters', info.params.toLocaleString('en-US')],
    ['MACs per face', `${(info.macs / 1e6).toFixed(2)} M`],
    ['layers', info.layers],
    ['labels', Array.isArray(info.labels) ? info.labels.join(', ') : '(not recorded)'],
    ['temperature', `${info.temperature ?? '1 (not calibrated)'}${Object.entries(info.ttaTemperatures).map(([tta, t]) => `; --tta ${tta} ${t}`).join('')}`],
    ['BatchNorm stats', info.bnStats === 'clean' ? 'of the un-augmented training images' : info.bnStats === 'augmented' ? 'of the augmented training batches' : '(not recorded)'],
    ['training', info.bestEpoch !== null ? `epoch ${info.bestEpoch}${info.trainedEpochs ? ` of ${info.trainedEpochs}` : ''}, validation accuracy ${info.valAccuracy !== null ? (info.valAccuracy * 100).toFixed(2) + '%' : '?'}` : '(not recorded)'],
  ];
  console.log(rows.map(([k, v]) => `${k.padEnd(17)}${v}`).join('\n'));
  return 0;
}
