// The uniform CSV (DESIGN §5): '#key=value' header lines, a column line, one row per port or host.
// Also Dr. Portscan's original header-less 'ip,port,proto[,timestamp]' lines (each an open port).
// '#key=value' lines after the rows are a trailer (the streaming writer puts #finished/#complete there).
import { Readable } from 'node:stream';
import { parse as csvParse } from 'csv-parse';
import type { HostRecord, PortState, Proto, ScanEvent, ScanMetaEvent, ScanWarningEvent } from '../common/types';
import { PROTOS } from '../common/types';
import { ScanRejectedError } from '../common/errors';
import { canonicalIp, parseTargets } from '../common/ip';
import { parsePortScopeHeader } from '../common/ports';
import type { InputAgent, ParseContext } from './types';
import { SCAN_TIME_REMEDY, scanTime } from './scan-time';
import { DamagedRecord, skipped, withSkippedRecords, zoneDropped } from './damaged-records';

import { MAGIC, VERSION } from './portdelta-csv-writer';
const DR_PORTSCAN = /^([^,\s]+),(\d+),(tcp|udp|sctp)(,.*)?$/i;
const PORT_STATES: ReadonlySet<string> = new Set<PortState>(['open', 'closed', 'filtered', 'unfiltered', 'open|filtered', 'closed|filtered']);
const MAX_PREAMBLE = 1024 * 1024;
const MAX_RECORD = 16 * 1024 * 1024;
const REMEDY = 'fix the named line (docs/formats.md describes the uniform CSV)';

function sniff(head: Buffer): boolean {
  const text = head.toString('utf8', 0, Math.min(head.length, 64 * 1024)).replace(/^\uFEFF/, '');
  const first = text.split('\n').map((l) => l.replace(/\r$/, '')).find((l) => l.trim() !== '') ?? '';
  if (first.startsWith(MAGIC)) return true;
  const m = DR_PORTSCAN.exec(first.trim());
  return m !== null && canonicalIp(m[1]) !== null;
}

type Reject = (line: number, message: string, remedy?: string) => never;

/** What '#key=value' lines say; the end event takes complete/finishedAt. */
interface Header {
  meta: ScanMetaEvent;
  complete?: boolean;
  dns?: boolean;
}

function applyHeaderLine(text: string, line: number, h: Header, reject: Reject): ScanWarningEvent | undefined {
  const eq = text.indexOf('=');
  if (eq < 0) return undefined; // a plain comment
  const key = text.slice(1, eq).trim().toLowerCase();
  const value = text.slice(eq + 1).trim();
  const m = h.meta;
  try {
    switch (key) {
      case 'scanner': m.scanner = value; break;
      case 'started': m.startedAt = parseTime(value); break;
      case 'finished': m.finishedAt = parseTime(value); break;
      case 'scope': m.hostScope = parseTargets([value]); break;
      case 'ports': m.portScope = parsePortScopeHeader(value); break;
      case 'tool': m.tool = value; break;
      case 'tool_version': m.toolVersion = value; break;
      case 'args': m.args = value; break;
      case 'timezone': m.timezone = value; break;
      case 'complete': h.complete = parseBool(value); break;
      case 'dns': h.dns = parseBool(value); m.resolvesNames = h.dns; break;
      default: return { kind: 'warning', message: `unknown header '#${key}=' ignored`, position: `line ${line}` };
    }
  } catch (err) {
    reject(line, `bad '#${key}=' value '${value.slice(0, 80)}': ${(err as Error).message}`, timeRemedy(err));
  }
  return undefined;
}

function parseBool(v: string): boolean {
  if (/^(true|yes|1)$/i.test(v)) return true;
  if (/^(false|no|0)$/i.test(v)) return false;
  throw new TypeError('expected true or false');
}

/** ISO-8601 (a time without zone is UTC) or unix seconds; a RangeError for a time no scan can have. */
function parseTime(v: string): Date {
  let ms = NaN;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
  else if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(v)) {
    ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(v) || !/[T ]/.test(v) ? v.replace(' ', 'T') : v.replace(' ', 'T') + 'Z');
  }
  if (Number.isNaN(ms)) throw new TypeError(`'${v}' is not an ISO-8601 time or unix seconds`);
  const t = scanTime(ms, `'${v.slice(0, 40)}'`);
  if (typeof t === 'string') throw new RangeError(t);
  return t;
}

