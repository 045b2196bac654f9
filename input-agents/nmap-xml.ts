// nmap and masscan XML (-oX) as ScanEvents. Streamed through a small tokenizer (xml-tokenizer.ts)
// so memory stays flat whatever the file size, and hardened: no DTD is ever read and no entity
// beyond XML's five is ever expanded.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { type Attrs, XmlSyntaxError, XmlTokenizer } from './xml-tokenizer';
import { type ErrorCode, ScanRejectedError } from '../common/errors';
import { canonicalIp } from '../common/ip';
import { isProto, mergePortRanges, parsePortList } from '../common/ports';
import type { HostRecord, PortFact, PortRange, PortState, ScanEvent, ScanMetaEvent } from '../common/types';
import { nmapResolvesNames } from '../common/nmap-options';
import { type InputAgent, type ParseContext, type PartedReading, UNREAD_DOWN_HOST } from './types';
import { SCAN_TIME_REMEDY, scanTime } from './scan-time';
import { skipped, withSkippedRecords, zoneDropped } from './damaged-records';
import { SslCertReader } from './nmap-ssl-cert';

/** The elements whose attributes this reader uses; the tokenizer skips the attributes of all others. */
const WANTED: ReadonlySet<string> = new Set(['nmaprun', 'scaninfo', 'host', 'status', 'address', 'hostname', 'port', 'state', 'service', 'extraports', 'extrareasons', 'finished', 'script', 'table', 'elem']);

// A down host exactly as nmap -v writes it, address and all; anything else is read in full.
const DOWN_HOST = /<host><status state="down" reason="[-a-z]{0,40}" reason_ttl="[0-9]{1,3}"\/>\n?<address addr="([0-9a-f.:]{2,45})" addrtype="ipv[46]"\/>\n?<\/host>/y;

const STATES = new Set<string>(['open', 'closed', 'filtered', 'unfiltered', 'open|filtered', 'closed|filtered']);
// nmap writes well under 1 KiB (plus the command line) before <nmaprun>; a long prolog is not a
// scan, and capping it also caps what is buffered of a hostile prolog.
const PROLOG_LIMIT = 1 << 20;
const NOT_NMAP = 'give the -oX output of nmap or masscan, or name the right format with --format';
const EDITED = 'nmap and masscan never write this: re-export the scan, or fix the record by hand';
const BROKEN = 'the file is corrupted, not merely cut short: copy it again from the scanner or re-run the scan';
const BROKEN_HEAD = `${NOT_NMAP}; if it is one, it is corrupted: copy it again from the scanner or re-run the scan`;
const HOSTILE = 'remove the DOCTYPE/entity declarations; nmap never writes them';

/** Seconds since the epoch as nmap writes them: undefined for a missing or unreadable value, the reason for a time no scan can have. */
function epoch(text: string | undefined, what: string): Date | string | undefined {
  const n = Number(text);
  return text === undefined || text === '' || !Number.isFinite(n) ? undefined : scanTime(n * 1000, `${what}="${text.slice(0, 20)}"`);
}

/** A port number 0-65535 written as plain digits, else -1. Hand-rolled: it runs once per port. */
function portNumber(text: string | undefined): number {
  if (text === undefined || text.length === 0 || text.length > 5) return -1;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n <= 65535 ? n : -1;
}

function resolvesNames(scanner: string | undefined, args: string | undefined): boolean {
  return scanner !== 'masscan' && nmapResolvesNames(args ?? '');
}

/** What a part of the file leaves for the messages of the parts after it (PartedReading). */
interface NmapTail {
  hosts: number;
  lastIp: string;
  finished?: { at?: Date };
}

class NmapXmlReader {
  private out: ScanEvent[] = [];
  private readonly xml = new XmlTokenizer({
    doctype: (text) => this.doctype(text),
    open: (name, attrs) => this.open(name, attrs),
    close: (name) => this.close(name),
    text: (value) => this.cert?.addText(value),
  }, WANTED);
  private readonly meta: ScanMetaEvent = { kind: 'meta' };
  private metaSent = false;
  private sawRoot = false;
  private closedRoot = false;
  private prolog = 0;
  private finished?: { at?: Date }; // set once <runstats><finished> is seen, even without a usable time
  // The record being read; null outside <host>, so <hosthint>'s look-alike children fall through.
  private host: HostRecord | null = null;
  private hostHasStatus = false;
  /** Why the current <host> cannot be read (the first reason): it is skipped at its end. */
  private hostDamage: { why: string; at: string } | null = null;
  /** An ICMP echo or ARP reply of masscan was listed for the current host. */
  private hostAnswered = false;
  private port: PortFact | null = null;
  /** Inside a port's <script id="ssl-cert">; null elsewhere, so other scripts cost nothing more. */
  private cert: SslCertReader | null = null;
  private inOpenFilteredExtra = false;
  private hosts = 0;
  private lastIp = '';

