// A full collection now and then in a big ingest: between two steps of the apply, and between two
// batches of staging rows. A walk keeps a page of rows and their state rows while it waits for the
// database, and the parse's parts and batches wait their turn; the young collections that run
// meanwhile move them to the old generation, where they pile up as garbage (and the file's bytes
// as buffers) until V8 next collects it in full: on a /12, 15 MB live grew to 60 MB of heap and
// 20-50 MB of buffers, 20-40 MB of the process's peak. Each collection takes 15-25 ms in the
// command (a /12 first load: 14 of them); a scan that never grows the process by GROWTH pays nothing.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Heap used and buffers owned together, garbage included, above what was live at the last collection here. */
export const GROWTH = 64 << 20;

let gc: (() => void) | null | undefined;
// What was live just after the last collection here: a process that holds more (a long-running
// server, a test runner) is collected only once it grew by GROWTH, not at every call.
let live = 0;

// V8 hands out its collector only to contexts made after the flag is set.
function collector(): (() => void) | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    return typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    return null;
  }
}

// arrayBuffers, not V8's external memory: that figure is not lowered when the buffers are freed.
function used(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Collects in full when heap and buffers grew by more than GROWTH since the last collection here; true when it did. */
export function collectIfLarge(): boolean {
  if (used() < live + GROWTH) return false;
  if (gc === undefined) gc = collector();
  if (!gc) return false;
  gc();
  live = used();
  return true;
}
