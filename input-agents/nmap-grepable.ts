// nmap grepable output (-oG): one header comment, two TAB-separated lines per host, '# Nmap done' at
// the end. Streams line by line. Field syntax follows nmap's output.cc: '/' inside a field is written
// as '|', port entries are joined by ', ' although version strings may contain ', ' themselves.
import type { Readable } from 'node:stream';
import type { HostRecord, PortFact, PortRange, PortScope, PortState, Proto, ScanEvent, ScanMetaEvent } from '../common/types';
import { PROTOS } from '../common/types';
import { ScanRejectedError } from '../common/errors';
import { canonicalIp } from '../common/ip';
import { countPorts, mergePortRanges, parsePortList } from '../common/ports';
import { nmapResolvesNames } from '../common/nmap-options';
import type { InputAgent, ParseContext } from './types';
import { lineBatches } from './lines';
import { checkZone, parseNmapDate } from '../common/local-time';
import { SCAN_TIME_REMEDY, scanTime } from './scan-time';
import { DamagedRecord, skipped, withSkippedRecords, zoneDropped } from './damaged-records';
export { localTimeToUtc, parseNmapDate } from '../common/local-time';

const HEADER = /^# Nmap (\S+) scan initiated (.+?) as: (.*)$/;
const DONE = /^# Nmap done at (.+?)(?: -- |$)/;
const HOST_FIELD = /^Host: (\S+) \((.*)\)$/;
const STATE_NAMES: readonly PortState[] = ['open', 'closed', 'filtered', 'open|filtered', 'closed|filtered', 'unfiltered'];
const ENTRY_START = /\d+\/[a-z|]+\/[a-z]+\//y;
const MAX_LINE = 64 * 1024 * 1024;
const REMEDY_FORMAT = "give the '.gnmap' file of an 'nmap -oG' (or -oA) run, or use another --format";

function sniff(head: Buffer): boolean {
  const text = head.toString('utf8', 0, Math.min(head.length, 64 * 1024)).replace(/^\uFEFF?\s*/, '');
  const first = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n'));
  if (first.startsWith('# Nmap ') && first.includes(' scan initiated ')) {
    // -oN (normal output) starts with the very same line; it has no 'Host: ' lines.
    return !/^(Nmap scan report for|Starting Nmap|Not shown: |PORT +STATE)/m.test(text);
  }
  return /^Host: [0-9A-Fa-f.:]+(%\S+)? \([^\t\n]*\)(\t| +(Status|Ports): )/m.test(text);
}

async function* parse(input: Readable, ctx: ParseContext): AsyncIterable<ScanEvent> {
  const reader = new GrepableReader(ctx.source, checkZone(ctx.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone));
  for await (const batch of lineBatches(input, ctx.source, { max: MAX_LINE, what: 'this is not nmap grepable output', remedy: REMEDY_FORMAT })) {
    for (const line of batch.lines) {
      reader.line(line, batch.terminated);
      if (reader.pending >= 64) yield* reader.take(); // few records alive at once keeps the GC cheap
    }
    yield* reader.take();
  }
  reader.finish();
  yield* reader.take();
}

/** The state of one file being read; line() and finish() queue events, take() hands them out. */
class GrepableReader {
  private out: ScanEvent[] = [];
  private lineNo = 0;
  private meta: ScanMetaEvent | undefined; // held back until the header block ('# Ports scanned') is over
  private sawHeader = false;
  private sawData = false;
  private done: { finishedAt?: Date } | undefined;
  private host: HostRecord | undefined;
  private portScope: PortScope | undefined;
  private listScanWarned = false;
  private readonly reject: Reject;

  constructor(source: string, private readonly zone: string) {
    this.reject = (lineNo, message, remedy = 'regenerate the file with nmap -oG, or fix the named line') => {
      throw new ScanRejectedError(message, { file: source, position: `line ${lineNo}`, remedy });
    };
  }

  get pending(): number {
    return this.out.length;
  }

  take(): ScanEvent[] {
    const events = this.out;
    this.out = [];
    return events;
  }

  private warn(message: string, lineNo = this.lineNo): void {
    this.out.push({ kind: 'warning', message, position: `line ${lineNo}` });
  }

