/**
 * Writes a model card (models/<name>.md) and its confusion-matrix picture (models/<name>-confusion.svg)
 * from our own evaluation of the model file on FER2013 PublicTest (plain, flip and ten-crop), plus the facts the
 * trainer stored in the file (configuration, epochs, wall time) and the calibration record.
 *
 *   node dist/bench/model-card.js --name tiny [--run runs/tiny-fer2013] [--data ../shared/datasets/fer2013]
 *
 * A model trained in stages (a run, then a fine-tuning run started from its best checkpoint with --init)
 * takes the run folders in order, comma-separated: --run runs/tiny-v2,runs/tiny-v2-ft. Each stage gets a
 * row with its recipe, epochs and wall time, read from the run folder's config.json and metrics.jsonl.
 * A stage given as `@card` keeps that stage's row from the existing card, for earlier stages whose run
 * folders are gone (run folders are scratch; the card is the record): --run @card,@card,runs/tiny-kd4-aug.
 *
 * The generated part ends with "## Limits". A hand-written "## Status" section (targets, control runs,
 * reproduction) that the existing card carries after it is kept, so regenerating a card does not lose it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { countParams, macsPerImage } from '../src/engine/index.js';
import { writeFileAtomic } from '../src/engine/node/index.js';
import { evaluateLogits, modelLogitsPerTta, modelTemperature, ttaCalibrations } from '../src/eval/evaluate.js';
import type { Tta } from '../src/data/tta.js';
import { renderConfusionSvg } from '../src/eval/report.js';
import { epochWallSeconds, type EpochRecord } from '../src/train/trainer.js';

const { values: a } = parseArgs({ options: { name: { type: 'string' }, run: { type: 'string' }, data: { type: 'string', default: '../shared/datasets/fer2013' }, extra: { type: 'string' } } });
if (!a.name) { console.error('model-card: --name is required'); process.exit(2); }
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const modelPath = join(root, 'models', `${a.name}.safetensors`);
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
/** how well the accuracy is known on this many faces: its 95% Wilson interval */
const span = (r: { accuracyInterval: [number, number] }) => `${(r.accuracyInterval[0] * 100).toFixed(2)}-${pct(r.accuracyInterval[1])}`;
// the model and PublicTest loaded once for the three test-time augmentations the card reports
const perTta = await modelLogitsPerTta({ modelPath, data: { format: 'fer2013', path: resolve(root, a.data!), split: 'publictest' } }, ['none', 'flip', 'tencrop']);
const m = perTta.model;
const evalOf = (tta: Tta) => evaluateLogits(perTta.logits.get(tta)!, perTta.targets, perTta.labels, modelTemperature(m.metadata, tta));
const plain = evalOf('none');
const flip = evalOf('flip');
const ten = evalOf('tencrop');
writeFileAtomic(join(root, 'models', `${a.name}-confusion.svg`), renderConfusionSvg(plain.confusion, plain.labels, { title: `ferkit ${a.name}: FER2013 PublicTest` }));
const cfg = m.metadata.trainConfig ? JSON.parse(m.metadata.trainConfig) : {};
const cal = m.metadata.calibration ? JSON.parse(m.metadata.calibration) : undefined;
/** the temperatures fitted for test-time augmentation (`ferkit calibrate --tta flip,tencrop`), against the single view's */
const ttaCalText = Object.entries(ttaCalibrations(m.metadata)).map(([tta, c]) => ` With \`--tta ${tta}\` its own temperature, ${c!.temperature.toFixed(4)}` +
  (c!.singleViewTemperature ? `: ECE ${c!.singleViewTemperature.ece.toFixed(4)} at the single view's temperature, ${c!.after!.ece.toFixed(4)} at its own.` : '.')).join('');
