import { test } from 'node:test';
import { wilsonInterval } from '../../src/eval/interval.js';
import assert from 'node:assert/strict';
import { niceTicks, renderConfusionSvg, renderCurvesSvg, renderReliabilitySvg, renderReportHtml } from '../../src/eval/report.js';
import { evaluateLogits } from '../../src/eval/labels.js';

/** Checks that every non-void element is closed in order (a DOM-less well-formedness check). */
function assertBalanced(markup: string): void {
  const VOID = new Set(['meta', 'br', 'img', 'hr', 'link', 'input']);
  const stack: string[] = [];
  const body = markup.replace(/<!DOCTYPE[^>]*>/i, '').replace(/<style>[\s\S]*?<\/style>/, '');
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)([^>]*?)(\/?)>/g)) {
    const [, close, name, , self] = m;
    if (self || VOID.has(name.toLowerCase())) continue;
    if (close) assert.equal(stack.pop(), name, `unbalanced </${name}>`);
    else stack.push(name);
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.ok(!/<[^>]*</.test(body.replace(/<!--[\s\S]*?-->/g, '')), 'a tag contains <');
}

const labels = ['angry', 'happy', 'sad & <odd>'];
const confusion = [[8, 1, 1], [0, 10, 0], [2, 3, 5]];

test('confusion SVG: well formed, labels escaped, counts and row percentages', () => {
  const svg = renderConfusionSvg(confusion, labels, { normalize: true, title: 'CM' });
  assertBalanced(svg);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  for (const l of ['angry', 'happy', 'sad &amp; &lt;odd&gt;', 'Predicted', 'True']) assert.ok(svg.includes(`>${l}<`), l);
  for (const v of [8, 10, 5, 3]) assert.ok(svg.includes(`>${v}</text>`), `count ${v}`);
  for (const p of ['80.0%', '100.0%', '50.0%', '30.0%']) assert.ok(svg.includes(`>${p}</text>`), p);
  assert.equal((svg.match(/<rect /g) ?? []).length, 9 + 1);
  const plain = renderConfusionSvg(confusion, labels, { normalize: false });
  assert.ok(!plain.includes('%<'));
  assert.throws(() => renderConfusionSvg(confusion, ['a']), /3 labels/);
});

test('curves SVG: one polyline per series, legend names, axis labels, gaps at non-finite points', () => {
  const svg = renderCurvesSvg([
    { name: 'train loss', points: [[1, 1.9], [2, 1.4], [3, 1.1], [4, 0.9]] },
    { name: 'val loss', points: [[1, 2.0], [2, NaN], [3, 1.3], [4, 1.2]] },
  ], { xLabel: 'epoch', yLabel: 'loss', title: 'Loss' });
  assertBalanced(svg);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 3, 'the NaN splits the second series in two');
  for (const s of ['train loss', 'val loss', '>epoch<', '>loss<', '>Loss<']) assert.ok(svg.includes(s), s);
  assert.ok(!/NaN|Infinity/.test(svg));
  assertBalanced(renderCurvesSvg([], { xLabel: 'x', yLabel: 'y' }));
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(1, 10, 5), [0, 2, 4, 6, 8, 10]);
});

test('reliability SVG and the HTML report are self-contained and show the numbers', () => {
  // logits that make the predictions of the confusion matrix above
  const y: number[] = [], z: number[] = [];
  confusion.forEach((row, t) => row.forEach((c, p) => { for (let i = 0; i < c; i++) { y.push(t); z.push(...[0, 1, 2].map((k) => (k === p ? 2 : 0))); } }));
  const r = evaluateLogits(z, y, labels, 1.25);
  assert.equal(r.n, 30);
  assertBalanced(renderReliabilitySvg(r.reliability, { title: 'R' }));
  const html = renderReportHtml(r, { model: 'm.safetensors', data: 'folder /tmp/x', tta: 'none', date: '2025-01-01' });
  assert.match(html, /^<!DOCTYPE html>/);
  assertBalanced(html);
  assert.ok(!/<script|<link|src=|href=|@import/i.test(html), 'no external resources');
  assert.equal((html.match(/<svg /g) ?? []).length, 2);
  for (const s of ['m.safetensors', 'folder /tmp/x', '76.67%', 'sad &amp; &lt;odd&gt;', '1.25', 'Macro-F1', 'ECE', 'Reliability']) assert.ok(html.includes(s), s);
  assert.ok(html.includes(r.macroF1.toFixed(4)));
  // 23 of 30 right: the interval row gives Wilson's bounds
  const [lo, hi] = wilsonInterval(23, 30);
  assert.ok(html.includes(`Accuracy, 95% interval (Wilson)</th><td>${(lo * 100).toFixed(2)}% to ${(hi * 100).toFixed(2)}%`), 'interval row');
});
