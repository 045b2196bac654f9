// The threads a big file's reading in parts uses (parse-in-parts.ts), startable before the file is
// known. Kept apart from the parse itself, which loads every input agent: `portdelta ingest` starts
// them before it loads anything else (cli/commands.ts), so this module must stay light.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { parseThread } from './parse-in-worker';

/**
 * One thread per core the ingest's own thread (staging, the database) leaves, up to two. On two
 * cores a second thread only takes time from the ingest's: a first load and a night without
 * change were slower with it, and the process took 20 MB more (docs/benchmarks.md).
 */
export function partThreads(): number {
  return Math.max(1, Math.min(2, availableParallelism() - 1));
}

// Threads started before their file was known; unreferenced, so an unused one holds no process open.
const warm: Worker[] = [];

/**
 * Starts the threads a big file's reading in parts will use, before the file is opened: a thread
 * takes 70-150 ms to start and load its modules, which then overlaps the command's own start
 * (loading its modules and the configuration). coolPartThreads ends those no file took.
 */
export function warmPartThreads(): void {
  while (warm.length < partThreads()) {
    const w = parseThread('parts-worker', null);
    w.unref();
    w.once('exit', () => warm.includes(w) && warm.splice(warm.indexOf(w), 1));
    warm.push(w);
  }
}

/** Ends the threads warmPartThreads started that no file took. */
export async function coolPartThreads(): Promise<void> {
  await Promise.all(warm.splice(0).map((w) => w.terminate()));
}

/** A started thread if one waits, else a new one; referenced: the parse now holds the process. */
export function partThread(): Worker {
  const w = warm.shift() ?? parseThread('parts-worker', null);
  w.ref();
  return w;
}