const timeRemedy = (err: unknown): string | undefined => (err instanceof RangeError ? SCAN_TIME_REMEDY : undefined);

async function* parse(input: Readable, ctx: ParseContext): AsyncIterable<ScanEvent> {
  const reject: Reject = (line, message, remedy = REMEDY) => {
    throw new ScanRejectedError(message, { file: ctx.source, position: `line ${line}`, remedy });
  };
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  try {
    const pre = await readPreamble(it, reject);
    const h: Header = { meta: { kind: 'meta' } };
    let magicSeen = false;
    for (const [i, text] of pre.lines.entries()) {
      if (text.trim() === '') continue;
      if (text.startsWith(MAGIC)) {
        const v = /^#portdelta-csv(?:\s+v(\d+)(?:\.\d+)*)?\s*$/.exec(text);
        if (!v) reject(i + 1, `unreadable format line '${text.slice(0, 40)}'`);
        if (v![1] !== undefined && Number(v![1]) !== VERSION) {
          throw new ScanRejectedError(`portdelta-csv version v${v![1]} is not supported (this portdelta reads v${VERSION})`, {
            file: ctx.source, position: `line ${i + 1}`, remedy: 'upgrade portdelta, or write the file as portdelta-csv v1',
          });
        }
        magicSeen = true;
        continue;
      }
      const w = applyHeaderLine(text, i + 1, h, reject);
      if (w) yield w;
    }
    yield* rows(pre, it, h, magicSeen, reject);
  } finally {
    await it.return?.();
  }
}

async function* rows(pre: Preamble, it: AsyncIterator<Buffer | string>, h: Header, magicSeen: boolean, reject: Reject): AsyncIterable<ScanEvent> {
  const offset = pre.lines.length;
  async function* rest(): AsyncIterable<Buffer | string> {
    if (pre.rest.length > 0) yield pre.rest;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  }
  const parser = csvParse({
    bom: true, raw: true, info: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, max_record_size: MAX_RECORD,
    // A quoted field is kept exactly (a name may hold edge blanks, CR/LF, control characters); an unquoted one is trimmed.
    cast: (value: string, ctx: { quoting: boolean }) => (ctx.quoting ? value : value.trim()),
  });
  const src = Readable.from(rest());
  src.on('error', (err) => parser.destroy(err));
  src.pipe(parser);

  let variant: 'uniform' | 'drportscan' | undefined;
  let col: Record<string, number> = {};
  let width = 0;
  let group: { rec: HostRecord; up: boolean; down: boolean } | undefined;
  const trailer: Header = { meta: { kind: 'meta' }, complete: h.complete };
  let minSeen: number | undefined;
  const emitMeta = (): ScanMetaEvent => {
    if (variant === 'drportscan') h.meta.resolvesNames = false;
    else h.meta.resolvesNames = h.dns ?? col.hostname !== undefined;
    return h.meta;
  };
  try {
    for await (const { record: f, raw, info } of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number } }>) {
      const line = offset + info.lines - (raw.replace(/\r?\n$/, '').match(/\n/g)?.length ?? 0);
      if (f[0].startsWith('#')) {
        const w = applyHeaderLine(raw.replace(/\r?\n$/, ''), line, variant ? trailer : h, reject);
        if (w) yield w;
        continue;
      }
      if (variant === undefined) {
        if (canonicalIp(f[0]) === null && f.some((name) => name.trim().toLowerCase() === 'ip')) {
          variant = 'uniform';
          f.forEach((name, i) => (col[name.trim().toLowerCase()] ??= i));
          width = f.length;
          if ((col.proto === undefined) !== (col.port === undefined)) reject(line, "the column line has only one of 'proto' and 'port'");
          yield emitMeta();
          continue;
        }
        if (!magicSeen && f.length >= 3 && f.length <= 4 && /^\d+$/.test(f[1].trim())) {
          variant = 'drportscan';
          col = { ip: 0, port: 1, proto: 2, seen_at: 3 };
          yield emitMeta();
        } else {
          reject(line, magicSeen
            ? "no column line ('ip,proto,port,state,hostname,seen_at') after the '#' header lines"
            : "neither a portdelta-csv file (no '#portdelta-csv' line) nor Dr. Portscan lines 'ip,port,proto[,timestamp]'");
        }
      }
      let row: Row;
      try {
        // Missing trailing columns are empty fields; more columns than named means the row's commas moved.
        if (variant === 'uniform' && f.length > width) throw new DamagedRecord(`a row of ${f.length} columns where the column line names ${width}`);
        if (variant === 'drportscan' && (f.length < 3 || f.length > 4)) throw new DamagedRecord(`a row of ${f.length} column(s) where Dr. Portscan lines have 3 or 4`);
        row = readRow(f, col, line, variant === 'drportscan', reject);
      } catch (err) {
        if (!(err instanceof DamagedRecord)) throw err;
        yield skipped(err.message, `line ${line}`);
        continue;
      }
      const zone = zoneDropped(f[col.ip] ?? '', row.ip, `line ${line}`);
      if (zone) yield zone;
      if (row.seenAt && (minSeen === undefined || row.seenAt.getTime() < minSeen)) minSeen = row.seenAt.getTime();
      if (group && group.rec.ip !== row.ip) {
        yield finish(group);
        group = undefined;
      }
      group ??= { rec: { kind: 'host', ip: row.ip, status: 'up', hostnames: [], ports: [], position: `line ${line}` }, up: false, down: false };
      addRow(group, row);
    }
  } catch (err) {
    const e = err as { code?: string; lines?: number; message: string };
    if (typeof e.code === 'string' && e.code.startsWith('CSV_')) reject(offset + (e.lines ?? 0), `unreadable CSV: ${e.message}`);
    throw err;
  } finally {
    src.destroy();
  }
  if (variant === undefined) {
    // '#' lines only: a scan that found nothing. Nothing at all says nothing: that is no scan result.
    if (!magicSeen) reject(Math.max(offset, 1), "no '#portdelta-csv' line and no rows: the file is empty");
    yield emitMeta();
  }
  if (group) yield finish(group);
  const late = trailer.meta;
  if (variant === 'drportscan' && minSeen !== undefined && !h.meta.startedAt) late.startedAt = new Date(minSeen);
  if (Object.keys(late).length > 1) yield late;
  // Dr. Portscan's lines were always whole scans; a uniform CSV must say so, or a file cut short
  // (or written by hand) would close ports and take hosts down.
  const complete = trailer.complete ?? variant === 'drportscan';
  const finishedAt = late.finishedAt ?? h.meta.finishedAt;
  const reason = complete ? {} : { reason: trailer.complete === false ? '#complete=false' : "no '#complete=true' line: taken as an incomplete scan" };
  yield { kind: 'end', complete, ...(finishedAt ? { finishedAt } : {}), ...reason };
}