const cardPath = join(root, 'models', `${a.name}.md`);
const oldCard = existsSync(cardPath) ? readFileSync(cardPath, 'utf8') : '';
const runs = (a.run ?? '').split(',').filter(Boolean);
/** `@card` stage i: its row in the existing card, and the minutes that row states */
const keptRow = (i: number) => {
  const row = oldCard.split('\n').find((l) => l.startsWith(`| stage ${i + 1} `));
  if (!row) { console.error(`model-card: --run stage ${i + 1} is @card, but models/${a.name}.md has no "| stage ${i + 1}" row to keep`); process.exit(2); }
  const minutes = Number(/; ([\d.]+) min \|$/.exec(row)?.[1]);
  if (!Number.isFinite(minutes)) { console.error(`model-card: the kept stage ${i + 1} row does not end with its wall time ("; N min |")`); process.exit(2); }
  return { row, seconds: minutes * 60 };
};
const historyOf = (run: string) => existsSync(join(root, run, 'metrics.jsonl'))
  ? readFileSync(join(root, run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
const kept = runs.map((r, i) => (r === '@card' ? keptRow(i) : undefined));
const histories = runs.map((r) => (r === '@card' ? [] : historyOf(r)));
/** each stage's trainer config (none for a kept stage) */
const configs = runs.map((r) => (r === '@card' ? undefined : JSON.parse(readFileSync(join(root, r, 'config.json'), 'utf8'))));
const history = histories[histories.length - 1] ?? [];
const secondsOf = (h: EpochRecord[]) => h.reduce((s, e) => s + epochWallSeconds(e), 0);
const trainSeconds = histories.reduce((s, h, i) => s + (kept[i]?.seconds ?? secondsOf(h)), 0);
const modelName = (p: string) => p.split('/').pop()!.replace(/\.safetensors$/, '');
/** what the teachers were shown, by `--teacher-views` (nothing for 'clean', the default) */
const VIEWS_WORDS: Record<string, string> = {
  augmented: ', teachers shown every augmented batch',
  'augmented-mirror': ', teachers shown every augmented batch and its mirror image, averaged',
};
/** `--teacher`: which models taught it and how much, as the trainer's config records it */
const distillation = (c: any) => (c.distill ? `; distilled from ${c.distill.teachers.map(modelName).join(' + ')} (weight ${c.distill.weight}, ${c.distill.temperature === 1 ? 'teacher temperature 1' : `temperature ${c.distill.temperature} for teacher and student, that loss scaled by its square`}${VIEWS_WORDS[c.distill.views] ?? ''})` : '');
const recipe = (c: any) => `${c.optimizer?.type ?? '?'} lr ${c.lr} (${c.schedule} schedule), weight decay ${c.optimizer?.weightDecay}, batch ${c.batch}, label smoothing ${c.labelSmoothing}${c.mixup ? `, mixup alpha ${c.mixup}` : ''}${distillation(c)}`;
const augmentation = (c: any) => (c.augment ? Object.entries(c.augment).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ') : 'none');
/** one row per stage of a staged model: recipe, epochs, best epoch, wall time */
const stageRows = runs.length < 2 ? '' : runs.map((_, i) => {
  if (kept[i]) return kept[i].row;
  const c = configs[i];
  const h = histories[i];
  const best = h.reduce((b: any, e: any) => (e.valAcc > (b?.valAcc ?? -1) ? e : b), undefined);
  // a stage trained at other widths (a later stage widened it with --widen) says which
  const widths = JSON.stringify(c.model?.widths) !== JSON.stringify(cfg.model?.widths) ? `widths ${JSON.stringify(c.model?.widths)}; ` : '';
  const from = !i ? '' : c.widen ? ` (from stage ${i}'s best widened to ${JSON.stringify(c.model?.widths)}, \`--init --widen\`)` : ` (from stage ${i}'s best, \`--init\`)`;
  return `| stage ${i + 1}${from} | ${widths}${recipe(c)}; augmentation ${augmentation(c)}; ${h.length} epochs, best PublicTest ${pct(best?.valAcc ?? 0)} at epoch ${best?.epoch ?? '?'}; ${(secondsOf(h) / 60).toFixed(1)} min |`;
}).join('\n') + '\n';
/** the seed, or each stage's where the stages differ (a later stage may reseed its shuffling and augmentation) */
const stageSeeds = configs.map((c) => c?.seed);
/** every stage kept from the old card (`@card`): no run folder records a seed, so the old card's seed row stands */
const keptSeedText = configs.length > 0 && configs.every((c) => !c) ? /^\| seed \| (.*) \|$/m.exec(oldCard)?.[1] : undefined;
const seedText = keptSeedText ?? (stageSeeds.length > 1 && new Set(stageSeeds).size > 1
  ? stageSeeds.map((v, i) => `stage ${i + 1}: ${v ?? 'not recorded (kept from the old card)'}`).join(', ') : String(cfg.seed));
/** where the file's BatchNorm statistics come from: `ferkit bn-stats` after training, or the trainer's --bn-stats clean */
const bnSource = m.metadata.bnStatsSource ? JSON.parse(m.metadata.bnStatsSource) : undefined;
const bnRow = m.metadata.bnStats !== 'clean' ? '' : bnSource
  ? `| BatchNorm statistics | recomputed after the last stage on ${bnSource.images.toLocaleString('en-US')} un-augmented faces of ${bnSource.split ? `the ${bnSource.split} split of ` : ''}${modelName(bnSource.data)} (\`ferkit bn-stats\`: the mean of ${bnSource.batches} batches' statistics), the faces as the model sees them; the stages ran with those of their augmented batches |\n`
  : '| BatchNorm statistics | recomputed at the end of the run on the un-augmented training faces (`--bn-stats clean`), the faces as the model sees them |\n';
const perClass = plain.labels.map((l) => { const c = plain.perClass[l]; return `| ${l} | ${c.precision.toFixed(3)} | ${c.recall.toFixed(3)} | ${c.f1.toFixed(3)} | ${c.support} |`; });
const md = `# ferkit ${a.name}

The network of Tian et al. (2022) as specified by the project's PyTorch reference: depthwise separable
convolutions in pre-activation residual units. File: \`models/${a.name}.safetensors\` (safetensors; graph,
labels, input normalisation and calibration temperature in its metadata). Load it by name:
\`ferkit eval --model ${a.name} ...\`.

| | |
| --- | --- |
| architecture | widths ${JSON.stringify(cfg.model?.widths ?? [16, 32, 64, 128])}, ${cfg.model?.units ?? 1} unit(s) per stage${cfg.model?.dropout ? `, dropout ${cfg.model.dropout}` : ''} |
| parameters | ${countParams(m.graph).toLocaleString('en-US')} |
| MACs per 48x48 image | ${(macsPerImage(m.graph) / 1e6).toFixed(2)} M |
| labels (output order) | ${JSON.parse(m.metadata.labels ?? '[]').join(', ')} |
| input | 48x48 grayscale, (pixel/255 - 0.5) / 0.25 |
| stored as | ${m.storedAs === 'F16' ? 'F16 (half precision; every ferkit command loads it into float32)' : 'F32'}, ${(statSync(modelPath).size / 1024).toFixed(0)} KiB |

## Training

| | |
| --- | --- |
| data | FER2013 Training split (28,709 faces); model selection on FER2013 PublicTest (3,589) |
| protocol | the epoch with the best PublicTest accuracy is kept (so PublicTest is a validation set, not an untouched test set; PrivateTest is not used anywhere) |
${stageRows || `| optimiser | ${recipe(cfg)} |
| augmentation | ${augmentation(cfg)} |
| epochs | ${history.length || '?'} trained, best at epoch ${m.metadata.epoch ?? '?'} |
`}${bnRow}| seed | ${seedText} |
| wall time | ${(trainSeconds / 60).toFixed(1)} min of training (plus validation${runs.length > 1 ? `, all ${runs.length} stages` : ''}), ${cfg.threads || 'all'} threads |
| hardware | ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores, Node ${process.version}, ferkit's WebAssembly engine |
${a.extra ? `| note | ${a.extra} |\n` : ''}
## FER2013 PublicTest (our evaluation, \`ferkit eval --model ${a.name} --data ../shared/datasets/fer2013 --format fer2013 --split publictest\`)

| | single crop | flip TTA (\`--tta flip\`: the face and its mirror) | ten-crop TTA |
| --- | --- | --- | --- |
| accuracy | ${pct(plain.accuracy)} | ${pct(flip.accuracy)} | ${pct(ten.accuracy)} |
| 95% interval (Wilson, ${plain.n.toLocaleString('en-US')} faces) | ${span(plain)} | ${span(flip)} | ${span(ten)} |
| macro-F1 | ${plain.macroF1.toFixed(4)} | ${flip.macroF1.toFixed(4)} | ${ten.macroF1.toFixed(4)} |
| temperature | ${plain.temperature.toFixed(3)} | ${flip.temperature.toFixed(3)} | ${ten.temperature.toFixed(3)} |
| ECE (15 bins) | ${plain.ece.toFixed(4)} | ${flip.ece.toFixed(4)} | ${ten.ece.toFixed(4)} |
| NLL | ${plain.nll.toFixed(4)} | ${flip.nll.toFixed(4)} | ${ten.nll.toFixed(4)} |
${cal ? `\nCalibration: temperature ${cal.temperature.toFixed(4)} fitted on ${cal.n} images of ${cal.split ?? cal.data} (minimum NLL); ECE ${cal.before.ece.toFixed(4)} before, ${cal.after.ece.toFixed(4)} after.${ttaCalText} It was fitted on the same PublicTest split it is reported on, so the after-figures are optimistic.\n` : ''}
| class | precision | recall | F1 | support |
| --- | --- | --- | --- | --- |
${perClass.join('\n')}

![confusion matrix](${a.name}-confusion.svg)

## Limits

FER2013 faces are 48x48 grayscale crops of mostly frontal faces scraped from the web, labelled by one
annotator each; accuracy on other populations, poses, lighting and cameras will be lower. Expression is
not emotion: the model labels facial configurations, not inner states. Do not use it for decisions about
people without a human in the loop.
`;
/** the existing card's hand-written tail, from its "## Status" heading on ('' when there is none) */
const handWritten = (() => {
  const at = oldCard.search(/^## Status$/m);
  return at < 0 ? '' : `\n${oldCard.slice(at).trimEnd()}\n`;
})();
writeFileAtomic(cardPath, md + handWritten);
console.log(JSON.stringify({ name: a.name, accuracy: plain.accuracy, flip: flip.accuracy, tencrop: ten.accuracy, macroF1: plain.macroF1, ece: plain.ece }));
