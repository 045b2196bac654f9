#!/usr/bin/env node
// The only place that exits (STYLE.md).
import { main } from '../cli/main';
import { processIo } from '../cli/io';

// No V8 flags are set here: a heap size set once the process runs reaches only the threads
// started after it, and those (the parse threads) set their own limits. The main thread's young
// generation is set at start only: NODE_OPTIONS=--max-semi-space-size=8 (docs/operations.md, "Memory").

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