  line(line: string, terminated: boolean): void {
    const n = ++this.lineNo;
    if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === '')) return;
    if (!this.sawData && line.includes('\0')) this.reject(n, 'binary data (NUL bytes): this is not nmap grepable output', REMEDY_FORMAT);
    if (line.startsWith('#')) return this.comment(line, n);
    if (!this.sawData && /^(Nmap scan report for|Starting Nmap)/.test(line)) {
      this.reject(n, 'this is nmap normal output (-oN), not grepable output', "ingest the '.xml' or '.gnmap' file of the same run");
    }
    if (!this.sawHeader && !this.sawData) {
      if (!line.startsWith('Host: ')) this.reject(n, 'no "# Nmap ... scan initiated" header and no "Host:" line: this is not nmap grepable output', REMEDY_FORMAT);
      this.warn('no "# Nmap ... scan initiated" header: start time and command line are unknown');
    }
    this.flushMeta();
    this.sawData = true;
    // The last line of an interrupted scan may be cut anywhere: keep nothing of it.
    if (!terminated) return this.warn('the last line is cut off (no line end), skipped');
    // A line that is not one nmap writes may be a host line damaged in transit: what it said is unknown.
    if (!line.startsWith('Host: ')) return this.damaged(`not an nmap grepable line: '${line.slice(0, 80)}'`);
    if (this.done) this.warn('host line after "# Nmap done"');
    let rec: HostRecord | 'unknown' | null;
    try {
      rec = parseHostLine(line, n, this.portScope);
    } catch (err) {
      if (err instanceof DamagedRecord) return this.damaged(err.message);
      throw err;
    }
    if (rec === 'unknown') {
      if (!this.listScanWarned) this.warn("'Status: Unknown' (list scan, -sL): such hosts were not scanned and are skipped");
      this.listScanWarned = true;
    } else if (rec === null) {
      this.damaged(`unrecognised host line '${line.slice(0, 80)}'`);
    } else if (this.host && this.host.ip === rec.ip) {
      mergeInto(this.host, rec);
    } else {
      this.flushHost();
      this.host = rec;
      const zone = zoneDropped(line.slice(6, line.indexOf(' ', 6)), rec.ip, `line ${n}`);
      if (zone) this.out.push(zone);
    }
  }

  private damaged(why: string): void {
    this.out.push(skipped(why, `line ${this.lineNo}`));
  }

  /** A time no scan can have rejects the file at its line. */
  private inRange(d: Date | undefined, what: string, n: number): Date | undefined {
    if (!d) return undefined;
    const t = scanTime(d.getTime(), what);
    if (typeof t === 'string') this.reject(n, t, SCAN_TIME_REMEDY);
    return d;
  }

  private comment(line: string, n: number): void {
    const h = HEADER.exec(line);
    if (h) {
      if (this.sawHeader) this.reject(n, 'a second "# Nmap ... scan initiated" line: the file holds more than one nmap run (--append-output)', "split the file at each '# Nmap ... scan initiated' line and ingest the parts one by one");
      this.sawHeader = true;
      this.meta = { kind: 'meta', tool: 'nmap', toolVersion: h[1], args: h[3].trim(), timezone: this.zone, resolvesNames: nmapResolvesNames(h[3]) };
      const startedAt = this.inRange(parseNmapDate(h[2], this.zone), `start time '${h[2]}'`, n);
      if (startedAt) this.meta.startedAt = startedAt;
      else this.warn(`unreadable start time '${h[2]}' in the header`);
    } else if (line.startsWith('# Ports scanned:')) {
      const scope = parsePortsScanned(line);
      if (typeof scope === 'string') return this.warn(scope);
      this.portScope = scope;
      if (this.meta) this.meta.portScope = this.portScope;
      else if (this.sawHeader) this.out.push({ kind: 'meta', portScope: this.portScope });
    } else {
      const d = DONE.exec(line);
      if (!d) return; // other comments are allowed anywhere
      this.flushHost();
      const finishedAt = this.inRange(parseNmapDate(d[1], this.zone), `end time '${d[1]}'`, n);
      if (!finishedAt) this.warn(`unreadable end time '${d[1]}'`);
      this.done = { finishedAt };
    }
  }

  private flushMeta(): void {
    if (this.meta) this.out.push(this.meta);
    this.meta = undefined;
  }

  private flushHost(): void {
    if (this.host) this.out.push(this.host);
    this.host = undefined;
  }

  finish(): void {
    if (!this.sawHeader && !this.sawData) {
      this.reject(Math.max(this.lineNo, 1), 'no "# Nmap ... scan initiated" header: the file is empty or not nmap grepable output', REMEDY_FORMAT);
    }
    this.flushMeta();
    this.flushHost();
    if (this.done) {
      const { finishedAt } = this.done;
      if (finishedAt) this.out.push({ kind: 'meta', finishedAt });
      this.out.push({ kind: 'end', complete: true, ...(finishedAt ? { finishedAt } : {}) });
    } else {
      const reason = 'no "# Nmap done" line: the scan was interrupted; only positive evidence is used';
      this.warn(reason, Math.max(this.lineNo, 1));
      this.out.push({ kind: 'end', complete: false, reason });
    }
  }
}

type Reject = (lineNo: number, message: string, remedy?: string) => never;

const damaged = (why: string): never => {
  throw new DamagedRecord(why);
};

