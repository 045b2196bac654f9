// A record that cannot be read (bad address, bad port, a line or object of the wrong shape) is
// skipped with a warning instead of rejecting the file (DESIGN §3). What it said is unknown, so
// the scan proves nothing by absence: withSkippedRecords() turns its end into an incomplete one.
// A file whose every host record is damaged is no scan at all: it is rejected, so that a file
// mangled in transit (tabs become spaces, a wrong encoding) never reads as "all hosts gone".
import type { ScanEndEvent, ScanEvent, ScanWarningEvent } from '../common/types';
import { ScanRejectedError } from '../common/errors';
import type { InputAgent, ParseContext } from './types';
import type { Readable } from 'node:stream';

/** Thrown by a record reader; the agent catches it at the record's boundary and skips the record. */
export class DamagedRecord extends Error {}

/** The warning of one skipped record: where it starts and why it could not be read. */
export function skipped(why: string, position: string | undefined): ScanWarningEvent {
  return { kind: 'warning', message: `damaged record skipped: ${why}`, ...(position ? { position } : {}), skippedRecord: true };
}

/** The warning for an IPv6 zone id (fe80::1%eth0) that the stored address leaves out. */
export function zoneDropped(text: string, ip: string, position: string | undefined): ScanWarningEvent | undefined {
  const zone = /%(.*)$/.exec(text.trim());
  if (!zone || !ip.includes(':')) return undefined;
  const shown = zone[1].slice(0, 40).replace(/[^\x21-\x7e]/g, '?');
  return { kind: 'warning', message: `the zone id '%${shown}' of ${ip} is dropped: addresses are stored without their zone`, ...(position ? { position } : {}) };
}

const REMEDY = 'copy the file again from the scanner (a transfer that changed tabs, line ends or the encoding damages every record), or fix the named record by hand';

/** Host records and damaged ones read so far (a file read in parts carries it from part to part). */
export interface DamageTally {
  hosts: number;
  damaged: number;
  first?: ScanWarningEvent;
}

export function newDamageTally(): DamageTally {
  return { hosts: 0, damaged: 0 };
}

/** Counts one event of the file into the tally. */
export function countDamage(tally: DamageTally, ev: ScanEvent): void {
  if (ev.kind === 'host') tally.hosts++;
  else if (ev.kind === 'warning' && ev.skippedRecord) {
    tally.damaged++;
    tally.first ??= ev;
  }
}

/** The events, with an incomplete end when records were skipped, and a rejection when nothing but damage was found. */
export async function* checkedForDamage(events: AsyncIterable<ScanEvent>, ctx: ParseContext, tally = newDamageTally()): AsyncIterable<ScanEvent> {
  for await (const ev of events) {
    countDamage(tally, ev);
    if (ev.kind === 'end' && tally.damaged > 0) {
      if (tally.hosts === 0) {
        throw new ScanRejectedError(`no readable host record: all ${tally.damaged} host record(s) are damaged, the first ${tally.first!.message.replace(/^damaged record skipped: /, 'because ')}`, {
          file: ctx.source, position: tally.first!.position, remedy: REMEDY,
        });
      }
      yield incomplete(ev, tally.damaged);
      continue;
    }
    yield ev;
  }
}

/** The agent's events, checked for damage (checkedForDamage). */
export function withSkippedRecords(parse: InputAgent['parse']): InputAgent['parse'] {
  return (input: Readable, ctx: ParseContext) => checkedForDamage(parse(input, ctx), ctx);
}

function incomplete(end: ScanEndEvent, damaged: number): ScanEndEvent {
  const why = `${damaged} damaged record(s) skipped: the scan is taken as incomplete, so what it does not list proves nothing`;
  return { ...end, complete: false, reason: end.reason ? `${end.reason}; ${why}` : why };
}
