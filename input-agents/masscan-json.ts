// masscan JSON: -oJ (an array of one-port records) and -oD (NDJSON, one record per line), with
// the spellings of older masscan: 1.0.x wrote records ending in ',' and a '{finished: 1}' record
// (at first without '[', and keys without quotes), 1.0.4–1.0.6 a ',' before the closing ']'.
// Complete: the ']' closes the array, or '{finished: 1}' was written; -oD has no end marker, so a
// -oD file is complete when its last record is whole (deliver it by rename, not by growing it).
import type { Readable } from 'node:stream';
import type { ScanEvent } from '../common/types';
import { ScanRejectedError } from '../common/errors';
import type { InputAgent, ParseContext } from './types';
import { jsonRecords, JsonShapeError, parseLooseObject, type JsonShape } from './json-records';
import { MASSCAN_META, masscanEvents, TimeSpan, type MasscanFields } from './masscan-record';
import { skipped, withSkippedRecords } from './damaged-records';

const REMEDY = "give the file of a 'masscan -oJ' or '-oD' run, or name the right format with --format";
const EDITED = 'masscan never writes this record: copy the file again from the scanner, or fix the record by hand';

function sniff(head: Buffer): boolean {
  const text = head.toString('utf8', 0, Math.min(head.length, 16384)).replace(/^\uFEFF/, '').trimStart();
  if (/^\[\s*\]\s*$/.test(text)) return true; // a -oJ run that found nothing
  if (!/^[[{]/.test(text)) return false;
  const rec = /\{[^{}]*?"?ip"?\s*:\s*"[^"]*"[^\n]*/.exec(text)?.[0] ?? '';
  return /"?ports"?\s*:\s*\[/.test(rec) || /"rec_type"\s*:/.test(rec) || /^\[?\s*\{finished: 1\}/.test(text);
}

/** The port records of one masscan object: -oJ's 'ports' array, or -oD's flat record. */
function fields(o: Record<string, unknown>): MasscanFields[] | string {
  const ip = o.ip as string;
  if (typeof ip !== 'string') return "a record without 'ip'";
  const timestamp = o.timestamp as string | number | undefined;
  if (Array.isArray(o.ports)) {
    return o.ports.map((p: Record<string, unknown>) => {
      const svc = (p?.service ?? {}) as Record<string, unknown>;
      return { ip, timestamp, proto: p?.proto as string, port: p?.port as number, status: p?.status as string | undefined, service: svc.name as string | undefined, banner: svc.banner as string | undefined };
    });
  }
  if (typeof o.rec_type === 'string') {
    const d = (o.data ?? {}) as Record<string, unknown>;
    const banner = o.rec_type === 'banner';
    return [{ ip, timestamp, proto: o.proto as string, port: o.port as number, status: banner ? undefined : (d.status as string), service: banner ? (d.service_name as string) : undefined, banner: banner ? (d.banner as string) : undefined }];
  }
  return "neither 'ports' (-oJ) nor 'rec_type' (-oD)";
}

async function* parse(input: Readable, ctx: ParseContext): AsyncIterable<ScanEvent> {
  const reject = (line: number, message: string, remedy = EDITED): never => {
    throw new ScanRejectedError(message, { file: ctx.source, position: `line ${line}`, remedy });
  };
  const shape: JsonShape = { array: false, closed: false, commas: false, endsWithNewline: false };
  const span = new TimeSpan();
  let finished = false;
  let records = 0;
  yield MASSCAN_META;
  try {
    for await (const batch of jsonRecords(input, shape, 4 << 20)) {
      for (const r of batch) {
        const o = parseLooseObject(r.text);
        if (o !== null && o.finished !== undefined && o.ip === undefined) {
          finished = true;
          continue;
        }
        if (finished) reject(r.line, "a record after '{finished: 1}'");
        const list = o === null ? `unreadable JSON record '${r.text.slice(0, 80)}'` : fields(o);
        if (typeof list === 'string') {
          records++;
          yield skipped(list, `line ${r.line}`);
          continue;
        }
        for (const f of list) {
          for (const ev of masscanEvents(f, `line ${r.line}`, (message, remedy) => reject(r.line, message, remedy))) {
            if (ev.kind === 'host') span.add(ev.seenAt);
            records++;
            yield ev;
          }
        }
      }
    }
  } catch (err) {
    if (err instanceof JsonShapeError) reject(err.line, `not masscan JSON: ${err.message}`, records === 0 ? REMEDY : EDITED);
    throw err;
  }
  if (records === 0 && !shape.array && !finished && shape.cutAt === undefined) reject(1, 'no masscan record in the file', REMEDY);
  const times = span.meta();
  if (times) yield times;
  const reason = incomplete(shape, finished);
  if (shape.cutAt !== undefined) yield { kind: 'warning', message: 'the last record is cut off: it was dropped', position: `line ${shape.cutAt}` };
  if (reason) yield { kind: 'warning', message: reason };
  yield { kind: 'end', complete: reason === undefined, ...(times?.finishedAt ? { finishedAt: times.finishedAt } : {}), ...(reason ? { reason } : {}) };
}

function incomplete(shape: JsonShape, finished: boolean): string | undefined {
  const unproven = 'so what it does not list proves nothing';
  if (shape.cutAt !== undefined) return `the file ends inside a record: masscan did not finish (killed, or the copy is cut short), ${unproven}`;
  if (finished || shape.closed) return undefined;
  if (shape.array) return `no closing ']': masscan did not finish (killed, or the copy is cut short), ${unproven}`;
  if (shape.commas) return `no '{finished: 1}' record: masscan did not finish, ${unproven}`;
  return shape.endsWithNewline ? undefined : `the last line has no newline: the file may be cut short, ${unproven}`;
}

export const masscanJson = { name: 'masscan-json', aliases: ['masscan-ndjson', 'masscan-oJ', 'masscan-oD', 'oJ', 'oD'], sniff, parse: withSkippedRecords(parse) } satisfies InputAgent;
