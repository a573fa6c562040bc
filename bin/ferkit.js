#!/usr/bin/env node
// ferkit command-line entry: the compiled CLI lives in dist/ (built by `npm install`).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code ?? 0; },
  (err) => { console.error(`ferkit: ${err?.message ?? err}`); process.exitCode = 1; },
);