/** nmap's -oG fields in the order it writes them (output.cc); 'Status' stands alone on its line. */
const FIELD_ORDER = ['Status', 'Ports', 'Protocols', 'Ignored State', 'OS', 'Seq Index', 'IP ID Seq'];
const SPACED_FIELD = / +(?=(Status|Ports|Protocols|Ignored State|OS|Seq Index|IP ID Seq):(?: |$))/g;

/**
 * The TAB-separated fields of a host line. A copy that turned the TABs into runs of spaces is read
 * too, when the field names still mark the boundaries unambiguously: each known name once, in
 * nmap's order, and a Ports list that ends where its last entry ends ('/'). Otherwise null.
 */
function hostFields(line: string): string[] | null {
  if (line.includes('\t')) return line.split('\t');
  const cuts = [...line.matchAll(SPACED_FIELD)];
  const fields: string[] = [];
  let from = 0;
  let rank = -1;
  for (const m of cuts) {
    const r = FIELD_ORDER.indexOf(m[1]);
    if (r <= rank) return null;
    rank = r;
    fields.push(line.slice(from, m.index));
    from = m.index! + m[0].length;
  }
  fields.push(line.slice(from).replace(/ +$/, ''));
  const ports = fields.find((f) => f.startsWith('Ports:') || f.startsWith('Protocols:'));
  if (ports !== undefined && !/^\w+:\s*$/.test(ports) && !ports.endsWith('/')) return null;
  return fields;
}

/** One 'Host: ...' line as a record (a host gets a Status line and a Ports line: merged by the caller); a damaged line throws DamagedRecord. */
function parseHostLine(line: string, lineNo: number, scope: PortScope | undefined): HostRecord | 'unknown' | null {
  const fields = hostFields(line);
  if (fields === null) return damaged(`the fields of the host line cannot be told apart (no TABs, and spaces are ambiguous): '${line.slice(0, 80)}'`);
  const h = HOST_FIELD.exec(fields[0]);
  if (!h) return null;
  const ip = canonicalIp(h[1]);
  if (ip === null) return damaged(`'${h[1].slice(0, 60)}' is not an IP address`);
  const rec: HostRecord = { kind: 'host', ip, status: 'up', hostnames: [], ports: [], position: `line ${lineNo}` };
  if (h[2] !== '') rec.hostnames.push({ name: h[2], type: 'PTR' });
  let known = false;
  for (const field of fields.slice(1)) {
    const colon = field.indexOf(': ');
    const name = colon < 0 ? field.replace(/:$/, '') : field.slice(0, colon);
    const value = colon < 0 ? '' : field.slice(colon + 2);
    if (name === 'Status') {
      known = true;
      if (value === 'Down') rec.status = 'down';
      else if (value === 'Timeout') rec.timedOut = true;
      else if (value === 'Unknown') return 'unknown'; // -sL lists targets without scanning them
      else if (value !== 'Up' && !value.startsWith('Smurf')) return null;
    } else if (name === 'Ports') {
      known = true;
      rec.ports = parsePorts(value);
    } else if (name === 'Ignored State') {
      const m = /^(\S+) \((\d+)\)$/.exec(value);
      if (m && m[1] === 'open|filtered') rec.unknownPorts = unlistedPorts(scope, rec.ports);
    }
    // 'Protocols', 'OS', 'Seq Index', 'IP ID Seq' and unknown fields carry nothing we keep.
  }
  return known || fields.length > 1 ? rec : null;
}

/** '22/open/tcp//ssh//OpenSSH 9.2p1 Debian, protocol 2.0/, 80/open/tcp//http///' → port facts. */
function parsePorts(value: string): PortFact[] {
  const out: PortFact[] = [];
  if (value.trim() === '') return out;
  // A new entry starts only where ', ' is followed by 'digits/state/proto/' (version strings hold ', ').
  for (let start = 0; start < value.length; ) {
    let sep = value.indexOf(', ', start);
    while (sep >= 0 && !entryStartsAt(value, sep + 2)) sep = value.indexOf(', ', sep + 2);
    const end = sep < 0 ? value.length : sep;
    out.push(parseEntry(value, start, end));
    start = end + 2;
  }
  return out;
}

function entryStartsAt(s: string, at: number): boolean {
  ENTRY_START.lastIndex = at;
  return ENTRY_START.test(s);
}

/**
 * value[start, end) is 'port/state/proto/owner/service/rpcinfo/version/', '|' standing for '/' in
 * the last four. Indexes instead of split: this runs once per port of a possibly huge file.
 */
