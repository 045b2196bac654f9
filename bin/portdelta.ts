#!/usr/bin/env node
// The only place that exits (STYLE.md).
import { main } from '../cli/main';
import { processIo } from '../cli/io';

// `portdelta changes | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`portdelta: internal error: ${(err as Error)?.stack ?? err}\n`);
    process.exit(2);
  },
);
