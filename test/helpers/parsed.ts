// A file's events as the ingest takes them from parseAhead, wherever the parse runs: for the tests
// that compare the places (in process, one worker thread, in parts) with each other.
import { Readable } from 'node:stream';
import type { ScanEvent } from '../../common/types';
import { parseAhead, type ParsePlace } from '../../delta-reporter/parse-ahead';
import type { ParseRequest } from '../../delta-reporter/parse-batches';
import { PartsParse, type PartsTuning } from '../../delta-reporter/parse-in-parts';

export interface Outcome {
  events: ScanEvent[];
  dropped: number;
  error?: unknown;
  /** Of a parse in parts. */
  flow?: PartsParse['flow'];
}

/** The bytes in odd-sized pieces, so characters and tags are cut between chunks. */
export function* pieces(buf: Buffer, size = 7919): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield Buffer.from(buf.subarray(i, i + size));
}

export interface ParsedHow {
  tuning?: PartsTuning;
  /** Said before the first batch is taken (the ingest says it once the scan is open). */
  keepDown?: boolean;
}

/** Every batch taken; the error, if the parse failed, kept with what came before it. */
export async function parsed(req: ParseRequest, input: Iterable<Buffer> | AsyncIterable<Buffer>, place: ParsePlace, how: ParsedHow = {}): Promise<Outcome> {
  const out: Outcome = { events: [], dropped: 0 };
  const src = await parseAhead(req, { input: Readable.from(input), readError: () => undefined, small: Promise.resolve(false) }, place, how.tuning);
  if (how.keepDown !== undefined) src.keepDownHosts(how.keepDown);
  try {
    for await (const b of src) {
      out.events.push(...b.events);
      out.dropped += b.dropped;
    }
  } catch (err) {
    out.error = err;
  } finally {
    await src.close();
  }
  if (src instanceof PartsParse) out.flow = src.flow;
  return out;
}
