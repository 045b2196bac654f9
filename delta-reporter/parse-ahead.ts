// Where a file is parsed while the ingest stages and writes: in a worker thread, on a core of its
// own (parse-in-worker.ts), or, for a file small enough that starting a thread costs more than it
// saves, here. Either way the ingest takes the same batches of the same events (parse-batches.ts).
import type { Readable } from 'node:stream';
import { batched, parsedEvents, type DropSetting, type EventBatch, type ParseRequest } from './parse-batches';
import { WorkerParse } from './parse-in-worker';

/** 'worker': a worker thread; 'in-process': the ingest's own thread. */
export type ParsePlace = 'worker' | 'in-process';

export interface EventSource extends AsyncIterable<EventBatch> {
  /** Known once the scan is opened: whether down hosts that did not time out are wanted at all. */
  keepDownHosts(keep: boolean): void;
  /** Ends the parse, finished or not (the worker thread with it); safe to call again. */
  close(): Promise<void>;
}

/** The file's bytes as the ingest reads them (ingest.ts Feed). */
export interface ParseInput {
  input: Readable;
  readError(): unknown;
  /** True when the whole file was read into the feed's buffer before the parse took any of it. */
  small: Promise<boolean>;
}

export async function parseAhead(req: ParseRequest, feed: ParseInput, place?: ParsePlace): Promise<EventSource> {
  const where = place ?? ((await feed.small) ? 'in-process' : 'worker');
  if (where === 'worker') return new WorkerParse(req, feed.input as AsyncIterable<Buffer>);
  const drop: DropSetting = { keepDownHosts: null };
  const batches = batched(parsedEvents(req, feed.input, feed.readError, drop), drop);
  return {
    [Symbol.asyncIterator]: () => batches,
    keepDownHosts: (keep) => {
      drop.keepDownHosts = keep;
    },
    close: async () => {
      await batches.return(undefined);
    },
  };
}