interface Row {
  ip: string;
  host: 'up' | 'down' | undefined;
  port?: { proto: Proto; port: number; state: PortState; service?: string; product?: string; version?: string; banner?: string };
  hostname?: string;
  seenAt?: Date;
  mac?: string;
  timedOut?: boolean;
  unknownPorts?: string;
}

/** One row; a row that cannot be read throws DamagedRecord, a time no scan can have rejects the file. */
function readRow(f: string[], col: Record<string, number>, line: number, drPortscan: boolean, reject: Reject): Row {
  // Text a scan reported is taken exactly (see cast above); codes, numbers and times without edge blanks.
  const text = (name: string): string => (col[name] === undefined ? '' : (f[col[name]] ?? ''));
  const get = (name: string): string => text(name).trim();
  const damaged = (why: string): never => {
    throw new DamagedRecord(why);
  };
  const ipText = get('ip');
  const ip = canonicalIp(ipText);
  if (ip === null) return damaged(`'${ipText.slice(0, 60)}' is not an IP address`);
  const row: Row = { ip, host: undefined };
  const protoText = get('proto').toLowerCase();
  const portText = get('port');
  const state = get('state').toLowerCase();
  if (protoText === '' && portText === '') {
    if (drPortscan || !['', 'up', 'down'].includes(state)) damaged(`host row with state '${state.slice(0, 20)}': a row without port says 'up' or 'down'`);
    row.host = state === 'down' ? 'down' : 'up';
  } else {
    if (!(PROTOS as readonly string[]).includes(protoText)) damaged(`unknown protocol '${protoText.slice(0, 20)}' (tcp, udp or sctp)`);
    const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (Number.isNaN(port)) damaged(`port '${portText.slice(0, 20)}' is not a number`);
    if (!(port >= 0 && port <= 65535)) damaged(`port '${portText.slice(0, 20)}' is outside 0-65535`);
    if (state !== '' && !PORT_STATES.has(state)) damaged(`unknown port state '${state.slice(0, 20)}'`);
    row.port = { proto: protoText as Proto, port, state: (state || 'open') as PortState };
    for (const k of ['service', 'product', 'version'] as const) if (text(k)) row.port[k] = text(k);
    if (col.banner !== undefined && f[col.banner]) row.port.banner = f[col.banner];
  }
  if (text('hostname')) row.hostname = text('hostname');
  const seen = get('seen_at');
  if (seen) {
    try {
      row.seenAt = parseTime(seen);
    } catch (err) {
      if (err instanceof RangeError) reject(line, `seen_at: ${err.message}`, SCAN_TIME_REMEDY);
      damaged(`seen_at: ${(err as Error).message}`);
    }
  }
  if (text('mac')) row.mac = text('mac');
  if (get('timed_out')) row.timedOut = /^(true|yes|1)$/i.test(get('timed_out'));
  if (get('unknown_ports')) row.unknownPorts = get('unknown_ports');
  if (row.unknownPorts) {
    try {
      parsePortScopeHeader(row.unknownPorts);
    } catch (err) {
      damaged(`bad unknown_ports '${row.unknownPorts.slice(0, 40)}': ${(err as Error).message}`);
    }
  }
  return row;
}