function parseEntry(value: string, start: number, end: number): PortFact {
  const s1 = value.indexOf('/', start);
  const s2 = s1 < 0 ? -1 : value.indexOf('/', s1 + 1);
  const s3 = s2 < 0 ? -1 : value.indexOf('/', s2 + 1);
  const s4 = s3 < 0 ? -1 : value.indexOf('/', s3 + 1);
  const s5 = s4 < 0 ? -1 : value.indexOf('/', s4 + 1);
  const s6 = s5 < 0 ? -1 : value.indexOf('/', s5 + 1);
  const entry = (): string => value.slice(start, Math.min(end, start + 80));
  if (s6 < 0 || s6 >= end) damaged(`malformed port entry '${entry()}'`);
  let port = s1 - start >= 1 && s1 - start <= 5 ? 0 : NaN;
  for (let i = start; i < s1; i++) {
    const c = value.charCodeAt(i) - 48;
    port = c >= 0 && c <= 9 ? port * 10 + c : NaN;
  }
  if (!(port <= 65535)) damaged(`port '${value.slice(start, Math.min(s1, start + 20))}' is outside 0-65535`);
  const state = STATE_NAMES.find((n) => n.length === s2 - s1 - 1 && value.startsWith(n, s1 + 1));
  if (!state) damaged(`unknown port state '${value.slice(s1 + 1, Math.min(s2, s1 + 21))}' in '${entry()}'`);
  const proto = PROTOS.find((p) => p.length === s3 - s2 - 1 && value.startsWith(p, s2 + 1));
  if (!proto) damaged(`unknown protocol '${value.slice(s2 + 1, Math.min(s3, s2 + 21))}' in '${entry()}'`);
  const fact: PortFact = { proto: proto!, port, state: state! };
  if (s5 > s4 + 1) fact.service = unbar(value.slice(s4 + 1, s5));
  const vEnd = value.charCodeAt(end - 1) === 47 ? end - 1 : end;
  if (vEnd > s6 + 1) fact.version = unbar(value.slice(s6 + 1, vEnd));
  return fact;
}

const unbar = (s: string): string => (s.includes('|') ? s.replace(/\|/g, '/') : s);

/**
 * Ports summarised as 'Ignored State: open|filtered': no evidence either way. -oG does not say which
 * ports they are, so: every port of the scope not listed; without a scope, of every protocol.
 */
function unlistedPorts(scope: PortScope | undefined, listed: readonly PortFact[]): PortScope {
  const out: PortScope = {};
  for (const proto of PROTOS) {
    if (scope && !scope[proto]) continue;
    const taken = [...new Set(listed.filter((p) => p.proto === proto).map((p) => p.port))].sort((a, b) => a - b);
    const ranges: PortRange[] = [];
    for (const r of scope?.[proto] ?? [{ lo: 0, hi: 65535 }]) {
      let lo = r.lo;
      for (const p of taken) {
        if (p < lo || p > r.hi) continue;
        if (lo < p) ranges.push({ lo, hi: p - 1 });
        lo = p + 1;
      }
      if (lo <= r.hi) ranges.push({ lo, hi: r.hi });
    }
    out[proto] = mergePortRanges(ranges);
  }
  return out;
}

function mergeInto(host: HostRecord, more: HostRecord): void {
  if (more.status === 'up') host.status = 'up';
  if (more.timedOut) host.timedOut = true;
  if (host.hostnames.length === 0) host.hostnames = more.hostnames;
  for (const p of more.ports) host.ports.push(p); // not push(...): a Ports line may list 65536 ports
  if (more.unknownPorts) host.unknownPorts = more.unknownPorts;
}

/**
 * '# Ports scanned: TCP(1000;1,3-4,...) UDP(0;) SCTP(0;) PROTOCOLS(0;)' → scope; count 0 = not scanned.
 * A list that does not add up is a problem message: then the file gives no port scope at all.
 */
function parsePortsScanned(line: string): PortScope | string {
  const scope: PortScope = {};
  const names: Record<string, Proto> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };
  for (const m of line.matchAll(/\b(TCP|UDP|SCTP|PROTOCOLS)\((\d+);([^)]*)\)/g)) {
    const proto = names[m[1]];
    if (!proto || m[2] === '0') continue;
    try {
      scope[proto] = parsePortList(m[3]);
    } catch (err) {
      return `unreadable '# Ports scanned' list for ${m[1]} (${(err as Error).message}): the port scope is unknown`;
    }
    const n = countPorts(scope[proto]);
    if (n !== Number(m[2])) return `'# Ports scanned' says ${m[2]} ${m[1]} ports but lists ${n}: the port scope is unknown`;
  }
  return scope; // {}: no port was scanned (-sn, -sO)
}

/** nmap -n (also bundled as -nv, -vn) switches name resolution off. */

// ---- zone-less local times ('Mon Mar  3 02:00:00 2025', C-locale ctime) read in an IANA zone ----

export const nmapGrepable = { name: 'nmap-grepable', aliases: ['gnmap', 'oG', 'grepable'], sniff, parse: withSkippedRecords(parse) } satisfies InputAgent;