  /** `line` > 1: a part of the file that starts there, inside <nmaprun> after its header (parts()), with what the parts before left. */
  constructor(private readonly file: string, dropDownHosts?: () => boolean, line = 1, before?: NmapTail) {
    if (dropDownHosts) this.xml.skipper = { tag: 'host', skip: (buf, lt) => (dropDownHosts() ? this.skipDownHost(buf, lt) : 0) };
    if (line === 1) return;
    this.xml.resume(['nmaprun'], line);
    this.sawRoot = this.metaSent = true;
    if (before) ({ hosts: this.hosts, lastIp: this.lastIp, finished: this.finished } = before);
  }

  /** At the end of a part: what it leaves, or null when the reading does not stand between two records inside <nmaprun>. */
  partEnd(): NmapTail | null {
    let atRest: boolean;
    try {
      atRest = this.sawRoot && !this.closedRoot && this.host === null && this.xml.atRest(1);
    } catch (err) {
      throw err instanceof XmlSyntaxError ? this.syntaxError(err) : err;
    }
    if (!atRest) return null;
    // The next part starts with a <host>, which would have sent it.
    this.flushMeta();
    return { hosts: this.hosts, lastIp: this.lastIp, finished: this.finished };
  }

  /** A down host record nobody needs: counted, its address checked, and passed over. */
  private skipDownHost(buf: string, lt: number): number {
    // One cut short by the end of what was read so far is read in full, as a file cut there must be.
    DOWN_HOST.lastIndex = lt;
    const m = DOWN_HOST.exec(buf);
    const ip = m === null ? null : canonicalIp(m[1]);
    // An address nmap never writes makes the record damaged: the full reading says so.
    if (m === null || ip === null) return 0;
    this.hosts++;
    this.lastIp = ip;
    this.out.push(UNREAD_DOWN_HOST);
    return lt + m[0].length;
  }

  write(text: string): void {
    if (text.length === 0) return;
    try {
      this.xml.write(text);
    } catch (err) {
      throw err instanceof XmlSyntaxError ? this.syntaxError(err) : err;
    }
    if (!this.sawRoot && (this.prolog += text.length) > PROLOG_LIMIT) {
      throw this.reject('no <nmaprun> element in the first MiB: this is not nmap or masscan XML', NOT_NMAP);
    }
  }

  drain(): ScanEvent[] {
    const batch = this.out;
    if (batch.length !== 0) this.out = [];
    return batch;
  }

  /** The stream ended: a closed root is checked to the end, an open one means the file was cut short. */
  finish(): void {
    if (!this.sawRoot) {
      throw this.reject(this.prolog === 0 ? 'the file is empty' : 'no <nmaprun> element: this is not nmap or masscan XML', NOT_NMAP);
    }
    const position = this.where();
    try {
      this.xml.end();
    } catch (err) {
      throw err instanceof XmlSyntaxError ? this.syntaxError(err) : err;
    }
    this.flushMeta();
    const at = this.finished?.at;
    if (at) this.out.push({ kind: 'meta', finishedAt: at });
    // One position per message: the place where the file ends; the last host is named by address.
    const dropped = this.host ? '; the partial host record after it was dropped' : '';
    const reason = !this.closedRoot ? `the file is truncated ${this.place()}${dropped}: what it does not list proves nothing`
      : !this.finished ? 'the file has no <runstats><finished> element: the scan did not finish' : undefined;
    if (reason) this.out.push({ kind: 'warning', message: reason, position });
    this.out.push({ kind: 'end', complete: reason === undefined, finishedAt: at, reason });
  }

  private place(): string {
    return this.hosts === 0 ? 'before any host' : `after the last complete host, ${this.lastIp} (record ${this.hosts})`;
  }

  /** A time attribute; one that no scan can have rejects the file here. */
  private time(text: string | undefined, what: string): Date | undefined {
    const t = epoch(text, what);
    if (typeof t === 'string') throw this.reject(t, SCAN_TIME_REMEDY);
    return t;
  }

