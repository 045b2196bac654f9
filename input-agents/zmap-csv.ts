// zmap CSV output (-o FILE, output module csv): a header line naming the fields (-f/--output-fields,
// default 'saddr'; older zmap wrote no header for a single field and ', ' between names), then one
// row per response that passed the output filter (default: success = 1 && repeat = 0).
// zmap scans one port per run and records neither targets nor port: without 'sport' the port comes
// from --ports or the scanner's config (one port), else only hosts are learnt. No end marker:
// complete when the last line is whole.
import type { Readable } from 'node:stream';
import type { HostRecord, PortScope, Proto, ScanEvent } from '../common/types';
import { ScanRejectedError } from '../common/errors';
import { canonicalIp } from '../common/ip';
import type { InputAgent, ParseContext } from './types';
import { firstLine } from './lines';
import { recordTime } from './scan-time';
import { TimeSpan, unmarkedEnd, unmarkedLines, type UnmarkedState } from './unmarked-lines';
import { DamagedRecord, skipped, withSkippedRecords, zoneDropped } from './damaged-records';

const REMEDY = "give the CSV file of a zmap run ('zmap … -o FILE', best with -f saddr,sport,classification,success,repeat,timestamp-str), or name the right format with --format";
const EDITED = 'zmap never writes this row: copy the file again, or fix the row by hand';
const FIELD = /^[a-z][a-z0-9_-]*$/;

const splitRow = (line: string): string[] => {
  const out: string[] = [];
  for (const m of line.matchAll(/\s*("(?:[^"]|"")*"|[^,]*)\s*(,|$)/g)) {
    out.push(m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1]);
    if (m[2] === '') break;
  }
  return out;
};

function headerFields(line: string): string[] | null {
  const f = line.split(',').map((s) => s.trim().toLowerCase().replace(/_/g, '-'));
  return f.includes('saddr') && f.every((n) => FIELD.test(n)) ? f : null;
}

function sniff(head: Buffer): boolean {
  const line = firstLine(head).trim();
  return headerFields(line) !== null || (canonicalIp(line) !== null && !line.includes(','));
}

/** The one port and protocol the operator says the scan covered, if it is exactly one. */
function singlePort(scope: PortScope | undefined): { proto: Proto; port: number } | undefined {
  const entries = Object.entries(scope ?? {}).filter(([, r]) => r && r.length > 0) as Array<[Proto, { lo: number; hi: number }[]]>;
  if (entries.length !== 1 || entries[0][1].length !== 1 || entries[0][1][0].lo !== entries[0][1][0].hi) return undefined;
  return { proto: entries[0][0], port: entries[0][1][0].lo };
}

async function* parse(input: Readable, ctx: ParseContext): AsyncIterable<ScanEvent> {
  const reject = (line: number, message: string, remedy = EDITED): never => {
    throw new ScanRejectedError(message, { file: ctx.source, position: `line ${line}`, remedy });
  };
  yield { kind: 'meta', tool: 'zmap', resolvesNames: false };
  const given = singlePort(ctx.portScope);
  const span = new TimeSpan();
  const state: UnmarkedState = { lines: 0, cut: false };
  let col: Record<string, number> | undefined;
  let width = 1;
  for await (const l of unmarkedLines(input, ctx.source, { max: 1 << 20, what: 'this is not zmap CSV output', remedy: REMEDY }, state)) {
    if ('kind' in l) {
      yield l;
      continue;
    }
    if (col === undefined) {
      const names = headerFields(l.text);
      col = Object.fromEntries((names ?? ['saddr']).map((name, i) => [name, i]));
      width = names?.length ?? 1;
      if (col.sport === undefined && !given) {
        yield { kind: 'warning', message: "no 'sport' field and no single port given (--ports or the scanner's ports): only hosts are taken from this file" };
      }
      if (names) continue;
    }
    const f = splitRow(l.text);
    try {
      // zmap writes every field of the header in every row: a row of another width is damaged.
      if (f.length !== width) throw new DamagedRecord(`a row of ${f.length} field(s) where the header names ${width}`);
      const rec = row(f, col, l.n, given, reject);
      if (!rec) continue;
      span.add(rec.seenAt);
      const zone = zoneDropped(f[col.saddr] ?? '', rec.ip, rec.position);
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

function row(f: string[], col: Record<string, number>, n: number, given: { proto: Proto; port: number } | undefined, reject: (line: number, m: string, remedy?: string) => never): HostRecord | undefined {
  const get = (name: string): string | undefined => (col[name] === undefined ? undefined : f[col[name]]?.trim());
  if (get('repeat') === '1') return undefined; // the same host answering again
  const ip = canonicalIp(get('saddr') ?? '');
  if (ip === null) throw new DamagedRecord(`'${(get('saddr') ?? '').slice(0, 60)}' is not an IP address`);
  const rec: HostRecord = { kind: 'host', ip, status: 'up', hostnames: [], ports: [], position: `line ${n}` };
  const cls = get('classification');
  const sport = get('sport');
  const port = sport !== undefined && sport !== '' ? Number(sport) : given?.port;
  if (port !== undefined) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new DamagedRecord(`port '${String(sport).slice(0, 20)}' is not 0-65535`);
    const proto: Proto = cls === 'udp' ? 'udp' : cls === 'synack' || cls === 'rst' ? 'tcp' : (given?.proto ?? 'tcp');
    // A TCP reset is a closed port on a live host; other unsuccessful answers (ICMP errors) say nothing about the port.
    if (cls === 'rst') rec.ports.push({ proto, port, state: 'closed' });
    else if (get('success') !== '0') rec.ports.push({ proto, port, state: 'open' });
  }
  const ts = get('timestamp-str') ?? get('timestamp-ts');
  if (ts) {
    const t = /^\d+$/.test(ts) ? Number(ts) * 1000 : Date.parse(ts.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    const seen = recordTime(t, ts, (m, r) => reject(n, m, r));
    if (seen) rec.seenAt = seen;
  }
  return rec;
}

export const zmapCsv = { name: 'zmap-csv', aliases: ['zmap'], sniff, parse: withSkippedRecords(parse) } satisfies InputAgent;