function addRow(g: { rec: HostRecord; up: boolean; down: boolean }, row: Row): void {
  const rec = g.rec;
  if (row.host === 'up') g.up = true;
  if (row.host === 'down') g.down = true;
  if (row.port) rec.ports.push(row.port);
  if (row.hostname && !rec.hostnames.some((n) => n.name === row.hostname)) rec.hostnames.push({ name: row.hostname, type: 'PTR' });
  if (row.seenAt && (!rec.seenAt || row.seenAt < rec.seenAt)) rec.seenAt = row.seenAt;
  if (row.mac) rec.mac = row.mac;
  if (row.timedOut) rec.timedOut = true;
  if (row.unknownPorts) rec.unknownPorts = parsePortScopeHeader(row.unknownPorts);
}

/** Port rows say the host answered; a 'down' row without an 'up' row says it did not. */
function finish(g: { rec: HostRecord; up: boolean; down: boolean }): HostRecord {
  g.rec.status = g.down && !g.up ? 'down' : 'up';
  return g.rec;
}

interface Preamble {
  lines: string[];
  rest: Buffer;
}

/** The leading '#' and blank lines, read raw (they may hold quotes and commas); the rest goes to csv-parse. */
async function readPreamble(it: AsyncIterator<Buffer | string>, reject: Reject): Promise<Preamble> {
  let buf = Buffer.alloc(0);
  const lines: string[] = [];
  for (let first = true; ; first = false) {
    const n = await it.next();
    if (n.done) {
      if (buf.length > 0 && buf[0] === 0x23) {
        lines.push(buf.toString('utf8').replace(/\r$/, ''));
        buf = Buffer.alloc(0);
      }
      return { lines, rest: buf };
    }
    buf = Buffer.concat([buf, typeof n.value === 'string' ? Buffer.from(n.value) : n.value]);
    if (first && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    let pos = 0;
    for (let nl = buf.indexOf(10); nl >= 0 && (buf[pos] === 0x23 || isBlank(buf, pos, nl)); nl = buf.indexOf(10, pos)) {
      lines.push(buf.toString('utf8', pos, nl).replace(/\r$/, ''));
      pos = nl + 1;
    }
    buf = buf.subarray(pos);
    if (lines.some((l) => l.includes('\0'))) reject(lines.length, 'binary data (NUL bytes): this is not a CSV file');
    if (buf.length > 0 && buf[0] !== 0x23 && !isBlank(buf, 0, buf.indexOf(10) < 0 ? buf.length : buf.indexOf(10))) {
      return { lines, rest: buf };
    }
    if (buf.length > MAX_PREAMBLE) reject(lines.length + 1, `a '#' header line longer than ${MAX_PREAMBLE} bytes`);
  }
}

function isBlank(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0x20 && buf[i] !== 0x09 && buf[i] !== 0x0d) return false;
  return true;
}

export const portdeltaCsv = { name: 'portdelta-csv', aliases: ['csv', 'drportscan'], sniff, parse: withSkippedRecords(parse) } satisfies InputAgent;

// ---- writer ----

export { csvField, formatUniformCsv, scanEventsToUniformCsv } from './portdelta-csv-writer';
