// Where a file is parsed while the ingest stages and writes: in parts by worker threads, where the
// file's agent can read it so (parse-in-parts.ts), else in one worker thread (parse-in-worker.ts),
// or, for a file small enough that starting a thread costs more than it saves, here. Either way the
// ingest takes the same events in the same order (parse-batches.ts).
import { batched, parsedEvents, type DropSetting, type EventSource, type ParseInput, type ParseRequest } from './parse-batches';
import { WorkerParse } from './parse-in-worker';
import { PartsParse, partsOf, type PartsTuning } from './parse-in-parts';

/** 'parts': worker threads on parts of the file, where its agent can (else as 'worker'); 'worker': one worker thread; 'in-process': the ingest's own thread. */
export type ParsePlace = 'worker' | 'parts' | 'in-process';

/** `tuning`: the size of the parts of a file read in parts, and the threads (tests make them small, and two). */
export async function parseAhead(req: ParseRequest, feed: ParseInput, place?: ParsePlace, tuning?: PartsTuning): Promise<EventSource> {
  const where = place ?? ((await feed.small) ? 'in-process' : 'parts');
  const parts = where === 'parts' ? partsOf(req) : undefined;
  if (parts) return new PartsParse(req, feed, parts, tuning);
  if (where !== 'in-process') return new WorkerParse(req, feed.input as AsyncIterable<Buffer>);
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
    // Read here when taken: nothing reads ahead.
    primed: () => Promise.resolve(),
    storeOpen: () => undefined,
    scanOpen: () => undefined,
  };
}
