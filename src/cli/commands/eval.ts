/**
 * `ferkit eval`: accuracy, macro-F1, calibration and the confusion matrix of a model on a dataset, as a
 * table, one JSON object (--json) and/or a self-contained HTML report (--report).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DATASET_FORMATS, type DatasetFormat } from '../../data/readers/index.js';
import { oneOf, UsageError } from '../flags.js';
import { writeFileAtomic } from '../../engine/node/files.js';
import { evaluateEnsemble, evaluateModel, type DatasetMemo, type EvaluateOptions } from '../../eval/evaluate.js';
import { comparePaired, type PairedComparison } from '../../eval/paired.js';
import { TTAS, type Tta } from '../../data/tta.js';
import { renderReportHtml } from '../../eval/report.js';
import type { EvalResult } from '../../eval/types.js';
import { resolveModelPath } from '../../model/registry.js';

/** Where a command writes; tests pass collectors. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** progress lines only go to a terminal */
  stderrIsTTY: boolean;
}

export function processIo(): CliIo {
  return {
    stdout: (s) => { process.stdout.write(s); },
    stderr: (s) => { process.stderr.write(s); },
    stderrIsTTY: !!process.stderr.isTTY,
  };
}

export const EVAL_USAGE = `Usage: ferkit eval --model <path|name> --data <path> --format <${DATASET_FORMATS.join('|')}> [options]

Options:
  --model <path|name>   model file (.safetensors) or bundled model name; several, comma-separated
                        (--model tiny,base): an ensemble, their calibrated probabilities averaged, each
                        member's accuracy listed too
  --data <path>         dataset folder (the CSV file for fer2013-csv)
  --format <format>     ${DATASET_FORMATS.join(', ')}
  --split <name>        fer2013: split folder (e.g. test); fer2013-csv: Usage (PublicTest, PrivateTest)
  --tta <none|flip|tencrop>  test-time augmentation (default none): flip averages each face and its
                        mirror image (2x the work), tencrop 5 crops and their mirrors (10x)
  --threads <n>         compute threads (default: all cores)
  --cache-dir <dir>     cache the decoded dataset here
  --report <file.html>  write an HTML report (tables, confusion matrix, reliability diagram)
  --compare <path|name> also score this model (or comma-separated ensemble) on the same images and
                        test whether the two differ: the faces only one of them gets right, and the
                        exact McNemar p-value (below 0.05: unlikely to be chance)
  --json                print one JSON object instead of the table
  -h, --help            this text
`;

/**
 * A comma-separated list of models (`--model a,b`, `--init a,b`, `--teacher a,b`): names trimmed; an empty
 * name (`a,,b`, a trailing comma) or a name given twice is refused, since either is a typo more often than
 * a wish (the same model twice would silently double its weight, or train identical members).
 */
