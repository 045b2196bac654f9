// A file's events as the ingest takes them, from either place the parse runs (parse-ahead.ts): in
// batches (one message each when the parse runs in a worker thread), with the host records the
// scan has no use for left out but counted, so the tally of records read stays right.
import type { Readable } from 'node:stream';
import type { ScanEvent } from '../common/types';
import type { ParseContext } from '../input-agents/types';
import { byName } from '../input-agents/registry';
import { utf8Input, type FileEncoding } from '../input-agents/text-encoding';
import { guardedParse } from './parse-guard';
import { unneededHost } from './down-hosts';

/** What a parse needs, as plain data: it crosses to the worker thread. */
export interface ParseRequest {
  /** The input agent's name (registry.ts). */
  agent: string;
  encoding: FileEncoding;
  ctx: ParseContext;
}

export interface EventBatch {
  /** meta, warning, host and end events in file order. */
  events: ScanEvent[];
  /** Host records read and left out as unneeded (down-hosts.ts). */
  dropped: number;
}

/** Whether down hosts are needed; null until the scan is opened, and until then every record is kept. */
export interface DropSetting {
  keepDownHosts: boolean | null;
}

// About 1 MB of structured clone a message on an nmap scan of a few ports a host; a host with
// thousands of ports closes its batch early.
const MAX_EVENTS = 1000;
const MAX_PORTS = 20000;
// A run of left-out down hosts still reports progress now and then.
const MAX_DROPPED = 20000;

/** The agent's events over the file's bytes: decoded to UTF-8, parsed, guarded (parse-guard.ts). */
/** The context with the reader told when it may pass over what the batches would leave out anyway. */
export function droppingContext(ctx: ParseContext, drop: DropSetting): ParseContext {
  return { ...ctx, dropDownHosts: () => drop.keepDownHosts === false };
}

/** Adds the event to the batch, or counts it as left out (down-hosts.ts); true when added. */
export function addEvent(batch: EventBatch, ev: ScanEvent, drop: DropSetting): boolean {
  if (ev.kind === 'host' && drop.keepDownHosts !== null && unneededHost(ev, drop.keepDownHosts)) {
    batch.dropped++;
    return false;
  }
  batch.events.push(ev);
  return true;
}

export function parsedEvents(req: ParseRequest, input: Readable, readError: () => unknown, drop?: DropSetting): AsyncIterable<ScanEvent> {
  const agent = byName(req.agent);
  if (!agent) throw new Error(`no input agent named '${req.agent}'`); // the caller passed an agent's own name
  const ctx = drop ? droppingContext(req.ctx, drop) : req.ctx;
  return guardedParse(agent, utf8Input(input, req.encoding, req.ctx.source), ctx, readError);
}

export async function* batched(events: AsyncIterable<ScanEvent>, drop: DropSetting): AsyncGenerator<EventBatch> {
  let batch: EventBatch = { events: [], dropped: 0 };
  let ports = 0;
  for await (const ev of events) {
    if (addEvent(batch, ev, drop) && ev.kind === 'host') ports += ev.ports.length;
    if (batch.events.length >= MAX_EVENTS || ports >= MAX_PORTS || batch.dropped >= MAX_DROPPED) {
      yield batch;
      batch = { events: [], dropped: 0 };
      ports = 0;
    }
  }
  if (batch.events.length > 0 || batch.dropped > 0) yield batch;
}

export interface EventSource extends AsyncIterable<EventBatch> {
  /** Known from the file's metadata, before its first host record: whether down hosts that did not time out are wanted at all. */
  keepDownHosts(keep: boolean): void;
  /** The ingest has its store and is opening the scan: the parse keeps to the read-ahead it had while the scan was opened. */
  storeOpen(): void;
  /** The ingest has opened the scan, and takes batches as they come: the parse keeps to its steady read-ahead. */
  scanOpen(): void;
  /** Ends the parse, finished or not (the worker thread with it); safe to call again. */
  close(): Promise<void>;
  /**
   * Resolves once the parse has in hand what it may read before the ingest takes anything, so
   * that the ingest's thread may block (loading the database driver) while worker threads read on.
   */
  primed(): Promise<void>;
}

/** The file's bytes as the ingest reads them (ingest.ts Feed). */
export interface ParseInput {
  input: Readable;
  readError(): unknown;
  /** True when the whole file was read into the feed's buffer before the parse took any of it. */
  small: Promise<boolean>;
}