  private where(): string {
    const p = this.xml.position();
    return `${p.line}:${p.column}`;
  }

  private reject(message: string, remedy: string, position = this.where(), code?: ErrorCode): ScanRejectedError {
    return new ScanRejectedError(message, { file: this.file, position, remedy, code });
  }

  private syntaxError(err: XmlSyntaxError): ScanRejectedError {
    const position = `${err.line}:${err.column}`;
    if (err.hostile) return this.reject(`hostile XML: ${err.message}`, HOSTILE, position, 'HOSTILE_INPUT');
    return this.reject(`malformed XML ${this.place()}: ${err.message}`, this.hosts === 0 ? BROKEN_HEAD : BROKEN, position);
  }

  // nmap writes a bare <!DOCTYPE nmaprun>; a subset or an external id is only there to make a parser expand or fetch.
  private doctype(text: string): void {
    const found = text.includes('[') ? 'an internal DTD subset (entity/element declarations)'
      : /\b(SYSTEM|PUBLIC)\b/.test(text) ? 'an external DTD reference (SYSTEM/PUBLIC identifier)' : null;
    if (found) throw this.reject(`hostile XML: the DOCTYPE has ${found}`, HOSTILE, undefined, 'HOSTILE_INPUT');
  }

  private open(name: string, a: Attrs): void {
    if (!this.metaSent && this.header(name, a)) return;
    const h = this.host;
    switch (name) {
      case 'host': return this.startHost(a);
      case 'status': if (h) this.status(h, a.get('state')); return;
      case 'address': if (h) this.address(h, a); return;
      case 'hostname': if (h) hostname(h, a); return;
      case 'port': if (h) this.port = this.startPort(a); return;
      case 'state': if (this.port) this.port.state = this.portState(a.get('state')); return;
      case 'service': if (this.port) setService(this.port, a); return;
      case 'extraports': this.inOpenFilteredExtra = h !== null && a.get('state') === 'open|filtered'; return;
      case 'extrareasons': if (this.inOpenFilteredExtra) this.addUnknown(h!, a); return;
      case 'finished': this.finished = { at: this.time(a.get('time'), '<finished time') }; return;
      case 'script': if (this.port && a.get('id') === 'ssl-cert') this.cert = new SslCertReader(); return;
      case 'table': this.cert?.openTable(a.get('key')); return;
      case 'elem': if (this.cert) this.elem(a.get('key')); return;
    }
  }

  private elem(key: string | undefined): void {
    this.cert!.openElem(key);
    this.xml.captureText = true;
  }

  private endScript(): void {
    if (!this.cert) return;
    const cert = this.cert.result();
    if (cert && this.port) this.port.cert = cert;
    this.cert = null;
  }

  private close(name: string): void {
    switch (name) {
      case 'port': return this.endPort();
      case 'host': return this.endHost();
      case 'script': return this.endScript();
      case 'table': this.cert?.closeTable(); return;
      case 'elem':
        this.cert?.closeElem();
        this.xml.captureText = false;
        return;
      case 'extraports': this.inOpenFilteredExtra = false; return;
      case 'nmaprun': this.closedRoot = true; return;
    }
  }

  /** Header elements until the first one after <scaninfo>; then the meta event goes out. True when consumed. */
  private header(name: string, a: Attrs): boolean {
    if (this.sawRoot) {
      if (name === 'scaninfo') this.scaninfo(a);
      else this.flushMeta();
      return name === 'scaninfo';
    }
    if (name !== 'nmaprun') throw this.reject(`the root element is <${name}>, not <nmaprun>`, NOT_NMAP);
    this.sawRoot = true;
    const scanner = a.get('scanner');
    const version = a.get('version');
    const args = a.get('args');
    const start = a.get('start');
    const resolves = resolvesNames(scanner, args);
    const startedAt = this.time(start, '<nmaprun start');
    if (start !== undefined && !startedAt) this.out.push({ kind: 'warning', message: `unreadable start time '${String(start).slice(0, 40)}' in <nmaprun>` });
    Object.assign(this.meta, { tool: scanner, toolVersion: version, args, startedAt, resolvesNames: resolves });
    return true;
  }

