// A full collection now and then in a big ingest: between two steps of the apply, and between two
// batches of staging rows. A walk keeps a page of rows and their state rows while it waits for the
// database, and the parse's parts and batches wait their turn; the young collections that run
// meanwhile move them to the old generation, where they pile up as garbage (and the file's bytes
// as buffers) until V8 next collects it in full: on a /12, 15 MB live grew to 60 MB of heap and
// 20-50 MB of buffers, 20-40 MB of the process's peak. Below LARGE, V8 is left alone: a small
// scan pays nothing; above it, each collection takes 15-25 ms (a /12 first load: 15 of them).
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Heap used and buffers owned together, garbage included. */
export const LARGE = 64 << 20;

let gc: (() => void) | null | undefined;

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

/** Collects in full when the heap and the buffers it owns hold more than LARGE; true when it did. */
export function collectIfLarge(): boolean {
  // arrayBuffers, not V8's external memory: that figure is not lowered when the buffers are freed.
  const m = process.memoryUsage();
  if (m.heapUsed + m.arrayBuffers < LARGE) return false;
  if (gc === undefined) gc = collector();
  gc?.();
  return gc !== null;
}