export function modelList(value: string, flag: string): string[] {
  const names = value.split(',').map((n) => n.trim());
  if (names.some((n) => !n)) throw new UsageError(`--${flag} '${value}' has an empty name in its list`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new UsageError(`--${flag} lists '${twice}' twice`);
  return names;
}

/** --tta's value (default none), or a UsageError listing the accepted ones. */
export function parseTta(value: string | undefined): Tta {
  return oneOf('tta', value ?? 'none', TTAS);
}

const fmtPct = (v: number) => `${(v * 100).toFixed(2)}%`;

function parseThreads(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--threads must be a positive integer, got '${s}'`);
  return n;
}

/** A terminal progress line on stderr, or nothing. */
export function progressLine(io: CliIo, enabled: boolean): { update: (what: string, done: number, total: number) => void; done: () => void } {
  if (!enabled) return { update: () => undefined, done: () => undefined };
  let last = 0, shown = false;
  return {
    update: (what, done, total) => {
      const now = Date.now();
      if (done < total && now - last < 100) return;
      last = now; shown = true;
      const pct = total ? Math.floor((done / total) * 100) : 100;
      io.stderr(`\r\x1b[2K${what} ${done}/${total} (${pct}%)`);
    },
    done: () => { if (shown) io.stderr('\r\x1b[2K'); shown = false; },
  };
}

/** The readable form of an EvalResult. */
export function formatEvalTable(r: EvalResult): string {
  const lines: string[] = [];
  lines.push(`images     ${r.n}`);
  lines.push(`accuracy   ${fmtPct(r.accuracy)}  (95% interval ${fmtPct(r.accuracyInterval[0])}-${fmtPct(r.accuracyInterval[1])}: how well ${r.n} images pin it down)`);
  lines.push(`macro-F1   ${r.macroF1.toFixed(4)}  (mean over classes present in the data)`);
  lines.push(`ECE        ${r.ece.toFixed(4)}  (15 bins, temperature ${Number(r.temperature.toPrecision(6))})`);
  lines.push(`NLL        ${r.nll.toFixed(4)}`);
  lines.push('');
  const w = Math.max(5, ...r.labels.map((l) => l.length));
  lines.push(`${'class'.padEnd(w)}  precision  recall     F1   support`);
  for (const l of r.labels) {
    const c = r.perClass[l];
    lines.push(`${l.padEnd(w)}  ${c.precision.toFixed(4).padStart(9)}  ${c.recall.toFixed(4).padStart(6)}  ${c.f1.toFixed(4).padStart(6)}  ${String(c.support).padStart(7)}`);
  }
  lines.push('');
  lines.push('confusion (rows: true, columns: predicted)');
  const cw = Math.max(4, ...r.confusion.flat().map((v) => String(v).length)) + 1;
  const head = r.labels.map((l) => l.slice(0, cw - 1).padStart(cw)).join('');
  lines.push(`${''.padEnd(w)} ${head}`);
  r.confusion.forEach((row, i) => lines.push(`${r.labels[i].padEnd(w)} ${row.map((v) => String(v).padStart(cw)).join('')}`));
  return lines.join('\n') + '\n';
}

/** The --compare lines of the table. */
export function formatComparison(c: PairedComparison, model: string, other: string): string {
  const diff = (c.accuracyA - c.accuracyB) * 100, sign = diff >= 0 ? '+' : '';
  const verdict = c.pValue < 0.05 ? 'a difference unlikely to be chance (p < 0.05)' : 'no evidence of a difference (p >= 0.05)';
  return [
    `compared with ${other} (same images and views)`,
    `  accuracy     ${fmtPct(c.accuracyA)} against ${fmtPct(c.accuracyB)} (${sign}${diff.toFixed(2)} points)`,
    `  right only   ${c.onlyA} faces by ${model}, ${c.onlyB} by ${other} (both right ${c.bothRight}, both wrong ${c.bothWrong})`,
    `  McNemar      exact p = ${c.pValue < 1e-4 ? c.pValue.toExponential(1) : c.pValue.toFixed(4)}: ${verdict}`,
  ].join('\n') + '\n';
}

/** Runs one --model or --compare value: one model, or an ensemble of several. */
async function evaluateNames(paths: string[], common: Omit<EvaluateOptions, 'modelPath'>) {
  const ensemble = paths.length > 1 ? await evaluateEnsemble({ ...common, modelPaths: paths }) : undefined;
  const result = ensemble ?? await evaluateModel({ ...common, modelPath: paths[0] });
  const members = ensemble?.members.map((m, i) => ({ model: paths[i], accuracy: m.accuracy, macroF1: m.macroF1 }));
  return { result, members, desc: members ? `ensemble of ${paths.join(', ')}` : paths[0] };
}

/** The keys --json prints, in this order. */
export function evalJson(r: EvalResult): Record<string, unknown> {
  return {
    n: r.n, accuracy: r.accuracy, accuracyInterval: r.accuracyInterval, macroF1: r.macroF1, ece: r.ece, nll: r.nll, temperature: r.temperature,
    perClass: r.perClass, confusion: r.confusion, labels: r.labels,
  };
}

export async function evalCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        model: { type: 'string' }, data: { type: 'string' }, format: { type: 'string' }, split: { type: 'string' },
        tta: { type: 'string' }, threads: { type: 'string' }, 'cache-dir': { type: 'string' }, report: { type: 'string' },
        compare: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    io.stderr(`ferkit eval: ${(e as Error).message.split('\n')[0]}\n\n${EVAL_USAGE}`);
    return 2;
  }
  if (values.help) { io.stdout(EVAL_USAGE); return 0; }

  let threads: number | undefined, format: DatasetFormat, tta: Tta, names: string[], compareNames: string[] | undefined;
  try {
    const missing = (['model', 'data', 'format'] as const).filter((k) => !values[k]);
    if (missing.length) throw new UsageError(`missing ${missing.map((k) => `--${k}`).join(', ')}`);
    names = modelList(values.model!, 'model');
    if (values.compare !== undefined) compareNames = modelList(values.compare, 'compare');
    format = oneOf('format', values.format, DATASET_FORMATS);
    tta = parseTta(values.tta);
    threads = parseThreads(values.threads);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`ferkit eval: ${e.message}\n\n${EVAL_USAGE}`);
    return 2;
  }

  const progress = progressLine(io, io.stderrIsTTY && !values.json);
  try {
    const modelPaths = names.map(resolveModelPath), comparePaths = compareNames?.map(resolveModelPath);
    // by resolved path, so `tiny` against models/tiny.safetensors is caught too
    if (comparePaths && comparePaths.map((p) => resolve(p)).join() === modelPaths.map((p) => resolve(p)).join()) {
      io.stderr(`ferkit eval: --compare names the --model itself (${comparePaths.join(', ')}): give another model to compare with\n\n${EVAL_USAGE}`);
      return 2;
    }
    const common = {
      data: { format, path: values.data!, split: values.split }, tta, threads, cacheDir: values['cache-dir'],
      // --compare's model scores the very images already decoded for --model
      datasets: new Map() as DatasetMemo,
      onLoadProgress: (d: number, t: number) => progress.update('loading', d, t),
      onProgress: (d: number, t: number) => progress.update('predicting', d, t),
      onWarning: (m: string) => { progress.done(); io.stderr(m + '\n'); },
    };
    const { result, members, desc: modelDesc } = await evaluateNames(modelPaths, common);
    const other = comparePaths ? await evaluateNames(comparePaths, common) : undefined;
    const paired = other ? comparePaired(result.correct, other.result.correct) : undefined;
    progress.done();
    if (values.report) {
      const dataDesc = `${format} ${values.data}${values.split ? ` (${values.split})` : ''}`;
      const extra = other && paired ? {
        'Compared with': other.desc, 'Its accuracy (same images)': fmtPct(paired.accuracyB),
        'Faces right only by this model / only by the other': `${paired.onlyA} / ${paired.onlyB}`, 'McNemar exact p': Number(paired.pValue.toPrecision(3)),
      } : undefined;
      writeFileAtomic(values.report, renderReportHtml(result, { model: modelDesc, data: dataDesc, tta, extra }));
    }
    if (values.json) {
      const compare = other && paired ? { compare: {
        model: other.desc, accuracy: other.result.accuracy, macroF1: other.result.macroF1,
        onlyModel: paired.onlyA, onlyCompare: paired.onlyB, bothRight: paired.bothRight, bothWrong: paired.bothWrong, pValue: paired.pValue,
      } } : {};
      io.stdout(JSON.stringify({ ...evalJson(result), ...(members ? { members } : {}), ...compare }) + '\n');
    } else {
      io.stdout(`model ${modelDesc}\ndata  ${format} ${values.data}${values.split ? ` (split ${values.split})` : ''}${tta !== 'none' ? `, ${tta} TTA` : ''}\n\n`);
      io.stdout(formatEvalTable(result));
      if (members) {
        io.stdout('\nmembers alone (same images)\n');
        for (const m of members) io.stdout(`  ${fmtPct(m.accuracy).padStart(7)}  macro-F1 ${m.macroF1.toFixed(4)}  ${m.model}\n`);
      }
      if (other && paired) io.stdout('\n' + formatComparison(paired, 'this model', other.desc));
    }
    if (values.report) io.stderr(`report written to ${values.report}\n`);
    return 0;
  } catch (e) {
    progress.done();
    io.stderr(`ferkit eval: ${(e as Error).message}\n`);
    return 1;
  }
}