  // masscan's scaninfo names one protocol and no services although it scans several: no scope from it.
  private scaninfo(a: Attrs): void {
    const services = a.get('services');
    const proto = a.get('protocol');
    if (services === undefined || proto === undefined || !isProto(proto)) return;
    const scope = (this.meta.portScope ??= {});
    if (services.trim() === '') return;
    scope[proto] = mergePortRanges([...(scope[proto] ?? []), ...this.portList(services, '<scaninfo>')]);
  }

  private flushMeta(): void {
    if (this.metaSent) return;
    this.metaSent = true;
    this.out.push(this.meta);
  }

  private startHost(a: Attrs): void {
    this.host = { kind: 'host', ip: '', status: 'down', hostnames: [], ports: [], position: this.where() };
    if (a.get('timedout') === 'true') this.host.timedOut = true;
    const end = a.get('endtime');
    const seen = this.time(end ?? a.get('starttime'), end !== undefined ? '<host endtime' : '<host starttime');
    if (seen) this.host.seenAt = seen;
    this.hostHasStatus = false;
    this.hostAnswered = false;
    this.hostDamage = null;
  }

  /** Inside a <host>, a value nmap never writes damages that record only; elsewhere it rejects the file. */
  private damaged(message: string): null {
    if (!this.host) throw this.reject(message, EDITED);
    this.hostDamage ??= { why: message, at: this.where() };
    return null;
  }

  private status(h: HostRecord, state: string | undefined): void {
    h.status = state === 'up' ? 'up' : 'down';
    this.hostHasStatus = true;
  }

  private address(h: HostRecord, a: Attrs): void {
    const type = a.get('addrtype');
    if (type === 'mac') {
      h.mac ??= a.get('addr');
    } else if ((type === 'ipv4' || type === 'ipv6') && h.ip === '') {
      const addr = a.get('addr') ?? '';
      const ip = canonicalIp(addr);
      if (ip === null) {
        this.damaged(`invalid ${type} address '${addr.slice(0, 60)}'`);
        return;
      }
      h.ip = ip;
      const zone = zoneDropped(addr, ip, this.where());
      if (zone) this.out.push(zone);
    }
  }

  private endHost(): void {
    const h = this.host;
    if (!h) return;
    this.host = null;
    if (this.hostDamage === null && h.ip === '') this.hostDamage = { why: '<host> without an IPv4 or IPv6 address', at: h.position! };
    if (this.hostDamage !== null) {
      this.out.push(skipped(`${this.hostDamage.why} in the <host>${h.ip ? ` of ${h.ip}` : ''}`, this.hostDamage.at));
      return;
    }
    // masscan writes no <status>: a record exists only because a port answered.
    if (!this.hostHasStatus) h.status = this.hostAnswered || h.ports.some((p) => p.state === 'open') ? 'up' : 'down';
    this.out.push(h);
    this.hosts++;
    this.lastIp = h.ip;
  }

  // The state is filled in by the <state> child; '' marks "not seen yet" without a second object.
  private startPort(a: Attrs): PortFact | null {
    const proto = a.get('protocol');
    // An IP protocol scan (-sO) lists protocol numbers, not ports: nothing for the port model.
    if (proto === 'ip') return null;
    // masscan --ping / ARP: <port protocol="icmp|arp" portid="0">: the host answered, no port did.
    if (proto === 'icmp' || proto === 'arp') {
      this.hostAnswered = true;
      return null;
    }
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') return this.damaged(`unknown port protocol '${(proto ?? '').slice(0, 20)}'`);
    const portid = a.get('portid');
    const port = portNumber(portid);
    if (port < 0) return this.damaged(`invalid port number '${(portid ?? '').slice(0, 20)}' (${proto})`);
    return { proto, port, state: '' as PortState };
  }

  private portState(state: string | undefined): PortState {
    if (state === undefined || !STATES.has(state)) this.damaged(`invalid port state '${(state ?? '').slice(0, 20)}'`);
    return state as PortState;
  }

  private endPort(): void {
    const p = this.port;
    this.port = null;
    if (!p || !this.host) return;
    if ((p.state as string) === '' || !STATES.has(p.state)) {
      if ((p.state as string) === '') this.damaged(`port ${p.port}/${p.proto} has no <state>`);
      return;
    }
    this.host.ports.push(p);
  }

