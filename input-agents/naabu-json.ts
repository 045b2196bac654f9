// naabu -json: one JSON object per line and port, as naabu's runner/output.go writes it:
// {"host":"www.example.org","ip":"192.0.2.10","timestamp":"2025-…Z","port":443,"protocol":"tcp","tls":true}
// ('host' only when the target was given by name: it is not a PTR name, so names are not read;
// older naabu wrote just ip and port). Every line
// is an open port. naabu records no scope and writes no end marker: complete when the last line is whole.
import type { Readable } from 'node:stream';
import type { HostRecord, ScanEvent } from '../common/types';
import { ScanRejectedError } from '../common/errors';
import { canonicalIp } from '../common/ip';
import { isProto } from '../common/ports';
import type { InputAgent, ParseContext } from './types';
import { firstLine } from './lines';
import { recordTime } from './scan-time';
import { TimeSpan, unmarkedEnd, unmarkedLines, type UnmarkedState } from './unmarked-lines';
import { DamagedRecord, skipped, withSkippedRecords, zoneDropped } from './damaged-records';

const REMEDY = "give the output of 'naabu -json' (one JSON object per line), or name the right format with --format";
const EDITED = 'naabu never writes this line: copy the file again, or fix the line by hand';

function looksLikeNaabu(o: unknown): boolean {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return false;
  const r = o as Record<string, unknown>;
  return typeof r.port === 'number' && (typeof r.ip === 'string' || typeof r.host === 'string') && !('rec_type' in r) && !('ports' in r) && !('proto' in r);
}

function sniff(head: Buffer): boolean {
  const line = firstLine(head).trim();
  if (!line.startsWith('{')) return false;
  try {
    return looksLikeNaabu(JSON.parse(line));
  } catch {
    // a first line longer than the head: judge by its keys
    return /^\{"(host|ip)":"[^"]*"/.test(line) && /"port":\d+/.test(line) && !/"rec_type"|"proto"\s*:/.test(line);
  }
}

async function* parse(input: Readable, ctx: ParseContext): AsyncIterable<ScanEvent> {
  const reject = (line: number, message: string, remedy = EDITED): never => {
    throw new ScanRejectedError(message, { file: ctx.source, position: `line ${line}`, remedy });
  };
  yield { kind: 'meta', tool: 'naabu', resolvesNames: false };
  const span = new TimeSpan();
  const state: UnmarkedState = { lines: 0, cut: false };
  for await (const l of unmarkedLines(input, ctx.source, { max: 1 << 20, what: 'this is not naabu JSON output', remedy: REMEDY }, state)) {
    if ('kind' in l) {
      yield l;
      continue;
    }
    let o: unknown;
    try {
      o = JSON.parse(l.text);
    } catch {
      yield skipped(`unreadable JSON line '${l.text.slice(0, 80)}'`, `line ${l.n}`);
      continue;
    }
    if (!looksLikeNaabu(o)) {
      yield skipped("a line without 'ip' (or 'host') and a numeric 'port'", `line ${l.n}`);
      continue;
    }
    try {
      const rec = record(o as Record<string, unknown>, l.n, reject);
      span.add(rec.seenAt);
      const zone = zoneDropped(String((o as Record<string, unknown>).ip ?? (o as Record<string, unknown>).host), rec.ip, rec.position);
      if (zone) yield zone;
      yield rec;
    } catch (err) {
      if (!(err instanceof DamagedRecord)) throw err;
      yield skipped(err.message, `line ${l.n}`);
    }
  }
  if (state.lines === 0) reject(1, 'the file is empty', REMEDY);
  yield* unmarkedEnd(span, state);
}

function record(o: Record<string, unknown>, n: number, reject: (line: number, message: string, remedy?: string) => never): HostRecord {
  const given = String(o.ip ?? o.host);
  const ip = canonicalIp(given);
  if (ip === null) throw new DamagedRecord(`'${given.slice(0, 60)}' is not an IP address`);
  const port = o.port as number;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new DamagedRecord(`port ${port} is not 0-65535`);
  const proto = typeof o.protocol === 'string' && o.protocol !== '' ? o.protocol.toLowerCase() : 'tcp';
  if (!isProto(proto)) throw new DamagedRecord(`unknown protocol '${proto.slice(0, 20)}'`);
  const rec: HostRecord = { kind: 'host', ip, status: 'up', hostnames: [], ports: [{ proto: proto as 'tcp', port, state: 'open' }], position: `line ${n}` };
  if (typeof o.name === 'string' && o.name !== '') rec.ports[0].service = o.name;
  if (typeof o.product === 'string' && o.product !== '') rec.ports[0].product = o.product;
  if (typeof o.version === 'string' && o.version !== '') rec.ports[0].version = o.version;
  if (typeof o.timestamp === 'string') {
    const seen = recordTime(Date.parse(o.timestamp), o.timestamp, (m, r) => reject(n, m, r));
    if (seen) rec.seenAt = seen;
  }
  return rec;
}

export const naabuJson = { name: 'naabu-json', aliases: ['naabu'], sniff, parse: withSkippedRecords(parse) } satisfies InputAgent;
