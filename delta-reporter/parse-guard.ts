// An input agent's events as the ingest takes them. An error an agent throws while PARSING that is
// not one of its own rejections (a TypeError on a value nobody foresaw) is still about this file:
// it becomes a ScanRejectedError, so the inbox moves the file to failed/ with the reason instead of
// retrying it forever as if the database were down. Errors of reading the file (the disk) pass as
// they are. Every time an event carries is checked once more here (scan-time.ts): an agent that
// forgot the check must not hand the database an Invalid Date or a year-5000 scan.
import type { Readable } from 'node:stream';
import type { ScanEvent } from '../common/types';
import { PortdeltaError, ScanRejectedError } from '../common/errors';
import type { InputAgent, ParseContext } from '../input-agents/types';
import { SCAN_TIME_REMEDY, scanTime } from '../input-agents/scan-time';

/** A Node system error (EIO, ENOENT, …): the machine's trouble, not the content's. */
function systemError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException | null;
  return typeof e?.code === 'string' && typeof e.syscall === 'string';
}

function checkTime(d: Date | undefined, what: string, source: string, position?: string): void {
  if (d === undefined) return;
  const t = scanTime(d.getTime(), what);
  if (typeof t === 'string') throw new ScanRejectedError(t, { file: source, position, remedy: SCAN_TIME_REMEDY });
}

/** Throws for a time no scan can have in the event; the same check whatever thread reads the file. */
export function checkTimes(ev: ScanEvent, source: string): void {
  if (ev.kind === 'meta') {
    checkTime(ev.startedAt, 'the start time', source);
    checkTime(ev.finishedAt, 'the end time', source);
  } else if (ev.kind === 'host') {
    checkTime(ev.seenAt, `the time of ${ev.ip}`, source, ev.position);
  } else if (ev.kind === 'end') {
    checkTime(ev.finishedAt, 'the end time', source);
  }
}

/** `readError()` is the error reading the file failed with, if it did: passed on as it is. */
export function guardedParse(agent: InputAgent, input: Readable, ctx: ParseContext, readError: () => unknown): AsyncIterable<ScanEvent> {
  return guarded(agent.name, agent.parse(input, ctx), ctx, readError);
}

/** An agent's events (its parse, or a part's reading on: parse-in-parts.ts), guarded as above. */
export async function* guarded(agentName: string, events: AsyncIterable<ScanEvent>, ctx: ParseContext, readError: () => unknown): AsyncIterable<ScanEvent> {
  try {
    for await (const ev of events) {
      checkTimes(ev, ctx.source);
      yield ev;
    }
  } catch (err) {
    // The agent's own rejections and read errors as they are, anything else as a rejection of this file.
    if (err instanceof PortdeltaError || systemError(err) || (err !== undefined && err === readError())) throw err;
    throw new ScanRejectedError(`the ${agentName} reader failed on this file: ${(err as Error)?.message ?? String(err)}`, {
      file: ctx.source,
      cause: err,
      remedy: `check that the file is ${agentName} output as its scanner writes it (or convert it to the uniform CSV with 'portdelta convert'), and report this message to the portdelta developers`,
    });
  }
}