  // Ports nmap folded into "N open|filtered ports": neither open nor closed, so kept apart.
  private addUnknown(h: HostRecord, a: Attrs): void {
    const ports = a.get('ports');
    const proto = a.get('proto');
    if (ports === undefined || proto === undefined || !isProto(proto)) return;
    const unknown = (h.unknownPorts ??= {});
    unknown[proto] = mergePortRanges([...(unknown[proto] ?? []), ...this.portList(ports, '<extrareasons>')]);
  }

  private portList(text: string, where: string): PortRange[] {
    try {
      return parsePortList(text);
    } catch (err) {
      if (where === '<scaninfo>') throw this.reject(`invalid port list '${text.slice(0, 80)}' in ${where}: ${(err as Error).message}`, EDITED);
      this.damaged(`invalid port list '${text.slice(0, 80)}' in ${where}: ${(err as Error).message}`);
      return [];
    }
  }
}

function hostname(h: HostRecord, a: Attrs): void {
  const name = a.get('name');
  if (name) h.hostnames.push({ name, type: a.get('type') === 'user' ? 'user' : 'PTR' });
}

function setService(p: PortFact, a: Attrs): void {
  const name = a.get('name');
  const product = a.get('product');
  const version = a.get('version');
  const banner = a.get('banner');
  if (name !== undefined) p.service = name;
  if (product !== undefined) p.product = product;
  if (version !== undefined) p.version = version;
  if (banner !== undefined) p.banner = banner;
  // nmap says how it knows: 'probed' (-sV, the service answered) or 'table' (a guess from the port
  // number, which every plain scan writes and which says nothing: no fingerprint, no cost);
  // masscan's banners carry no method and are no fingerprint either.
  if (a.get('method') === 'probed') {
    const v = (x: string | undefined): string | null => (x === undefined || x === '' ? null : x);
    p.fingerprint = { name: v(name), product: v(product), version: v(version), extrainfo: v(a.get('extrainfo')), tunnel: v(a.get('tunnel')), method: 'probed' };
  }
}

/** nmap/masscan XML: '<nmaprun' after the prolog, or nmap's DOCTYPE when a long prolog cut the head short. */
function sniff(head: Buffer): boolean {
  const text = head.toString('latin1', 0, Math.min(head.length, 16384));
  let i = text.startsWith('\xef\xbb\xbf') ? 3 : 0;
  while (i < text.length && text.charCodeAt(i) <= 32) i++;
  if (text.charCodeAt(i) !== 60 /* < */) return false;
  return text.includes('<nmaprun') || text.includes('<!DOCTYPE nmaprun');
}

/** Streams the file through the tokenizer; the events each chunk completes go out before the next chunk is read. */
async function* readOn(input: Readable, ctx: ParseContext, line = 1, before?: NmapTail): AsyncGenerator<ScanEvent> {
  const reader = new NmapXmlReader(ctx.source, ctx.dropDownHosts, line, before);
  const decoder = new StringDecoder('utf8');
  for await (const chunk of input) {
    reader.write(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    for (const event of reader.drain()) yield event;
  }
  reader.write(decoder.end());
  reader.finish();
  for (const event of reader.drain()) yield event;
}

const HOST_LINE = Buffer.from('\n<host');

/** nmap writes each <host> at the start of a line; one there starts a part. */
function nextPart(buf: Buffer, from: number): number {
  for (let i = buf.indexOf(HOST_LINE, Math.max(from - 1, 0)); i !== -1; i = buf.indexOf(HOST_LINE, i + 1)) {
    const c = buf[i + HOST_LINE.length];
    if (c === undefined) return -1;
    if (c === 0x20 || c === 0x3e) return i + 1;
  }
  return -1;
}

function readPart(text: string, ctx: ParseContext, line: number): { events: ScanEvent[]; tail: NmapTail | null } {
  const reader = new NmapXmlReader(ctx.source, ctx.dropDownHosts, line);
  reader.write(text);
  const tail = reader.partEnd();
  return { events: reader.drain(), tail };
}

function joinTails(before: NmapTail | undefined, tail: NmapTail): NmapTail {
  if (!before) return tail;
  return { hosts: before.hosts + tail.hosts, lastIp: tail.hosts > 0 ? tail.lastIp : before.lastIp, finished: tail.finished ?? before.finished };
}

const parts: PartedReading<NmapTail> = { nextPart, readPart, joinTails, readOn };

export const nmapXml = { name: 'nmap-xml', aliases: ['xml', 'oX'], sniff, parse: withSkippedRecords((input, ctx) => readOn(input, ctx)), parts: parts as PartedReading } satisfies InputAgent;
