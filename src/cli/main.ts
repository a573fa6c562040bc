/**
 * The `ferkit` command. The CLI only composes the library's layers; each subcommand lives in its own
 * module and every one takes --json for scripts.
 */
import { readFileSync } from 'node:fs';
import { trainCommand } from './commands/train.js';
import { evalCommand } from './commands/eval.js';
import { cvTrainCommand } from './commands/cv-train.js';
import { calibrateCommand } from './commands/calibrate.js';
import { bnStatsCommand } from './commands/bn-stats.js';
import { exportCommand } from './commands/export.js';
import { predictCommand } from './commands/predict.js';
import { videoCommand } from './commands/video.js';
import { serveCommand } from './commands/serve.js';
import { infoCommand } from './commands/info.js';

const HELP = `ferkit: facial expression recognition for Node and the browser

Usage: ferkit <command> [options]

Commands:
  serve [--port 8080] [--host 127.0.0.1] [--model M]   HTTP API and web app (what npm start runs)
  predict <images|folders...> [--annotate DIR]     faces, expressions and confidences (table or --json)
  video <file> [--fps N] [--json|--csv] [--annotate out.mp4] [--timeline out.svg|.html|.png]   faces tracked over a video
  train --data PATH [options]                       train or fine-tune a model (ferkit train --help)
  eval --model M --data PATH --format F [options]   accuracy, per-class F1, confusion, calibration; --report out.html
  eval --model M --compare M2 --data PATH --format F   is M better than M2? the faces only one gets right, McNemar's p
  calibrate --model M --data PATH --format F       fit the softmax temperature on validation data, store it in the model
  bn-stats --model M --data PATH --out FILE         recompute BatchNorm statistics on the un-augmented training images
  export --model M --out model.onnx                 write the model as ONNX (for onnxruntime, browsers, other runtimes)
  export --model M --out m.safetensors --dtype f16  the model file in half precision (half the size)
  cv --data PATH --format ckplus --folds 10 --subject-independent [--init tiny]   k-fold cross-validation
  info [--widths 16,32,64,128] [--units 1] [--json]   describe a network (parameters, multiply-adds, layers)
  info --model M [--json]                           describe a model file (network, labels, temperature, precision)
  help                                              this text

Every command accepts --json for machine-readable output.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined: case 'help': case '--help': case '-h':
      process.stdout.write(HELP);
      return 0;
    case '--version': case '-v':
      console.log(version());
      return 0;
    case 'train':
      return trainCommand(rest);
    case 'eval':
      return evalCommand(rest);
    case 'cv':
      return cvTrainCommand(rest);
    case 'calibrate':
      return calibrateCommand(rest);
    case 'bn-stats':
      return bnStatsCommand(rest);
    case 'export':
      return exportCommand(rest);
    case 'predict':
      return predictCommand(rest);
    case 'video':
      return videoCommand(rest);
    case 'serve':
      return serveCommand(rest);
    case 'info':
      return infoCommand(rest);
    default:
      console.error(`ferkit: unknown command '${cmd}'. Run 'ferkit help' for the list.`);
      return 2;
  }
}
