// Training curves: loss and accuracy per epoch, side by side in one SVG (drawn by eval's chart renderer).
import { renderCurvesSvg } from '../eval/report.js';
import type { EpochRecord } from './trainer.js';

export function renderCurves(h: readonly EpochRecord[]): string {
  const pts = (f: (r: EpochRecord) => number | null) => h.filter((r) => f(r) !== null).map((r) => [r.epoch, f(r)!] as [number, number]);
  const loss = renderCurvesSvg([{ name: 'train loss', points: pts((r) => r.trainLoss) }, { name: 'validation loss', points: pts((r) => r.valLoss) }],
    { xLabel: 'epoch', yLabel: 'loss', title: 'Loss' });
  // with valStatsBatches the validation figure is the shipped statistics'; the run's own beside it shows the gap
  const runStats = pts((r) => r.runStatsValAcc ?? null);
  const acc = renderCurvesSvg([{ name: 'train accuracy', points: pts((r) => r.trainAcc) }, { name: 'validation accuracy', points: pts((r) => r.valAcc) },
    ...(runStats.length ? [{ name: "validation, the run's statistics", points: runStats }] : [])],
    { xLabel: 'epoch', yLabel: 'accuracy', title: 'Accuracy' });
  const size = (svg: string) => {
    const w = Number(/width="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 480), hh = Number(/height="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 320);
    return [w, hh];
  };
  const [w1, h1] = size(loss), [w2, h2] = size(acc);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w1 + w2}" height="${Math.max(h1, h2)}" viewBox="0 0 ${w1 + w2} ${Math.max(h1, h2)}">` +
    `<g>${loss.replace(/<\?xml[^>]*>/, '')}</g><g transform="translate(${w1},0)">${acc.replace(/<\?xml[^>]*>/, '')}</g></svg>\n`;
}
