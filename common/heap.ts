// A full collection between the steps of a big ingest. A step's walk holds a page of rows and
// their state rows while it waits for the database; the young collections that run meanwhile
// move them to the old generation, where they pile up as garbage until V8 next collects it in
// full: on a /12 night, 15 MB live grew to 60 MB of heap, 20-40 MB of the process's peak. A heap
// that holds less than LARGE is left to V8: a small scan pays nothing.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

const LARGE = 32 << 20;

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

/** Collects in full when the heap holds more than LARGE (used, garbage included); true when it did. */
export function collectIfLarge(): boolean {
  if (v8.getHeapStatistics().used_heap_size < LARGE) return false;
  if (gc === undefined) gc = collector();
  gc?.();
  return gc !== null;
}
