#!/usr/bin/env node
// The only place that exits (STYLE.md).
import v8 from 'node:v8';
import { main } from '../cli/main';

// A big ingest allocates fast; left alone, V8 grows its young generation until the process holds
// ~400 MB for ~50 MB of live data (PostgreSQL, /12 scan). A 4 MB semi-space keeps the peak near
// 215 MB at the same speed (docs/benchmarks.md).
v8.setFlagsFromString('--max-semi-space-size=4');
import { processIo } from '../cli/io';

// `portdelta changes | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`portdelta: internal error: ${(err as Error)?.stack ?? err}\n`);
    process.exit(2);
  },
);
