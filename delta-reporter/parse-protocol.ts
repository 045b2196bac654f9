// The messages between the ingest (main thread) and its parse worker (parse-worker.ts), and the
// one waiting primitive both sides use for their flow control.
import type { ParseRequest } from './parse-batches';
import type { WireError } from './wire-error';
import type { WireBatch } from './event-wire';

export interface WorkerInput {
  req: ParseRequest;
  /** Batches the worker may have posted and main not yet taken. */
  batchesAhead: number;
  /**
   * The same until main says the scan is open (scan-open): main is then loading the database
   * driver, opening the store and the scan and reading the scanner's hosts
   * (delta-reporter/seen-hosts.ts), and the parse goes on meanwhile instead of waiting for it.
   */
  batchesAheadEarly: number;
}

export type ToWorker =
  | { t: 'chunk'; bytes: Uint8Array }
  | { t: 'end' }
  /** Main took a batch: the worker may post one more. */
  | { t: 'taken' }
  | { t: 'keep-down'; keep: boolean }
  | { t: 'scan-open' };

export type FromWorker =
  /** The parser took a chunk: main may send that many bytes more. */
  | { t: 'consumed'; bytes: number }
  | { t: 'batch'; batch: WireBatch }
  | { t: 'error'; error: WireError }
  | { t: 'done' };

export type ToPartsWorker =
  /** The first message: the thread may have been started before its file was known (warmPartThreads). */
  | { t: 'start'; req: ParseRequest }
  | { t: 'part'; index: number; bytes: Uint8Array; line: number }
  | { t: 'keep-down'; keep: boolean };

export interface FromPartsWorker {
  t: 'part';
  index: number;
  batch: WireBatch;
  /** What the part leaves for the parts after it (PartedReading), or null: read the file on from this part. */
  tail: unknown;
}

/** Wakes whoever waits on it; a wait always re-checks its condition after waking. */
export class Gate {
  private waiting: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  open(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }
}
